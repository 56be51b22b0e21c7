package dev.vbuf.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import dev.vbuf.config.Setting;
import dev.vbuf.release.ReleaseSlo;
import dev.vbuf.release.VerifyRun;
import dev.vbuf.testing.FaultProxy;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestMedia;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * The release gate run for real, as its own process ({@code java ... dev.vbuf.Main verify}), against a real server:
 * it passes against a healthy vbuf, and fails against one whose FFmpeg fails every third segment (a wrapper around
 * the real FFmpeg, set through the server's FFmpeg path variable) and against one that is not there at all.
 */
class VerifyCommandTest {
    @TempDir
    Path dir;

    static List<String> verify(int port, String... extra) {
        List<String> args = new ArrayList<>(List.of("verify", "--url", "ws://127.0.0.1:" + port + "/v1/segments",
                                                    "--seconds", "6", "--sessions", "2", "--segment-seconds", "1"));
        args.addAll(List.of(extra));
        return ServerProcess.mainCommand(args.toArray(String[]::new));
    }

    record Run(int exit, String output) {
    }

    static Run run(List<String> cmd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove(Setting.SECRET_KEY.envVar());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat("verify finished", p.waitFor(2, TimeUnit.MINUTES), is(true));
        return new Run(p.exitValue(), out);
    }

    @Test
    void passesAgainstAHealthyServer() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of())) {
            server.awaitReady(Duration.ofSeconds(60));
            Run r = run(verify(server.port()));
            assertThat(r.output(), r.exit(), is(VerifyCommand.EXIT_PASS));
            assertThat(r.output(), containsString("vbuf verify: PASS"));
            assertThat(r.output(), containsString("error share <= 0.10, p95 <= 3000 ms (from the rollback alerts)"));
        }
    }

    /**
     * A network that cuts every connection after 2-3 s is not a failed release: the players resume (asking the
     * {@code --token-command} before each connect) and the check passes, reporting the reconnects.
     */
    @Test
    void passesThroughCutConnectionsAndReportsTheReconnects() throws Exception {
        Path connects = dir.resolve("connects");
        try (ServerProcess server = ServerProcess.start(Map.of())) {
            server.awaitReady(Duration.ofSeconds(60));
            try (FaultProxy proxy = FaultProxy.start(server.port(), FaultProxy.Faults.cutEvery(2_000, 3_000, 5))) {
                Run r = run(verify(proxy.port(), "--token-command", "date >> " + connects));
                System.out.println(r.output());
                assertThat(r.output(), r.exit(), is(VerifyCommand.EXIT_PASS));
                assertThat(r.output(), containsString("vbuf verify: PASS"));
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("reconnects (\\d+)").matcher(r.output());
                assertThat(r.output(), m.find(), is(true));
                int reconnects = Integer.parseInt(m.group(1));
                assertThat(r.output(), reconnects, org.hamcrest.Matchers.greaterThanOrEqualTo(2));
                assertThat("the token command ran before every connect", Files.readAllLines(connects).size(),
                           org.hamcrest.Matchers.greaterThanOrEqualTo(2 + reconnects));
                assertThat(proxy.cuts(), org.hamcrest.Matchers.greaterThanOrEqualTo(2));
            }
        }
    }

    @Test
    void failsWhenFfmpegFailsAShareOfSegments() throws Exception {
        Path calls = Files.createDirectories(dir.resolve("calls"));
        Path wrapper = dir.resolve("ffmpeg");
        Files.writeString(wrapper, """
                #!/bin/sh
                # the real FFmpeg, except that once armed (after the server's self-test) every third run reading a
                # segment from stdin fails
                case " $* " in
                  *" pipe:0 "*)
                    [ -e "%1$s.armed" ] || exec "%2$s" "$@"
                    mktemp "%1$s/call.XXXXXX" >/dev/null
                    n=$(ls "%1$s" | wc -l)
                    if [ $((n %% 3)) -eq 0 ]; then echo "injected failure" >&2; exit 1; fi ;;
                esac
                exec "%2$s" "$@"
                """.formatted(calls, TestMedia.FFMPEG.executable()));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerProcess server = ServerProcess.start(Map.of(Setting.FFMPEG_PATH.envVar(), wrapper.toString()))) {
            server.awaitReady(Duration.ofSeconds(60));
            Files.createFile(Path.of(calls + ".armed"));
            Run r = run(verify(server.port()));
            assertThat(r.output(), r.exit(), is(VerifyCommand.EXIT_FAIL));
            assertThat(r.output(), containsString("vbuf verify: FAIL: error share 0.3"));
            assertThat("says how long a bad revision keeps its open sessions", r.output(),
                       containsString("stay on it until they close (at most the request timeout, 3600 s)"));
        }
    }

    @Test
    void failsAfterThreeFailedReadinessChecksWhenNothingAnswers() throws Exception {
        Run r = run(verify(ServerProcess.freePort()));
        assertThat(r.output(), r.exit(), is(VerifyCommand.EXIT_FAIL));
        assertThat(r.output(), containsString("failed 3 checks in a row"));
    }

    @Test
    void servesTheCheckAsAWebhookForFlagger() throws Exception {
        int hookPort = ServerProcess.freePort();
        ProcessBuilder pb = new ProcessBuilder(ServerProcess.mainCommand("verify", "--serve", String.valueOf(hookPort),
                                                                         "--segment-seconds", "1"))
                .redirectErrorStream(true).redirectOutput(dir.resolve("webhook.log").toFile());
        Process hook = pb.start();
        try (ServerProcess server = ServerProcess.start(Map.of())) {
            server.awaitReady(Duration.ofSeconds(60));
            var http = java.net.http.HttpClient.newHttpClient();
            URI uri = URI.create("http://127.0.0.1:" + hookPort + "/");
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) { // until the webhook listens
                try {
                    http.send(java.net.http.HttpRequest.newBuilder(URI.create(uri + "healthz")).build(),
                              java.net.http.HttpResponse.BodyHandlers.discarding());
                    break;
                } catch (java.io.IOException e) {
                    assertThat("webhook up within 30 s", System.nanoTime() < end, is(true));
                    Thread.sleep(200);
                }
            }
            // Flagger's payload: name, namespace, phase, metadata (strings)
            String payload = """
                    {"name":"vbuf","namespace":"vbuf","phase":"Progressing",
                     "metadata":{"url":"ws://127.0.0.1:%d/v1/segments","seconds":"4","sessions":"1"}}"""
                    .formatted(server.port());
            var ok = http.send(java.net.http.HttpRequest.newBuilder(uri)
                                       .POST(java.net.http.HttpRequest.BodyPublishers.ofString(payload)).build(),
                               java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ok.body(), ok.statusCode(), is(200));
            assertThat(ok.body(), containsString("vbuf verify: PASS"));
            String nowhere = payload.replace(":" + server.port() + "/", ":" + ServerProcess.freePort() + "/");
            var bad = http.send(java.net.http.HttpRequest.newBuilder(uri)
                                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(nowhere)).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(bad.body(), bad.statusCode(), is(500));
        } finally {
            hook.destroyForcibly().waitFor();
        }
    }

    @Test
    void addressesACloudRunRevisionTag() {
        assertThat(VerifyCommand.target(null, "canary", "https://vbuf-abc-ew.a.run.app,https://vbuf-1234.europe-west1.run.app"),
                   is(Optional.of(URI.create("wss://canary---vbuf-abc-ew.a.run.app/v1/segments"))));
        assertThat(VerifyRun.healthUrlFor(URI.create("wss://canary---vbuf-abc-ew.a.run.app/v1/segments")),
                   is(URI.create("https://canary---vbuf-abc-ew.a.run.app/observe/health/ready")));
        assertThat(VerifyCommand.target(null, null, null), is(Optional.empty()));
    }

    @Test
    void theSloIsTheRollbackAlertsOfTheRulesFile() throws Exception {
        try (var in = Files.newInputStream(Path.of("k8s/monitoring/vbuf.rules.yaml"))) {
            assertThat(ReleaseSlo.bundled(), is(ReleaseSlo.fromRules(in)));
        }
        assertThat(ReleaseSlo.bundled(), is(new ReleaseSlo(0.10, 3)));
    }
}
