package dev.vbuf.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * How a session ends on purpose, over real sockets and real FFmpeg: the client's {@code end} (everything answered,
 * then 1000) and the session's maximum age ({@code goaway}, everything answered, then 1001).
 */
class SessionEndTest {
    private static final int MAX_AGE_SECONDS = 2;
    private static VbufServer server;

    @BeforeAll
    static void start() {
        // the per-session rate limit out of the way: the max-age client sends its next segment as soon as the last is
        // answered, which the segment FFmpeg makes much faster than the default 2 segments/s (bursts of 30)
        server = TestServer.start(Map.of(Setting.SESSION_MAX_AGE_SECONDS, String.valueOf(MAX_AGE_SECONDS),
                                         Setting.SESSION_RATE, "1000"));
    }

    @AfterAll
    static void stop() {
        server.drainAndStop();
    }

    private static SegmentClient connect(String subprotocol) {
        return SegmentClient.connect(URI.create("ws://localhost:" + server.port() + "/v1/segments?format=pcm"),
                                     Map.of(), List.of(subprotocol));
    }

    @Test
    void endAfterThreePipelinedSegmentsGetsThreeAnswersThenNormalClose() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 1.0);
        VbufServer plain = TestServer.start(); // the default maximum age: nothing but the end closes this one
        try (SegmentClient c = SegmentClient.connect(
                URI.create("ws://localhost:" + plain.port() + "/v1/segments?format=pcm"), Map.of(),
                List.of(Protocol.SUBPROTOCOL_V11))) {
            for (int i = 0; i < 3; i++) {
                c.sendText("{\"type\":\"segment\",\"id\":\"s" + i + "\"}");
                c.send(segment);
            }
            c.sendText("{\"type\":\"" + Protocol.END_MESSAGE + "\"}");
            for (int i = 0; i < 3; i++) {
                SegmentClient.Reply r = c.reply(Duration.ofSeconds(20));
                assertThat(r.toString(), r.type(), is("result"));
                assertThat(r.seq(), is((long) i));
                assertThat(r.json().path("id").asText(), is("s" + i));
            }
            SegmentClient.Closed closed = c.awaitClose(Duration.ofSeconds(10));
            assertThat(closed.toString(), closed.code(), is(CloseCodes.NORMAL));
        } finally {
            plain.drainAndStop();
        }
    }

    @Test
    void aSessionAtItsMaximumAgeIsToldToGoAwayAnswersWhatItHoldsAndCloses() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 1.0);
        long opened = System.nanoTime();
        try (SegmentClient c = connect(Protocol.SUBPROTOCOL_V11)) {
            int sent = 0;
            int answered = 0;
            boolean inFlight = false;
            JsonNode goaway = null;
            SegmentClient.Closed closed = null;
            // an honest client: one segment at a time until it is told to go away, then it sends nothing more
            while (closed == null) {
                if (goaway == null && !inFlight) {
                    c.send(segment);
                    sent++;
                    inFlight = true;
                }
                SegmentClient.Event e = c.next(Duration.ofSeconds(20));
                switch (e) {
                    case SegmentClient.Text t when Protocol.GOAWAY_MESSAGE.equals(t.json().path("type").asText()) ->
                            goaway = t.json();
                    case SegmentClient.Text t -> {
                        boolean result = "result".equals(t.json().path("type").asText());
                        answered += result || "shutting_down".equals(t.json().path("code").asText()) ? 1 : 0;
                        inFlight = result; // a result's audio follows
                    }
                    case SegmentClient.Binary b -> inFlight = false;
                    case SegmentClient.Closed cl -> closed = cl;
                }
            }
            double ageSeconds = (System.nanoTime() - opened) / 1e9;
            assertThat("goaway seen", goaway != null, is(true));
            assertThat(goaway.toString(), goaway.path("reason").asText(), is(Protocol.Goaway.MAX_AGE));
            assertThat(goaway.toString(), goaway.path("reconnectAfterMs").asLong(),
                       allOf(greaterThanOrEqualTo(1L), lessThanOrEqualTo(SessionLiveness.RECONNECT_AFTER_MS)));
            assertThat("every segment sent was answered", answered, is(sent));
            assertThat(closed.toString(), closed.code(), is(CloseCodes.GOING_AWAY));
            assertThat("closed after its (jittered) maximum age, " + ageSeconds + " s",
                       ageSeconds >= MAX_AGE_SECONDS * (1 - SessionRegistry.MAX_AGE_JITTER), is(true));
            System.out.printf("max age %d s: goaway %s, %d segments sent and answered, closed after %.2f s%n",
                              MAX_AGE_SECONDS, goaway, sent, ageSeconds);
        }
    }

    @Test
    void aV1SessionAtItsMaximumAgeJustCloses() throws Exception {
        try (SegmentClient c = connect(Protocol.SUBPROTOCOL)) {
            List<SegmentClient.Event> seen = new ArrayList<>();
            SegmentClient.Event e;
            do {
                e = c.next(Duration.ofSeconds(MAX_AGE_SECONDS + 10));
                seen.add(e);
            } while (!(e instanceof SegmentClient.Closed));
            assertThat("only the close: " + seen, seen.size(), is(1));
            assertThat(seen.toString(), ((SegmentClient.Closed) e).code(), is(CloseCodes.GOING_AWAY));
        }
    }
}
