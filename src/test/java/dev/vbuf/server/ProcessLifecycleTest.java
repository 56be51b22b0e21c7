package dev.vbuf.server;

import dev.vbuf.protocol.CloseCodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/** The server as its own process: environment variables, SIGTERM drain, start failures, JSON logs. */
class ProcessLifecycleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sigtermDrainsSegmentsInFlightThenClosesWith1001AndLeavesNoFfmpeg() throws Exception {
        Map<String, String> env = Map.of("VBUF_ADMISSION_MAX_CONCURRENT", "1",
                                         "VBUF_SEGMENTS_PER_SESSION", "8",
                                         "VBUF_ADMISSION_TARGET_LATENCY_MS", "30000", "VBUF_LOG_LEVEL", "DEBUG");
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 6.0, true);
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(60));
            try (SegmentClient client = SegmentClient.connect(server.port(), "format=webm")) {
                int before = 8;
                for (int i = 0; i < before; i++) {
                    client.send(segment);
                }
                awaitReceived(server, before); // all accepted before SIGTERM
                List<SegmentClient.Reply> replies = new ArrayList<>();
                replies.add(client.reply()); // segment 0 done: 1..7 are waiting or running
                List<ProcessHandle> children = new ArrayList<>();
                long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (children.isEmpty() && System.nanoTime() < until) {
                    children.addAll(server.ffmpegChildren());
                }
                assertThat("an FFmpeg process is running when SIGTERM comes", children, not(empty()));

                server.process().destroy(); // SIGTERM
                // readiness goes down at once, while the accepted segments are still being answered
                int health = 200;
                until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (health == 200 && System.nanoTime() < until) {
                    health = server.status("/health");
                }
                assertThat("/health during the drain", health, is(503));
                var post = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                                        "http://127.0.0.1:" + server.port() + "/v1/segments?format=aac"))
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat("HTTP POST during the drain: " + post.body(), post.statusCode(), is(503));
                assertThat("a refused POST while draining carries Retry-After",
                           post.headers().firstValue("Retry-After").isPresent(), is(true));
                // a new session during the drain is refused before the upgrade
                var upgrade = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                        .buildAsync(java.net.URI.create("ws://127.0.0.1:" + server.port() + "/v1/segments?format=aac"),
                                    new java.net.http.WebSocket.Listener() { });
                Throwable refused = org.junit.jupiter.api.Assertions.assertThrows(
                        java.util.concurrent.CompletionException.class, upgrade::join).getCause();
                assertThat("upgrade during the drain: " + refused,
                           refused instanceof java.net.http.WebSocketHandshakeException h
                                   ? h.getResponse().statusCode() : -1, is(503));
                client.send(segment); // a new segment during the drain is refused, not lost

                for (int i = 1; i <= before; i++) {
                    try {
                        replies.add(client.reply());
                    } catch (AssertionError e) {
                        throw new AssertionError("after replies " + replies + ": " + e.getMessage() + "\n"
                                                 + server.log(), e);
                    }
                }
                for (int i = 0; i < before; i++) {
                    assertThat(replies.toString(), replies.get(i).seq(), is((long) i));
                    assertThat(replies.toString(), replies.get(i).type(), is("result"));
                }
                SegmentClient.Reply late = replies.get(before);
                // a v1 session hears of the drain as `overloaded` (a code every v1 client retries); v1.1 gets shutting_down
                assertThat(replies.toString(), late.code(), is(ErrorCode.OVERLOADED.wireName()));
                assertThat(late.json().path("message").asText(), containsString("shutting down"));
                SegmentClient.Closed closed = client.awaitClose(Duration.ofSeconds(15));
                assertThat(closed.toString(), closed.code(), is(CloseCodes.GOING_AWAY));
            }
            assertExitsLeavingNoFfmpeg(server);
            assertThat(server.log(), containsString("draining"));
        }
    }

    /** SIGTERM with several sessions busy: every segment the server had received is answered before it exits. */
    @Test
    void sigtermUnderLoadAnswersEverySegmentAcceptedBeforeIt() throws Exception {
        int sessions = 4;
        int perSession = 4;
        Map<String, String> env = Map.of("VBUF_ADMISSION_MAX_CONCURRENT", "2", "VBUF_SEGMENTS_PER_SESSION", "4",
                                         "VBUF_ADMISSION_TARGET_LATENCY_MS", "30000");
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 6.0, true);
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(60));
            List<SegmentClient> clients = new ArrayList<>();
            try {
                for (int c = 0; c < sessions; c++) {
                    SegmentClient client = SegmentClient.connect(server.port(), c % 2 == 0 ? "format=webm" : "format=fmp4");
                    clients.add(client);
                    for (int i = 0; i < perSession; i++) {
                        client.send(segment);
                    }
                }
                awaitReceived(server, sessions * perSession);
                server.process().destroy(); // SIGTERM with up to 16 segments queued or running
                for (SegmentClient client : clients) {
                    for (int i = 0; i < perSession; i++) {
                        SegmentClient.Reply r = client.reply();
                        assertThat(r.toString(), r.seq(), is((long) i));
                        assertThat(r + "\n" + server.log(), r.type(), is("result"));
                    }
                    assertThat(client.awaitClose(Duration.ofSeconds(15)).code(), is(CloseCodes.GOING_AWAY));
                }
            } finally {
                clients.forEach(SegmentClient::close);
            }
            assertExitsLeavingNoFfmpeg(server);
        }
    }

    /**
     * A server restarted under a running {@code vbuf stream}: SIGTERM drains it (1001), the client reconnects to the
     * same URL once the new process listens, resends what was not answered with the last carry, and its pcm output
     * is the single-pass decode of the input, every sample: nothing skipped, nothing doubled.
     */
    @Test
    void streamResumesOnARestartedServerAndItsPcmIsTheSinglePassDecode() throws Exception {
        Map<String, String> env = Map.of(dev.vbuf.config.Setting.PORT.envVar(),
                                         String.valueOf(ServerProcess.freePort()));
        java.nio.file.Path input = TestMedia.chirp(20, false);
        java.nio.file.Path out = java.nio.file.Files.createTempFile("vbuf-resumed", ".pcm");
        java.io.ByteArrayOutputStream console = new java.io.ByteArrayOutputStream();
        ServerProcess first = ServerProcess.start(env);
        ServerProcess second = null;
        try (var pool = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            first.awaitReady(Duration.ofSeconds(60));
            java.net.URI url = java.net.URI.create("ws://127.0.0.1:" + first.port() + "/v1/segments");
            var running = pool.submit(() -> dev.vbuf.cli.StreamCommand.stream(
                    List.of(input), url, java.util.Optional.empty(), dev.vbuf.protocol.OutputFormat.PCM, 3,
                    dev.vbuf.cli.SegmentSource.Container.TS, true, 2, 50, out, TestMedia.TOOL,
                    new java.io.PrintStream(console, true, java.nio.charset.StandardCharsets.UTF_8), true));
            awaitReceived(first, 3); // three segments of seven, sent in real time
            first.process().destroy(); // SIGTERM: drain, 1001
            assertThat("the first server exits", first.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS),
                       is(true));
            second = ServerProcess.start(env);
            second.awaitReady(Duration.ofSeconds(60));
            dev.vbuf.cli.StreamCommand.Result result = running.get(2, java.util.concurrent.TimeUnit.MINUTES);
            String log = console.toString(java.nio.charset.StandardCharsets.UTF_8);
            System.out.println(log);
            assertThat(log, result.exitCode(), is(dev.vbuf.cli.StreamCommand.EXIT_OK));
            assertThat("the drain's goaway, then one reconnection", log,
                       containsString("reconnected 1 time(s) (goaway ×1)"));
            assertThat(log, containsString("every segment answered once"));
            assertThat(log, containsString("bit-identical"));
            byte[] single = dev.vbuf.tools.BoundaryCheck.decodeBytes(TestMedia.FFMPEG, input, List.of("-f", "mpegts"),
                                                                      16_000, 1);
            assertThat("pcm after the restart = the single-pass decode",
                       java.util.Arrays.equals(java.nio.file.Files.readAllBytes(out), single), is(true));
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
            java.nio.file.Files.deleteIfExists(out);
        }
    }

    /** After SIGTERM: the server exits, and none of its FFmpeg children outlives it. */
    private static void assertExitsLeavingNoFfmpeg(ServerProcess server) throws InterruptedException {
        assertThat("server exits", server.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS), is(true));
        for (ProcessHandle child : children(server)) {
            assertThat("FFmpeg " + child.pid() + " outlived the server", child.isAlive(), is(false));
        }
    }

    /** Waits until the server has received {@code n} WebSocket messages (its own metric says so). */
    private static void awaitReceived(ServerProcess server, int n) throws Exception {
        java.util.regex.Pattern count = java.util.regex.Pattern.compile(
                "^" + dev.vbuf.observe.MetricNames.WS_MESSAGE_BYTES + "_count\\{direction=\"in\".*} (\\S+)$",
                java.util.regex.Pattern.MULTILINE);
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        double seen = 0;
        while (System.nanoTime() < end) {
            java.util.regex.Matcher m = count.matcher(server.body("/observe/metrics"));
            seen = m.find() ? Double.parseDouble(m.group(1)) : 0;
            if (seen >= n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("server received " + seen + " of " + n + " segments");
    }

    private static List<ProcessHandle> children(ServerProcess server) {
        // after exit the server has no descendants; any FFmpeg it left would have been re-parented
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().command().map(c -> c.equals(TestMedia.FFMPEG.executable().toString()))
                        .orElse(false))
                .filter(p -> p.parent().map(pp -> pp.pid() != ProcessHandle.current().pid()).orElse(true))
                .toList();
    }

    /** The supported aliases (Cloud Run's PORT, the deployment analysis's DUBBING_* and LOG_LEVEL), on purpose. */
    @Test
    void platformAndDeploymentAnalysisNamesTakeEffect() throws Exception {
        Map<String, String> env = Map.of("PORT", String.valueOf(ServerProcess.freePort()),
                                         "DUBBING_MAX_CONCURRENT_SESSIONS", "3",
                                         "DUBBING_TARGET_LATENCY_MS", "777",
                                         "DUBBING_SESSION_TIMEOUT_MINUTES", "0.02",
                                         "VBUF_LOG_FORMAT", "json",
                                         "LOG_LEVEL", "DEBUG");
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(60)); // on the PORT we chose
            JsonNode ready = JSON.readTree(server.body("/observe/health/ready"));
            JsonNode details = ready.path("checks").path(0).path("data");
            assertThat(ready.toString(), details.path("maxConcurrent").asInt(), is(3));
            assertThat(ready.toString(), details.path("targetLatencyMs").asInt(), is(777));
            try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
                client.send(TestMedia.segment(Kind.TS_AAC, 1.0));
                assertThat(client.reply().type(), is("result"));
                long start = System.nanoTime();
                SegmentClient.Closed closed = client.awaitClose(Duration.ofSeconds(15));
                assertThat(closed.code(), is(CloseCodes.GOING_AWAY));
                assertThat((System.nanoTime() - start) / 1_000_000, greaterThanOrEqualTo(1000L));
            }
            // VBUF_LOG_FORMAT=json: every line vbuf logs is one JSON object with a severity; session lines carry the id
            Thread.sleep(300);
            boolean sawSessionId = false;
            for (String line : server.log().split("\n")) {
                if (!line.startsWith("{")) {
                    continue;
                }
                JsonNode entry = JSON.readTree(line);
                assertThat(line, entry.hasNonNull("severity"), is(true));
                assertThat(line, entry.hasNonNull("message"), is(true));
                sawSessionId |= entry.hasNonNull("sessionId");
            }
            assertThat("a log line with a sessionId:\n" + server.log(), sawSessionId, is(true));
            long nonJson = server.log().lines().filter(l -> !l.isBlank() && !l.startsWith("{")).count();
            assertThat("non-JSON lines:\n" + server.log(), nonJson, is(0L));
            assertThat("supported aliases are read without a warning:\n" + server.log(),
                       server.log().contains("Environment variable"), is(false));
        }
    }

    @Test
    void requiredFfmpegVersionMismatchFailsTheStartWithAClearMessage() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of("VBUF_FFMPEG_REQUIRED_VERSION", "4.4.2"))) {
            assertThat("the server exits within 60 s of SIGTERM",
                       server.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS), is(true));
            assertThat(server.process().exitValue(), is(1));
            assertThat(server.log(), containsString("VBUF_FFMPEG_REQUIRED_VERSION=4.4.2"));
            assertThat(server.log(), containsString(TestMedia.FFMPEG.version()));
        }
        try (ServerProcess server = ServerProcess.start(Map.of("VBUF_FFMPEG_REQUIRED_VERSION",
                                                               TestMedia.FFMPEG.version()))) {
            server.awaitReady(Duration.ofSeconds(60));
        }
    }

    /** README's main job, as a real process: {@code vbuf demo} (shortened) writes its audio and a summary. */
    @Test
    void demoRunsTheMainJobEndToEnd() throws Exception {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("vbuf-demo", ".m4a");
        Process demo = new ProcessBuilder(ServerProcess.mainCommand("demo", "--seconds", "12", "--out",
                                                                    out.toString()))
                .redirectErrorStream(true).start();
        String output = new String(demo.getInputStream().readAllBytes());
        assertThat("the demo exits within 120 s", demo.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), is(true));
        assertThat(output, demo.exitValue(), is(0));
        assertThat(output, containsString("| ok "));
        assertThat(output, containsString("audio written to"));
        assertThat(new dev.vbuf.tools.AudioProbe(TestMedia.TOOL).probe(out, List.of()).codec(), is("aac"));
        java.nio.file.Files.deleteIfExists(out);
    }

    @Test
    void missingFfmpegPathFailsTheStartWithAClearMessage() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of("VBUF_FFMPEG_PATH", "/nonexistent/ffmpeg"))) {
            assertThat("the server exits within 60 s of SIGTERM",
                       server.process().waitFor(60, java.util.concurrent.TimeUnit.SECONDS), is(true));
            assertThat(server.process().exitValue(), is(1));
            assertThat(server.log(), containsString("VBUF_FFMPEG_PATH=/nonexistent/ffmpeg is not an executable file"));
        }
    }
}
