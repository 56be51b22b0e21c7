package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.vbuf.access.Authenticator;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Secret;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** With {@code SECRET_KEY} set: a valid HS256 token opens the WebSocket and the HTTP API; anything else gets 401. */
class AccessTest {
    private static final String SECRET = "test-secret-0123456789-abcdefghij-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static VbufServer server;
    private static Authenticator issuer;
    private static byte[] segment;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(Setting.SECRET_KEY, SECRET));
        issuer = Authenticator.create(Optional.of(new Secret(SECRET)), Setting.AUTH_AUDIENCE.defaultValue());
        segment = TestMedia.segment(Kind.TS_AAC, 2.0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static URI ws(String query) {
        return URI.create("ws://127.0.0.1:" + server.port() + Protocol.PATH + "?format=aac" + query);
    }

    private static String valid() {
        return issuer.mint("player-1", Duration.ofMinutes(5));
    }

    private static void assertSegmentAnswered(SegmentClient client) throws Exception {
        client.send(segment);
        SegmentClient.Reply reply = client.reply(Duration.ofSeconds(30));
        assertThat(reply.toString(), reply.type(), is("result"));
    }

    @Test
    void tokenInTheAuthorizationHeaderOpensTheSession() throws Exception {
        try (SegmentClient c = SegmentClient.connect(ws(""), Map.of("Authorization", "Bearer " + valid()))) {
            assertSegmentAnswered(c);
        }
    }

    @Test
    void tokenInTheQueryOpensTheSession() throws Exception {
        try (SegmentClient c = SegmentClient.connect(ws("&access_token=" + valid()))) {
            assertSegmentAnswered(c);
        }
    }

    @Test
    void tokenInTheSubprotocolOpensTheSessionAndTheServerSelectsVbufV1() throws Exception {
        try (SegmentClient c = SegmentClient.connect(ws(""), Map.of(),
                                                     List.of(Protocol.SUBPROTOCOL, "bearer." + valid()))) {
            assertThat(c.webSocket().getSubprotocol(), is(Protocol.SUBPROTOCOL));
            assertSegmentAnswered(c);
        }
    }

    @Test
    void everyBadTokenGetsTheSame401BeforeTheUpgrade() throws Exception {
        Algorithm right = Algorithm.HMAC256(SECRET);
        Algorithm wrong = Algorithm.HMAC256("another-secret-0123456789-abcdefghij-0123");
        Instant now = Instant.now();
        String aud = Setting.AUTH_AUDIENCE.defaultValue();
        Map<String, Optional<String>> cases = new java.util.LinkedHashMap<>();
        cases.put("none", Optional.empty());
        cases.put("garbage", Optional.of("not-a-jwt"));
        cases.put("wrong key", Optional.of(JWT.create().withAudience(aud).withExpiresAt(now.plusSeconds(300)).sign(wrong)));
        cases.put("expired", Optional.of(JWT.create().withAudience(aud).withExpiresAt(now.minusSeconds(120)).sign(right)));
        cases.put("no exp", Optional.of(JWT.create().withAudience(aud).sign(right)));
        cases.put("wrong audience", Optional.of(JWT.create().withAudience("other").withExpiresAt(now.plusSeconds(300))
                                                       .sign(right)));
        cases.put("alg none", Optional.of(JWT.create().withAudience(aud).withExpiresAt(now.plusSeconds(300))
                                                 .sign(Algorithm.none())));
        cases.put("not yet valid", Optional.of(JWT.create().withAudience(aud).withNotBefore(now.plusSeconds(600))
                                                      .withExpiresAt(now.plusSeconds(900)).sign(right)));
        for (Map.Entry<String, Optional<String>> c : cases.entrySet()) {
            Map<String, String> headers = c.getValue().map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of());
            Exception e = assertThrows(Exception.class, () -> SegmentClient.connect(ws(""), headers).close(), c.getKey());
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            assertThat(c.getKey() + ": " + e, cause instanceof WebSocketHandshakeException, is(true));
            HttpResponse<?> response = ((WebSocketHandshakeException) cause).getResponse();
            assertThat(c.getKey(), response.statusCode(), is(401));

            // the same request as plain HTTP shows the body: one message for every case, no hint what was wrong
            HttpRequest.Builder get = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + Protocol.PATH + "?format=aac"));
            headers.forEach(get::header);
            HttpResponse<String> plain = HTTP.send(get.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(c.getKey(), plain.statusCode(), is(401));
            assertThat(plain.headers().firstValue("WWW-Authenticate").orElse(""), containsString("Bearer"));
            JsonNode body = JSON.readTree(plain.body());
            assertThat(body.path("code").asText(), is(ErrorCode.UNAUTHORIZED.wireName()));
            assertThat(c.getKey(), body.path("message").asText(), is(Protocol.UNAUTHORIZED_MESSAGE));
        }
    }

    @Test
    void httpApiNeedsTheTokenToo() throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + server.port() + Protocol.PATH + "?format=aac");
        HttpResponse<byte[]> refused = HTTP.send(HttpRequest.newBuilder(uri)
                                                         .POST(HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                                                 HttpResponse.BodyHandlers.ofByteArray());
        assertThat(refused.statusCode(), is(401));
        HttpResponse<byte[]> ok = HTTP.send(HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + valid())
                                                    .POST(HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                                            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(ok.statusCode(), is(200));
        assertThat("a request with a valid token gets audio", ok.body().length > 0, is(true));
    }

    @Test
    void healthAndMetricsStayOpenForProbesAndScrapers() throws Exception {
        for (String path : List.of("/observe/health/ready", "/observe/health/live", "/observe/metrics", "/health")) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + path)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(path, r.statusCode(), is(200));
        }
    }

    @Test
    void aShortSecretRefusesToStartWithoutEchoingIt() {
        String shortSecret = "too-short-secret";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VbufConfig.load(
                Map.of(Setting.SECRET_KEY.envVar(), shortSecret), Map.of()));
        assertThat(e.getMessage(), containsString("SECRET_KEY"));
        assertThat(e.getMessage(), not(containsString(shortSecret)));
        VbufConfig ok = VbufConfig.load(Map.of(Setting.SECRET_KEY.envVar(), SECRET), Map.of());
        assertThat("a logged configuration does not show the secret", ok.toString(), not(containsString(SECRET)));
    }
}
