package dev.vbuf.player;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import dev.vbuf.access.Authenticator;
import dev.vbuf.config.Secret;
import dev.vbuf.config.Setting;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.FaultProxy;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The reference player in a real Chromium (Debian's, headless, driven by playwright-core from npm; both installed by
 * {@code .ci/install --for-tests}) against a real server: the page plays the generated demo, its audio made by vbuf
 * segment by segment, and {@code src/test/player/drive.cjs} hands back the page's {@code window.vbufPlayer}.
 * Skipped where the browser tools are missing, except under {@code CI=true}, where that is a failure.
 */
class PlayerBrowserTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DRIVER = Path.of("src/test/player/drive.cjs");
    private static final Path ARTEFACTS = Path.of("target/player-test");
    private static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("VBUF_CHROMIUM", "/usr/bin/chromium"));
    private static final double MIN_PLAY_SEC = 20;
    /** More than the demo lasts: the driver stops when the video ends. */
    private static final double UNTIL_THE_END = 1_000;
    /** Page loads of the module check: each a fresh context and a fresh server (about a second each). */
    private static final int PAGE_LOADS = 10;
    /**
     * How close the two tracks' buffered ends must be once every segment is in: one audio frame. AAC: 1024 samples at
     * 48 kHz (21.3 ms); Opus: 20 ms.
     */
    private static final Map<String, Double> ONE_FRAME_SEC = Map.of("fmp4", 1024 / 48_000.0, "webm", 0.020);
    /**
     * A join passes when the recording's error against the source chirp at and after it is no larger than the
     * largest error the encode makes away from every join (ratio ≤ 1).
     */
    private static final double MAX_ERROR_RATIO = 1.0;
    /**
     * The second-difference step at a join against the same statistic next to it. A single-pass decode of the demo
     * gives 0.90–0.98 at the joins' places; fmp4 (stream copy, one AAC decoder in Chromium) must stay at that level.
     * webm measures up to 2.3 at the first joins (a step of about -52 dBFS at ~600 Hz, below Opus's own error there,
     * see docs/player.md), so it gets a looser bound that still catches a click (the misplaced append gives 49).
     */
    private static final Map<String, Double> MAX_STEP_RATIO = Map.of("fmp4", 1.5, "webm", 3.0);

    @BeforeAll
    static void browserTools() throws IOException {
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(CHROMIUM)) {
            missing.add("Chromium (" + CHROMIUM + ", Debian package chromium)");
        }
        if (!Commands.onPath("node")) {
            missing.add("node");
        }
        if (!Files.isRegularFile(Commands.toolsDir().resolve("node_modules/playwright-core/package.json"))) {
            missing.add("playwright-core (npm, in " + Commands.toolsDir() + ")");
        }
        String message = "the browser test needs " + String.join(", ", missing)
                         + ": run `bash .ci/install --for-tests`, which installs them";
        if (Commands.underCi()) {
            assertThat(message, missing, is(empty()));
        }
        assumeTrue(missing.isEmpty(), message);
        Files.createDirectories(ARTEFACTS);
    }

    /**
     * Also, with a session rate the page's start-up burst exceeds (two segments at once, then one per two seconds),
     * the page is answered {@code rate_limited}, waits the {@code retryAfterMs} it is given and sends the same segment
     * again, and still never runs dry.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fmp4", "webm"})
    void playsTheDemoGaplesslyInSync(String format) throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_RATE, "0.5", Setting.SESSION_BURST, "2"))) {
            JsonNode p = drive(server.port(), "format=" + format + "&capture=1", MIN_PLAY_SEC, true, null);
            assertPlayedCleanly(p, format);
            assertThat("answered rate_limited and retried: " + p.get("retryLog"), p.get("retries").asInt(),
                       greaterThanOrEqualTo(1));
            for (JsonNode retry : p.get("retryLog")) {
                assertThat("resent after retryAfterMs: " + retry, retry.get("resentAfterMs").asDouble(),
                           greaterThanOrEqualTo(retry.get("retryAfterMs").asDouble() - 1));
            }
            JsonNode buffered = p.get("buffered");
            assertThat("one continuous range per track: " + buffered, buffered.get("video").size(), is(1));
            assertThat("one continuous range per track: " + buffered, buffered.get("audio").size(), is(1));
            double videoEnd = buffered.get("video").get(0).get(1).asDouble();
            double audioEnd = buffered.get("audio").get(0).get(1).asDouble();
            assertThat("audio and video end within one audio frame: " + buffered, Math.abs(audioEnd - videoEnd),
                       lessThanOrEqualTo(ONE_FRAME_SEC.get(format)));
            assertThat("a latency point per segment", p.get("latencies").size(), is(p.get("segments").asInt()));
            assertThat(ids(p, "idsReceived"), is(allIds(p)));

            JsonNode c = p.get("capture");
            assertThat("joins measured: " + c, c.get("joins").size(), greaterThanOrEqualTo(4));
            assertThat("error at the joins vs the encode's own error: " + c,
                       c.get("maxJoinErrorRatio").asDouble(), lessThanOrEqualTo(MAX_ERROR_RATIO));
            assertThat("second-difference step at the joins: " + c,
                       c.get("maxJoinStepRatio").asDouble(), lessThanOrEqualTo(MAX_STEP_RATIO.get(format)));
        }
    }

    /** The boundary check can fail: every other reply appended 4 ms late overlaps the next one, and that is caught. */
    @Test
    void aMisplacedAppendIsCaught() throws Exception {
        try (VbufServer server = TestServer.start()) {
            JsonNode p = drive(server.port(), "format=fmp4&capture=1&fault=shift", 11, false, null);
            assertThat(p.get("errors").toString(), p.get("errors").size(), is(0));
            JsonNode c = p.get("capture");
            assertThat("the misplaced join's error: " + c, c.get("maxJoinErrorRatio").asDouble(),
                       greaterThan(MAX_ERROR_RATIO * 5));
            assertThat("the misplaced join's step: " + c, c.get("maxJoinStepRatio").asDouble(),
                       greaterThan(MAX_STEP_RATIO.get("webm") * 5));
            assertThat("the joins away from the fault still pass: " + c, c.get("maxControlErrorRatio").asDouble(),
                       lessThanOrEqualTo(MAX_ERROR_RATIO));
        }
    }

    /**
     * A server restarted mid-play (SIGTERM: it drains and closes with 1001) on the same port, with a secret key and
     * the page's origin as the only allowed one: the page reconnects with its token, resumes with the next segment and
     * its carry (webm, where the carry matters: the new instance decodes warm from it), and plays on; every id is
     * answered exactly once.
     */
    @Test
    void resumesAfterTheServerRestarts() throws Exception {
        String secret = "player-test-secret-key-0123456789abcdef";
        int port = ServerProcess.freePort();
        Map<String, String> env = Map.of(Setting.PORT.envVar(), String.valueOf(port),
                                         Setting.SECRET_KEY.envVar(), secret,
                                         Setting.ALLOWED_ORIGINS.envVar(), "http://127.0.0.1:" + port);
        String token = Authenticator.create(Optional.of(new Secret(secret)), Setting.AUTH_AUDIENCE.defaultValue())
                .mint("player-test", Duration.ofMinutes(10));
        List<ServerProcess> servers = new CopyOnWriteArrayList<>(); // the restart adds the second from its thread
        try {
            servers.add(ServerProcess.start(env));
            servers.get(0).awaitReady(Duration.ofSeconds(60));
            AtomicBoolean restarted = new AtomicBoolean();
            CompletableFuture<Void> restart = new CompletableFuture<>();
            JsonNode p = drive(port, "format=webm&capture=1&token=" + token, MIN_PLAY_SEC, true, played -> {
                if (played >= 6 && restarted.compareAndSet(false, true)) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            ServerProcess old = servers.get(0);
                            old.process().destroy(); // SIGTERM
                            if (!old.process().waitFor(30, TimeUnit.SECONDS)) {
                                throw new AssertionError("the server did not stop within 30 s of SIGTERM");
                            }
                            ServerProcess next = ServerProcess.start(env);
                            servers.add(next);
                            next.awaitReady(Duration.ofSeconds(60));
                            restart.complete(null);
                        } catch (Throwable e) {
                            restart.completeExceptionally(e);
                        }
                    });
                }
            });
            restart.get(2, TimeUnit.MINUTES);
            assertThat("restarted mid-play", restarted.get(), is(true));
            assertThat("the old server drained and stopped", servers.get(0).log(),
                       containsString("VbufServer - stopped"));
            assertPlayedCleanly(p, "webm");
            assertThat("closed by the drain with 1001: " + p.get("closes"), codes(p), hasItem(1001));
            assertThat("reconnected", p.get("reconnects").asInt(), greaterThanOrEqualTo(1));
            assertThat("every id answered once, in order", ids(p, "idsReceived"), is(allIds(p)));
            List<String> gapless = new ArrayList<>();
            p.get("replies").forEach(r -> gapless.add(r.get("id").asText() + ":" + r.get("gapless").asText()
                                                      + (r.has("coldReason") ? " (" + r.get("coldReason") + ")" : "")));
            assertThat("every segment after the first decoded warm, the first one on the new server from the carry the"
                       + " page brought from the old one: " + gapless,
                       gapless.stream().skip(1).filter(g -> !g.endsWith(":warm")).toList(), is(empty()));
            JsonNode c = p.get("capture");
            assertThat("the joins, the one across the restart included: " + c, c.get("maxJoinErrorRatio").asDouble(),
                       lessThanOrEqualTo(MAX_ERROR_RATIO));
            assertThat(c.toString(), c.get("maxJoinStepRatio").asDouble(), lessThanOrEqualTo(MAX_STEP_RATIO.get("webm")));
        } finally {
            servers.forEach(ServerProcess::close);
        }
    }

    /**
     * The page loaded through a {@link FaultProxy} that cuts every connection it carries (the page, the demo files and
     * the WebSocket alike) 10-20 s after it opened, without a close frame, as Cloud Run does at its request timeout:
     * the page keeps the reconnect contract (1006 is resumable), resends the segment in flight with the last carry,
     * plays to the end without running dry, and counts what it did; every id is answered once, in order, and the
     * joins across the cuts pass the boundary checks.
     */
    @Test
    void playsToTheEndThroughAProxyThatCutsEveryConnection() throws Exception {
        try (VbufServer server = TestServer.start();
             FaultProxy proxy = FaultProxy.to(server.port()).cutAtAge(Duration.ofSeconds(10), Duration.ofSeconds(20))
                     .seed(5).start()) {
            JsonNode p = drive(proxy.port(), "format=webm&capture=1", UNTIL_THE_END, true, null);
            System.out.println("through the proxy: reconnects " + p.get("reconnects") + ", closes " + p.get("closes")
                               + ", resent " + p.get("resent") + ", duplicate answers " + p.get("duplicates")
                               + ", failed connects " + p.get("failedConnects") + "; proxy faults " + proxy.events());
            assertPlayedCleanly(p, "webm");
            assertThat("played to the end", p.get("ended").asBoolean(), is(true));
            assertThat("the proxy cut the page's connections: " + proxy.events(), proxy.events().size(),
                       greaterThanOrEqualTo(2));
            assertThat("reconnected after the cuts: " + p.get("closes"), p.get("reconnects").asInt(),
                       greaterThanOrEqualTo(1));
            List<Integer> closes = codes(p);
            assertThat("the session ends as the page asked (`end`, then 1000): " + p.get("closes"), closes.getLast(),
                       is(1000));
            assertThat("every close before it a cut (1006): " + p.get("closes"),
                       closes.subList(0, closes.size() - 1).stream().distinct().toList(), is(List.of(1006)));
            assertThat("a reconnect per close of the session while it streamed", p.get("reconnects").asInt(),
                       greaterThanOrEqualTo(codes(p).size() - 1));
            assertThat("no answer twice", p.get("duplicates").asInt(), is(0));
            assertThat("every id answered once, in order", ids(p, "idsReceived"), is(allIds(p)));
            assertThat("a token asked for before every connect", p.get("tokenRequests").asInt(),
                       is(1 + p.get("reconnects").asInt() + p.get("failedConnects").asInt()));
            JsonNode c = p.get("capture");
            assertThat("the joins, those across the cuts included: " + c, c.get("maxJoinErrorRatio").asDouble(),
                       lessThanOrEqualTo(MAX_ERROR_RATIO));
            assertThat(c.toString(), c.get("maxJoinStepRatio").asDouble(), lessThanOrEqualTo(MAX_STEP_RATIO.get("webm")));
        }
    }

    /**
     * A fatal close is not retried: against a server whose frame limit (4 KiB) each segment the page sends (one frame
     * per message) exceeds, the first send is closed with 1009 and the page stops at once, saying why.
     */
    @Test
    void aFatalCloseStopsThePageWithItsReason() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_FRAME_BYTES, "4096"))) {
            JsonNode p = drive(server.port(), "format=fmp4", MIN_PLAY_SEC, true, null);
            assertThat("closed once, with 1009: " + p.get("closes"), codes(p), is(List.of(1009)));
            assertThat("not retried", p.get("reconnects").asInt(), is(0));
            assertThat(p.get("errors").toString(), p.get("errors").size(), is(1));
            String error = p.get("errors").get(0).asText();
            assertThat(error, containsString("the server closed the session with 1009 (frame of "));
            assertThat(error, containsString("not resumable (the reconnect contract stops on close 1009)"));
            assertThat(p.get("status").asText(), containsString("stopped: the server closed the session with 1009"));
        }
    }

    /**
     * The page's module graph loads whole every time: {@link #PAGE_LOADS} loads, each in a fresh browser context
     * against a server started for it alone (a module's first requests are the ones that once came back empty:
     * "does not provide an export named 'SegmentSession'", see {@link PlayerFiles}), with no page error, no console
     * error and no failed request.
     */
    @Test
    void loadsThePageWithoutAModuleErrorEveryTime() throws Exception {
        List<VbufServer> servers = new ArrayList<>();
        try {
            List<String> urls = new ArrayList<>();
            for (int i = 0; i < PAGE_LOADS; i++) {
                VbufServer s = TestServer.start();
                servers.add(s);
                urls.add("http://127.0.0.1:" + s.port() + PlayerService.PATH + "/");
            }
            String out = run(Map.of("loads", urls, "chromium", CHROMIUM.toString()), null);
            JsonNode loads = JSON.readTree(out);
            assertThat(loads.size(), is(PAGE_LOADS));
            for (JsonNode load : loads) {
                assertThat(load.toString(), load.get("errors").size(), is(0));
                assertThat(load.toString(), load.get("ran").asBoolean(), is(true));
            }
        } finally {
            servers.forEach(VbufServer::close);
        }
    }

    private static void assertPlayedCleanly(JsonNode p, String format) {
        assertThat("page errors: " + p.get("errors") + " " + p.get("pageErrors"), p.get("errors").size()
                                                                                  + p.get("pageErrors").size(), is(0));
        assertThat(p.get("mediaError").isNull() ? null : p.get("mediaError").asText(), nullValue());
        assertThat(p.get("format").asText(), is(format));
        assertThat("played", p.get("playedSec").asDouble(), greaterThanOrEqualTo(MIN_PLAY_SEC));
        assertThat("audio never ran dry after the start (100-ms samples)", p.get("underruns").asInt(), is(0));
        assertThat("every segment appended to both tracks", p.get("audioAppended").asInt(),
                   is(p.get("segments").asInt()));
        assertThat(p.get("videoAppended").asInt(), is(p.get("segments").asInt()));
    }

    private static List<String> ids(JsonNode p, String field) {
        List<String> ids = new ArrayList<>();
        p.get(field).forEach(n -> ids.add(n.asText()));
        return ids;
    }

    private static List<String> allIds(JsonNode p) {
        return IntStream.range(0, p.get("segments").asInt()).mapToObj(i -> "seg-" + i).toList();
    }

    private static List<Integer> codes(JsonNode p) {
        List<Integer> codes = new ArrayList<>();
        p.get("closes").forEach(c -> codes.add(c.get("code").asInt()));
        return codes;
    }

    interface Progress {
        void played(double seconds);
    }

    /**
     * Opens {@code /player/?autoplay=1&<query>} in Chromium until {@code minPlaySec} are played (and, if asked, every
     * segment is appended); the screenshot goes to {@code target/player-test/}. {@code progress}, when given, sees the
     * seconds played about twice a second.
     */
    private static JsonNode drive(int port, String query, double minPlaySec, boolean untilAllAppended,
                                  Progress progress) throws Exception {
        String name = query.replaceAll("token=[^&]*", "token").replaceAll("[^a-z0-9]+", "-");
        Path screenshot = ARTEFACTS.resolve("player-" + name + ".png").toAbsolutePath();
        Map<String, Object> options = Map.of(
                "url", "http://127.0.0.1:" + port + PlayerService.PATH + "/?autoplay=1&" + query,
                "chromium", CHROMIUM.toString(), "screenshot", screenshot.toString(), "minPlaySec", minPlaySec,
                "untilAllAppended", untilAllAppended, "timeoutSec", 120);
        JsonNode p = JSON.readTree(run(options, progress));
        assertThat("screenshot " + screenshot, Files.size(screenshot), greaterThan(0L));
        Files.writeString(ARTEFACTS.resolve("player-" + name + ".json"), p.toPrettyString());
        return p;
    }

    /** Runs drive.cjs with {@code options}; its stdout. */
    private static String run(Map<String, Object> options, Progress progress) throws Exception {
        StringBuilder log = new StringBuilder();
        ProcessRunner.Result r = ProcessRunner.of(List.of(
                        "env", "NODE_PATH=" + Commands.toolsDir().resolve("node_modules"),
                        "node", DRIVER.toString(), JSON.writeValueAsString(options)))
                .deadline(Duration.ofMinutes(3))
                .maxStdoutBytes(64 << 20)
                .stderrLines(line -> {
                    if (line.startsWith("progress ")) {
                        if (progress != null) {
                            progress.played(Double.parseDouble(line.split(" ")[1]));
                        }
                        return true;
                    }
                    synchronized (log) {
                        log.append(line).append('\n');
                    }
                    return true;
                })
                .run();
        assertThat("drive.cjs finished: " + log, r.stop(), is(ProcessRunner.Stop.NONE));
        assertThat("drive.cjs failed:\n" + log, r.exitCode(), is(0));
        return r.stdoutText();
    }
}
