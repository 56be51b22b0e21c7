package dev.vbuf.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.vbuf.cli.SegmentSource;
import dev.vbuf.client.Segment;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.ReplySchemas;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * Every text message a live server sends is valid against its schema in src/main/resources/protocol/schemas (the
 * ones asyncapi.yaml and openapi.yaml reference): results of v1 and v1.1 (copy, cold, warm, a refused carry, an input
 * that is not placed), every error code cheap to provoke, goaway for both reasons, and the HTTP error bodies. Real
 * server, real FFmpeg, real sockets. Each kind of reply, altered the way a drifting server would alter it, must fail.
 */
class LiveReplySchemaTest {
    /** Small limits, so too_large and overloaded (memory) are cheap to provoke. */
    private static final int MAX_BYTES = 1 << 20;
    private static final int BURST = 12;
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] GARBAGE = "this is not a media segment".getBytes(StandardCharsets.US_ASCII);
    private static VbufServer server;
    private static Path work;

    @BeforeAll
    static void start() throws IOException {
        server = TestServer.start(Map.of(Setting.MAX_SEGMENT_BYTES, String.valueOf(MAX_BYTES),
                                         Setting.MEMORY_BUDGET_BYTES, String.valueOf(MAX_BYTES),
                                         Setting.SESSION_RATE, "1", Setting.SESSION_BURST, String.valueOf(BURST)));
        work = Files.createTempDirectory("vbuf-live-schemas");
    }

    @AfterAll
    static void stop() {
        server.drainAndStop();
    }

    private static SegmentClient connect(VbufServer s, String format, String subprotocol) {
        SegmentClient c = SegmentClient.connect(URI.create("ws://localhost:" + s.port() + Protocol.PATH + "?format="
                                                           + format), Map.of(), List.of(subprotocol));
        assertThat(c.subprotocol(), is(subprotocol));
        return c;
    }

    /** The next answer, its text checked against its schema. */
    private static SegmentClient.Reply answer(SegmentClient c) throws InterruptedException {
        SegmentClient.Reply r = c.reply(WAIT);
        ReplySchemas.assertValid(r.json().toString());
        return r;
    }

    private static String message(String id, String carry) {
        ObjectNode m = JSON.createObjectNode().put("type", Protocol.SEGMENT_MESSAGE).put("id", id);
        if (carry != null) {
            m.put("carry", carry);
        }
        assertThat(ReplySchemas.clientProblems(m.toString()), empty());
        return m.toString();
    }

    /** {@code text} altered by {@code change}: must now fail its schema. */
    private static void assertRefused(JsonNode reply, String what, java.util.function.Consumer<ObjectNode> change) {
        ObjectNode wrong = reply.deepCopy();
        change.accept(wrong);
        assertThat(what + ": " + wrong, ReplySchemas.problems(wrong.toString()), not(empty()));
    }

    @Test
    void v1ResultsAndErrorsAreValid() throws Exception {
        try (SegmentClient c = connect(server, "fmp4", Protocol.SUBPROTOCOL)) {
            c.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            SegmentClient.Reply ok = answer(c);
            assertThat(ok.toString(), ok.type(), is("result"));
            assertThat("v1: no placement", ok.json().has("pts"), is(false));
            assertRefused(ok.json(), "a result without bytes", m -> m.remove("bytes"));
            assertRefused(ok.json(), "a field the protocol does not have", m -> m.put("durationMs", 1));
            assertRefused(ok.json(), "a format that does not exist", m -> m.put("format", "mp3"));
            assertRefused(ok.json(), "a negative seq", m -> m.put("seq", -1));

            c.send(GARBAGE);
            SegmentClient.Reply invalid = answer(c);
            assertThat(invalid.toString(), invalid.code(), is(ErrorCode.INVALID_MEDIA.wireName()));
            assertRefused(invalid.json(), "an error code that does not exist", m -> m.put("code", "exploded"));
            assertRefused(invalid.json(), "an error without its message", m -> m.remove("message"));

            c.send(TestMedia.segment(Kind.TS_VIDEO_ONLY, 1.0));
            assertThat(answer(c).code(), is(ErrorCode.NO_AUDIO.wireName()));

            // one frame: the server sees its size at once (in small frames it grows buffers out of the small budget)
            c.sendOneFrame(new byte[MAX_BYTES + (MAX_BYTES >> 1)]);
            assertThat(answer(c).code(), is(ErrorCode.TOO_LARGE.wireName()));
        }
    }

    @Test
    void v11ResultsWithEveryPlacementKindAndTheEndAreValid() throws Exception {
        List<Segment> chirp = SegmentSource.of(List.of(TestMedia.chirp(6, false)), 2, SegmentSource.Container.TS,
                                               work, TestMedia.TOOL);
        assertThat(chirp.size(), greaterThanOrEqualTo(3));
        Set<String> gapless = new TreeSet<>();
        try (SegmentClient c = connect(server, "pcm", Protocol.SUBPROTOCOL_V11)) {
            SegmentClient.Reply last = null;
            for (int i = 0; i < 3; i++) {
                c.sendText(message("chirp-" + i, null));
                c.send(chirp.get(i).bytes());
                last = answer(c);
                assertThat(last.toString(), last.type(), is("result"));
                assertThat(last.json().path("id").asText(), is("chirp-" + i));
                gapless.add(last.json().path("gapless").asText());
            }
            JsonNode placed = last.json();
            assertRefused(placed, "placement without its carry", m -> m.remove("carry"));
            assertRefused(placed, "a gapless kind that does not exist", m -> m.put("gapless", "lukewarm"));
            assertRefused(placed, "an id over 256 characters", m -> m.put("id", "x".repeat(Protocol.MAX_ID_CHARS + 1)));

            c.sendText(message("refused-carry", "bm90IGEgY2Fycnk")); // base64 of something no server wrote
            c.send(chirp.get(1).bytes());
            SegmentClient.Reply cold = answer(c);
            assertThat(cold.toString(), cold.json().path("gapless").asText(), is("cold"));
            assertThat(cold.toString(), cold.json().has("coldReason"), is(true));

            c.sendText(message("matroska", null));
            c.send(TestMedia.segment(Kind.MKV_AAC, 1.0));
            SegmentClient.Reply unplaced = answer(c);
            assertThat("not placed, but with its id: " + unplaced, unplaced.json().has("pts"), is(false));
            assertThat(unplaced.json().path("id").asText(), is("matroska"));

            c.sendText(message("garbage", null));
            c.send(GARBAGE);
            SegmentClient.Reply invalid = answer(c);
            assertThat(invalid.toString(), invalid.code(), is(ErrorCode.INVALID_MEDIA.wireName()));
            assertThat(invalid.json().path("id").asText(), is("garbage"));
        }
        assertThat(gapless, is(new TreeSet<>(List.of("cold", "warm"))));

        try (SegmentClient c = connect(server, "aac", Protocol.SUBPROTOCOL_V11)) {
            c.sendText(message("copy", null));
            c.send(chirp.get(0).bytes());
            assertThat(answer(c).json().path("gapless").asText(), is("copy"));
        }
        // one segment in flight (an Opus encode of 12 s of audio: hundreds of ms), then end and one more right behind
        // it: that one is read before the close can go out, and refused
        byte[] encoded = TestMedia.segment(Kind.TS_AUDIO_ONLY, 12.0);
        assertThat("small enough for the session's memory", encoded.length < MAX_BYTES / 2, is(true));
        try (SegmentClient c = connect(server, "webm", Protocol.SUBPROTOCOL_V11)) {
            c.sendText(message("in-flight", null));
            c.send(encoded);
            c.sendText("{\"type\":\"" + Protocol.END_MESSAGE + "\"}");
            c.sendText(message("after-end", null));
            c.send(GARBAGE);
            SegmentClient.Reply inFlight = answer(c);
            assertThat(inFlight.toString(), inFlight.type(), is("result"));
            assertThat(inFlight.json().path("id").asText(), is("in-flight"));
            SegmentClient.Reply refused = answer(c);
            assertThat(refused.toString(), refused.code(), is(ErrorCode.SHUTTING_DOWN.wireName()));
            assertThat(refused.json().path("id").asText(), is("after-end"));
            assertThat(refused.json().path("retryAfterMs").asLong(), greaterThan(0L));
            assertThat(c.awaitClose(WAIT).code(), is(CloseCodes.NORMAL));
        }
    }

    @Test
    void rateLimitedErrorsAreValid() throws Exception {
        try (SegmentClient c = connect(server, "aac", Protocol.SUBPROTOCOL)) {
            int limited = 0;
            for (int i = 0; i < BURST + 4; i++) {
                c.send(GARBAGE);
                SegmentClient.Reply r = answer(c);
                limited += ErrorCode.RATE_LIMITED.wireName().equals(r.code()) ? 1 : 0;
            }
            assertThat("segments past the burst were answered rate_limited", limited, greaterThan(0));
        }
    }

    /** A session holding the whole segment memory with a half-sent message: another's segment is refused. */
    @Test
    void overloadedErrorsAreValid() throws Exception {
        try (SegmentClient hog = connect(server, "aac", Protocol.SUBPROTOCOL);
             SegmentClient other = connect(server, "aac", Protocol.SUBPROTOCOL)) {
            byte[] half = new byte[(MAX_BYTES >> 1) + 4096]; // its buffer is the next power of two: the budget
            hog.webSocket().sendBinary(ByteBuffer.wrap(half), false).join();
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.buffers().inUseBytes() < MAX_BYTES && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(server.buffers().inUseBytes(), is((long) MAX_BYTES));
            other.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            SegmentClient.Reply refused = answer(other);
            assertThat(refused.toString(), refused.code(), is(ErrorCode.OVERLOADED.wireName()));
            assertRefused(refused.json(), "a retry-after that is not a number", m -> m.put("retryAfterMs", "soon"));
            hog.webSocket().sendBinary(ByteBuffer.wrap(GARBAGE), true).join();
            assertThat(answer(hog).code(), is(ErrorCode.INVALID_MEDIA.wireName()));
        }
    }

    /** goaway at the session's maximum age, then goaway on a drain; both valid, both followed by 1001. */
    @Test
    void goawaysAreValid() throws Exception {
        VbufServer aging = TestServer.start(Map.of(Setting.SESSION_MAX_AGE_SECONDS, "2"));
        try {
            List<String> reasons = new ArrayList<>();
            try (SegmentClient c = connect(aging, "pcm", Protocol.SUBPROTOCOL_V11)) {
                c.send(TestMedia.segment(Kind.TS_AAC, 1.0));
                assertThat(answer(c).type(), is("result"));
                reasons.add(goaway(c));
            }
            try (SegmentClient c = connect(aging, "pcm", Protocol.SUBPROTOCOL_V11)) {
                Thread drain = Thread.ofVirtual().start(aging::drainAndStop);
                reasons.add(goaway(c));
                drain.join(Duration.ofSeconds(60));
            }
            assertThat(reasons, is(List.of(Protocol.Goaway.MAX_AGE, Protocol.Goaway.SHUTTING_DOWN)));
        } finally {
            aging.drainAndStop();
        }
    }

    /** Waits for the goaway (valid), then the close 1001; returns its reason. */
    private static String goaway(SegmentClient c) throws InterruptedException {
        SegmentClient.Event e = c.next(WAIT);
        assertThat(e.toString(), e instanceof SegmentClient.Text, is(true));
        JsonNode goaway = ((SegmentClient.Text) e).json();
        ReplySchemas.assertValid(goaway.toString());
        assertThat(goaway.path("type").asText(), is(Protocol.GOAWAY_MESSAGE));
        assertRefused(goaway, "a goaway without reconnectAfterMs", m -> m.remove("reconnectAfterMs"));
        assertRefused(goaway, "a goaway for a reason that does not exist", m -> m.put("reason", "bored"));
        assertThat(c.awaitClose(WAIT).code(), is(CloseCodes.GOING_AWAY));
        return goaway.path("reason").asText();
    }

    /** The HTTP API's error bodies (and a refused upgrade's) are valid against schemas/http-error.json. */
    @Test
    void httpErrorBodiesAreValid() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + server.port() + Protocol.PATH;
        List<HttpRequest> requests = List.of(
                HttpRequest.newBuilder(URI.create(base + "?format=aac"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(GARBAGE)).build(),
                HttpRequest.newBuilder(URI.create(base + "?format=aac"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[MAX_BYTES + 1])).build(),
                HttpRequest.newBuilder(URI.create(base + "?format=mp3"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(GARBAGE)).build(),
                HttpRequest.newBuilder(URI.create(base)).GET().build());
        List<Integer> statuses = new ArrayList<>();
        for (HttpRequest request : requests) {
            HttpResponse<String> res = http.send(request, HttpResponse.BodyHandlers.ofString());
            statuses.add(res.statusCode());
            assertThat(request + " " + res.statusCode() + " " + res.body(),
                       ReplySchemas.problemsAgainst(ReplySchemas.HTTP_ERROR, res.body()), empty());
        }
        assertThat(statuses, is(Arrays.asList(422, 413, 400, 426)));
        assertThat(ReplySchemas.problemsAgainst(ReplySchemas.HTTP_ERROR, "{\"code\":\"teapot\",\"message\":\"m\"}"),
                   not(empty()));
    }
}
