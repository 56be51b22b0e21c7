package dev.vbuf.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.vbuf.access.Authenticator;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Secret;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * How a v1.1 session ends, seen from the client on a real server: {@code end} after pipelined segments, the maximum
 * age (goaway, answers, 1001), a token's expiry, and segments that arrive after the end was decided (answered
 * {@code shutting_down}, never silence). A v1 session gets no text message of these: only its 1001.
 */
class SessionEndingTest {
    private static final byte[] SEGMENT = TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0);

    /** What a client saw up to the close: the text messages in order (a result's audio checked), then the close. */
    private record Seen(List<JsonNode> texts, SegmentClient.Closed close) {
        List<JsonNode> ofType(String type) {
            return texts.stream().filter(t -> t.path("type").asText().equals(type)).toList();
        }

        /** The answers (results and errors), in order. */
        List<JsonNode> answers() {
            return texts.stream().filter(t -> !t.path("type").asText().equals(Protocol.GOAWAY_MESSAGE)).toList();
        }
    }

    private static Seen readUntilClose(SegmentClient c, Duration timeout) throws InterruptedException {
        List<JsonNode> texts = new ArrayList<>();
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            SegmentClient.Event e = c.next(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            switch (e) {
                case SegmentClient.Text t -> texts.add(t.json());
                case SegmentClient.Binary b -> assertThat("audio follows a result",
                                                          texts.getLast().path("type").asText(), is("result"));
                case SegmentClient.Closed closed -> {
                    return new Seen(texts, closed);
                }
            }
        }
    }

    private static SegmentClient v11(int port, Map<String, String> headers) {
        return SegmentClient.connect(URI.create("ws://127.0.0.1:" + port + Protocol.PATH + "?format=aac"), headers,
                                     List.of(Protocol.SUBPROTOCOL_V11));
    }

    private static void sendSegment(SegmentClient c, String id) {
        c.sendText("{\"type\":\"segment\",\"id\":\"" + id + "\"}");
        c.send(SEGMENT);
    }

    @Test
    void endAfterThreePipelinedSegmentsGetsThreeAnswersThenANormalClose() throws Exception {
        try (VbufServer server = TestServer.start(); SegmentClient c = v11(server.port(), Map.of())) {
            for (int i = 0; i < 3; i++) {
                sendSegment(c, "s" + i);
            }
            c.sendText("{\"type\":\"end\"}");
            Seen seen = readUntilClose(c, Duration.ofSeconds(30));
            assertThat(seen.texts().toString(), seen.answers().stream().map(a -> a.path("id").asText()).toList(),
                       is(List.of("s0", "s1", "s2")));
            assertThat("every one with audio", seen.ofType("result").size(), is(3));
            assertThat("no goaway: the client ended it", seen.ofType(Protocol.GOAWAY_MESSAGE), empty());
            assertThat(seen.close().toString(), seen.close().code(), is(CloseCodes.NORMAL));
        }
    }

    /** A segment after {@code end} is not processed: it is answered {@code shutting_down}, then the session closes. */
    @Test
    void aSegmentAfterEndIsAnsweredShuttingDown() throws Exception {
        try (VbufServer server = TestServer.start(); SegmentClient c = v11(server.port(), Map.of())) {
            sendSegment(c, "before");
            c.sendText("{\"type\":\"end\"}");
            sendSegment(c, "after");
            Seen seen = readUntilClose(c, Duration.ofSeconds(30));
            List<JsonNode> answers = seen.answers();
            assertThat(seen.texts().toString(), answers.size(), is(2));
            assertThat(answers.get(0).path("type").asText(), is("result"));
            JsonNode after = answers.get(1);
            assertThat(after.toString(), after.path("code").asText(), is(ErrorCode.SHUTTING_DOWN.wireName()));
            assertThat(after.path("id").asText(), is("after"));
            assertThat("in order", after.path("seq").asLong(), is(1L));
            assertThat("with a retry-after", after.path("retryAfterMs").asLong(), greaterThanOrEqualTo(1L));
            assertThat(seen.close().code(), is(CloseCodes.NORMAL));
        }
    }

    /**
     * {@code session.max-age-seconds}: the goaway comes between 90 % and 100 % of the age (plus the sweep), then every
     * segment sent is answered (results before it, {@code shutting_down} for those sent after), then 1001.
     */
    @Test
    void atItsMaximumAgeASessionGetsAGoawayItsAnswersThen1001() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_MAX_AGE_SECONDS, "2"));
             SegmentClient c = v11(server.port(), Map.of())) {
            long opened = System.nanoTime();
            List<JsonNode> texts = new ArrayList<>();
            int sent = 0;
            long goawayAt = 0;
            while (goawayAt == 0) { // one segment at a time, paced as a player, until the goaway
                Thread.sleep(100);
                sendSegment(c, "s" + sent++);
                boolean answered = false;
                while (!answered && goawayAt == 0) {
                    SegmentClient.Event e = c.next(Duration.ofSeconds(30));
                    if (e instanceof SegmentClient.Text t) {
                        texts.add(t.json());
                        answered = !t.json().path("type").asText().equals(Protocol.GOAWAY_MESSAGE);
                        goawayAt = answered ? 0 : System.nanoTime();
                    }
                    assertThat("no close before the goaway", e instanceof SegmentClient.Closed, is(false));
                }
            }
            JsonNode goaway = texts.getLast();
            assertThat(goaway.path("reason").asText(), is(Protocol.Goaway.MAX_AGE));
            assertThat(goaway.path("reconnectAfterMs").asLong(),
                       both(greaterThanOrEqualTo(SessionEnd.MIN_RECONNECT_MS)).and(lessThan(SessionEnd.MAX_RECONNECT_MS)));
            for (int i = 0; i < 2; i++) { // sent before the goaway was read, as if in flight
                sendSegment(c, "s" + sent++);
            }
            Seen rest = readUntilClose(c, Duration.ofSeconds(30));
            texts.addAll(rest.texts());
            SegmentClient.Closed close = rest.close();
            Seen seen = new Seen(texts, close);
            long goawayMs = Duration.ofNanos(goawayAt - opened).toMillis();
            System.out.println("max age 2 s: goaway after " + goawayMs + " ms; " + sent + " segments sent, "
                               + seen.ofType("result").size() + " results, "
                               + seen.ofType("error").size() + " shutting_down, close " + close.code());
            assertThat("goaway time (ms)", goawayMs, both(greaterThanOrEqualTo(1_700L)).and(lessThan(4_000L)));
            assertThat("every segment answered once: " + texts, seen.answers().size(), is(sent));
            for (JsonNode error : seen.ofType("error")) {
                assertThat(error.toString(), error.path("code").asText(), is(ErrorCode.SHUTTING_DOWN.wireName()));
            }
            assertThat("the two sent after the goaway were refused", seen.ofType("error").size(),
                       greaterThanOrEqualTo(2));
            assertThat(close.toString(), close.code(), is(CloseCodes.GOING_AWAY));
        }
    }

    /** A v1 session at its maximum age: no text message at all (v1 has no goaway), just the 1001 close. */
    @Test
    void aV1SessionAtItsMaximumAgeGetsOnlyThe1001Close() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_MAX_AGE_SECONDS, "1"));
             RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            RawWebSocket.Frame f = ws.read();
            assertThat("the first frame the server sends is the close", f.opcode(), is(0x8));
            assertThat(f.closeReason(), f.closeCode(), is(CloseCodes.GOING_AWAY));
            assertThat(f.closeReason(), containsString("maximum age"));
        }
    }

    /** Tokens are checked at the upgrade only: the session ends (goaway max_age, 1001) before its token expires. */
    @Test
    void aSessionEndsBeforeItsAccessTokenExpires() throws Exception {
        String key = "k".repeat(Secret.MIN_BYTES);
        String token = Authenticator.create(Optional.of(new Secret(key)), "vbuf")
                .mint("test", SessionDeadline.BEFORE_TOKEN_EXPIRY.plusSeconds(3));
        try (VbufServer server = TestServer.start(Map.of(Setting.SECRET_KEY, key));
             SegmentClient c = v11(server.port(), Map.of("Authorization", "Bearer " + token))) {
            long opened = System.nanoTime();
            Seen seen = readUntilClose(c, Duration.ofSeconds(30));
            long ms = Duration.ofNanos(System.nanoTime() - opened).toMillis();
            System.out.println("token valid for 13 s: session closed after " + ms + " ms");
            assertThat(seen.texts().toString(), seen.ofType(Protocol.GOAWAY_MESSAGE).size(), is(1));
            assertThat(seen.ofType(Protocol.GOAWAY_MESSAGE).get(0).path("reason").asText(),
                       is(Protocol.Goaway.MAX_AGE));
            assertThat(seen.close().reason(), containsString("token"));
            assertThat(seen.close().code(), is(CloseCodes.GOING_AWAY));
            assertThat("closed before the token expires (ms)", ms, lessThan(13_000L));
        }
    }
}
