package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.NoFfmpegLeftBehind;
import dev.vbuf.testing.SegmentFuzzer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/**
 * Thousands of hostile segments derived from real ones, plus noise, over several concurrent sessions: every input gets
 * exactly one well-formed answer in order, no session breaks, the server stays healthy and idle afterwards, and no
 * FFmpeg process is left. Seeded: {@code -Dvbuf.fuzz.seed=S -Dvbuf.fuzz.inputs=N} replays or extends a run.
 */
class FuzzTest {
    private static final long SEED = Long.getLong("vbuf.fuzz.seed", 20261125L);
    private static final int INPUTS = Integer.getInteger("vbuf.fuzz.inputs", 2000);
    private static final int SESSIONS = 4;
    private static final Set<String> CODES = ErrorCode.segmentCodes().stream().map(ErrorCode::wireName)
            .collect(Collectors.toSet());

    @Test
    void everyHostileSegmentGetsAWellFormedAnswerAndNothingBreaks() throws Exception {
        List<Kind> kinds = List.of(Kind.TS_AAC, Kind.FMP4_AAC, Kind.MKV_AAC, Kind.WEBM_OPUS, Kind.MP4_FASTSTART,
                                   Kind.TS_MP2, Kind.TS_VIDEO_ONLY, Kind.TS_AUDIO_ONLY);
        List<byte[]> corpus = kinds.stream().map(k -> TestMedia.segment(k, 1.0)).toList();
        List<SegmentFuzzer.Input> inputs = new SegmentFuzzer(SEED, kinds.stream().map(Kind::name).toList(), corpus)
                .generate(INPUTS);

        Map<Setting, String> settings = Map.of(Setting.SESSION_RATE, "100000", Setting.SESSION_BURST, "100000",
                                               Setting.TARGET_LATENCY_MS, "60000", Setting.QUEUE_CAPACITY, "1000");
        Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        try (VbufServer server = TestServer.start(settings);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> sessions = new ArrayList<>();
            OutputFormat[] formats = OutputFormat.values();
            for (int s = 0; s < SESSIONS; s++) {
                int session = s;
                List<SegmentFuzzer.Input> mine = inputs.stream().filter(in -> in.index() % SESSIONS == session).toList();
                OutputFormat format = formats[s % formats.length];
                sessions.add(pool.submit(() -> {
                    runSession(server, format, mine, outcomes);
                    return null;
                }));
            }
            for (Future<?> f : sessions) {
                f.get();
            }
            // healthy, idle and clean afterwards
            HttpResponse<String> ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/observe/health/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ready.body(), ready.statusCode(), is(200));
            assertThat(server.unanswered(), is(0));
            assertThat(server.gate().running(), is(0));
            assertThat(server.gate().queued(), is(0));
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!NoFfmpegLeftBehind.ffmpegChildren().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertThat(NoFfmpegLeftBehind.ffmpegChildren(), empty());
        }
        System.out.printf("fuzz: seed %d, %d inputs over %d sessions, outcomes %s%n", SEED, INPUTS, SESSIONS, outcomes);
        assertThat("some mutated segments still decode", outcomes.getOrDefault("result", 0), greaterThan(0));
        assertThat("most inputs are refused as invalid media", outcomes.getOrDefault("invalid_media", 0), greaterThan(0));
    }

    private static void runSession(VbufServer server, OutputFormat format, List<SegmentFuzzer.Input> inputs,
                                   Map<String, Integer> outcomes) throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + server.port() + Protocol.PATH + "?format=" + format.wireName());
        try (SegmentClient client = SegmentClient.connect(uri)) {
            int window = 2; // the server's default pipelining
            int sent = 0;
            for (int answered = 0; answered < inputs.size(); answered++) {
                while (sent < inputs.size() && sent - answered < window) {
                    client.send(inputs.get(sent++).bytes());
                }
                SegmentFuzzer.Input in = inputs.get(answered);
                String replay = " (input " + in.index() + ": " + in.recipe() + "; replay with -Dvbuf.fuzz.seed=" + SEED
                                + ")";
                SegmentClient.Reply reply;
                try {
                    reply = client.reply(Duration.ofSeconds(60));
                } catch (RuntimeException e) {
                    throw new AssertionError("no answer" + replay + ": " + e, e);
                }
                assertThat("answers in order" + replay, reply.json().path("seq").asLong(), is((long) answered));
                if ("result".equals(reply.type())) {
                    assertThat("announced size" + replay, reply.json().path("bytes").asInt(), is(reply.audio().length));
                    assertThat("audio is not empty" + replay, reply.audio().length, greaterThan(0));
                    outcomes.merge("result", 1, Integer::sum);
                } else {
                    assertThat("an error reply" + replay + ": " + reply, reply.type(), is("error"));
                    assertThat("a known code" + replay + ": " + reply, CODES.contains(reply.code()), is(true));
                    assertThat("a message" + replay, reply.json().path("message").asText().isBlank(), is(false));
                    assertThat("FFmpeg or vbuf failing unexpectedly" + replay + ": " + reply,
                               reply.code().equals(ErrorCode.INTERNAL.wireName()), is(false));
                    outcomes.merge(reply.code(), 1, Integer::sum);
                }
            }
        }
    }
}
