package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Allowed origins, the session cap per instance and the per-session segment rate, against a real server. */
class LimitsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static URI ws(VbufServer server) {
        return URI.create("ws://127.0.0.1:" + server.port() + Protocol.PATH + "?format=aac");
    }

    /** The upgrade is refused with this status; the same request over plain HTTP shows the JSON body. */
    private static JsonNode refusedUpgrade(VbufServer server, Map<String, String> headers, int status) throws Exception {
        Exception e = assertThrows(Exception.class, () -> SegmentClient.connect(ws(server), headers).close());
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        assertThat(String.valueOf(e), cause instanceof WebSocketHandshakeException, is(true));
        assertThat(((WebSocketHandshakeException) cause).getResponse().statusCode(), is(status));
        HttpRequest.Builder get = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + Protocol.PATH + "?format=aac"));
        headers.forEach(get::header);
        HttpResponse<String> plain = HTTP.send(get.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.body(), plain.statusCode(), is(status));
        return JSON.readTree(plain.body());
    }

    @Test
    void onlyAllowedBrowserOriginsMayOpenSessions() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 2.0);
        try (VbufServer server = TestServer.start(Map.of(Setting.ALLOWED_ORIGINS,
                                                         "https://player.example.com, http://localhost:3000"))) {
            JsonNode body = refusedUpgrade(server, Map.of("Origin", "https://evil.example.net"), 403);
            assertThat(body.path("code").asText(), is(ErrorCode.FORBIDDEN_ORIGIN.wireName()));
            assertThat(body.path("message").asText(), containsString("https://evil.example.net"));

            for (Map<String, String> ok : List.of(Map.of("Origin", "https://player.example.com"),
                                                  Map.of("Origin", "http://localhost:3000"),
                                                  Map.<String, String>of())) { // no Origin: not a browser
                try (SegmentClient c = SegmentClient.connect(ws(server), ok)) {
                    c.send(segment);
                    assertThat(ok.toString(), c.reply(Duration.ofSeconds(30)).type(), is("result"));
                }
            }
            HttpResponse<String> post = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + Protocol.PATH))
                            .header("Origin", "https://evil.example.net")
                            .POST(HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode(), is(403));
        }
    }

    @Test
    void sessionsBeyondTheCapAreRefusedWith503AndRetryAfterUntilOneCloses() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_SESSIONS, "2"))) {
            List<SegmentClient> open = new ArrayList<>();
            try {
                open.add(SegmentClient.connect(ws(server)));
                open.add(SegmentClient.connect(ws(server)));
                awaitSessions(server, 2);

                Exception e = assertThrows(Exception.class, () -> SegmentClient.connect(ws(server)).close());
                WebSocketHandshakeException refused = (WebSocketHandshakeException) e.getCause();
                assertThat(refused.getResponse().statusCode(), is(503));
                assertThat(refused.getResponse().headers().firstValue("Retry-After").orElse(""), is("5"));
                JsonNode body = refusedUpgrade(server, Map.of(), 503);
                assertThat(body.path("code").asText(), is(ErrorCode.OVERLOADED.wireName()));
                assertThat(body.path("retryAfterMs").asLong(), is(5000L));
                assertThat(body.path("message").asText(), containsString("session limit"));

                open.remove(0).close();
                awaitSessions(server, 1);
                open.add(SegmentClient.connect(ws(server))); // a slot is free again
                assertThat(server.sessionCount(), lessThanOrEqualTo(2));
            } finally {
                open.forEach(SegmentClient::close);
            }
        }
    }

    @Test
    void aSessionSendingFasterThanItsRateGetsRateLimitedWithoutFfmpegAndCanRetry() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 1.0);
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_RATE, "0.5", Setting.SESSION_BURST, "2",
                                                         Setting.PER_SESSION, "4"));
             SegmentClient c = SegmentClient.connect(ws(server))) {
            for (int i = 0; i < 4; i++) {
                c.send(segment);
            }
            assertThat(c.reply(Duration.ofSeconds(30)).type(), is("result"));
            assertThat(c.reply(Duration.ofSeconds(30)).type(), is("result"));
            long retryAfter = 0;
            for (int seq = 2; seq < 4; seq++) {
                SegmentClient.Reply limited = c.reply(Duration.ofSeconds(30));
                assertThat(limited.toString(), limited.code(), is(ErrorCode.RATE_LIMITED.wireName()));
                assertThat(limited.json().path("seq").asLong(), is((long) seq));
                retryAfter = limited.json().path("retryAfterMs").asLong();
                assertThat(retryAfter, greaterThan(0L));
                assertThat("at 0.5 segments/s the next token is at most 2 s away", retryAfter, lessThanOrEqualTo(2000L));
            }
            Thread.sleep(retryAfter);
            c.send(segment);
            assertThat("after retryAfterMs the segment goes through", c.reply(Duration.ofSeconds(30)).type(),
                       is("result"));
        }
    }

    private static void awaitSessions(VbufServer server, int n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.sessionCount() != n && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat(server.sessionCount(), is(n));
    }
}
