package dev.vbuf.contract.release;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.vbuf.config.Setting;
import dev.vbuf.release.DeployPhase;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestMedia;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/**
 * The verify command of {@code cloudrun/skaffold.yaml}, run here as Cloud Deploy runs it: its own arguments, with
 * {@code CLOUD_DEPLOY_PHASE} and {@code CLOUD_RUN_SERVICE_URLS} set, against a real local server. In the stable
 * phase it must test the service URL (the canary tag is gone then): it passes against a healthy server and fails
 * against one whose FFmpeg fails; in a canary phase a URL that cannot carry the tag is a one-line error.
 *
 * <p>Two arguments change, and only these: {@code --seconds} is shortened, and {@code --secret-key-from} (Secret
 * Manager answers only on Google Cloud) gives way to the same key in {@code VBUF_AUTH_SECRET_KEY}, on both sides.
 */
class SkaffoldVerifyTest {
    private static final String KEY = "skaffold-verify-test-key-0123456789abcdef";

    @TempDir
    Path dir;

    /** skaffold.yaml's verify arguments, shortened to {@code seconds}, the Secret Manager key swapped out. */
    static List<String> skaffoldArgs(String seconds) throws Exception {
        JsonNode container = new YAMLMapper().readTree(ReleaseFilesTest.SKAFFOLD.toFile()).path("verify").path(0)
                .path("container");
        List<String> given = new ArrayList<>();
        container.path("args").forEach(a -> given.add(a.asText()));
        assertThat(given, hasItem("--secret-key-from"));
        assertThat("no fixed tag: the phase decides the URL", given, not(hasItem("--tag")));
        assertThat("no fixed URL either", given, not(hasItem("--url")));
        List<String> args = new ArrayList<>();
        for (int i = 0; i < given.size(); i++) {
            switch (given.get(i)) {
                case "--secret-key-from" -> i++;
                case "--seconds" -> {
                    args.add("--seconds");
                    args.add(seconds);
                    i++;
                }
                default -> args.add(given.get(i));
            }
        }
        return args;
    }

    record Run(int exit, String output) {
    }

    static Run verify(String phase, String serviceUrls) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ServerProcess.mainCommand(skaffoldArgs("6").toArray(String[]::new)))
                .redirectErrorStream(true);
        pb.environment().put(DeployPhase.PHASE_ENV, phase);
        pb.environment().put(DeployPhase.SERVICE_URLS_ENV, serviceUrls);
        pb.environment().put(Setting.SECRET_KEY.envVar(), KEY);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat("verify finished", p.waitFor(3, TimeUnit.MINUTES), is(true));
        return new Run(p.exitValue(), out);
    }

    @Test
    void inTheStablePhaseItVerifiesTheServiceUrlAndPassesAgainstAHealthyServer() throws Exception {
        try (ServerProcess server = ServerProcess.start(Map.of(Setting.SECRET_KEY.envVar(), KEY))) {
            server.awaitReady(Duration.ofSeconds(60));
            Run r = verify(DeployPhase.STABLE, "http://127.0.0.1:" + server.port());
            assertThat(r.output(), r.exit(), is(0));
            assertThat(r.output(), containsString("vbuf verify: ws://127.0.0.1:" + server.port() + "/v1/segments, 8"
                                                  + " players"));
            assertThat(r.output(), containsString("vbuf verify: PASS"));
        }
    }

    @Test
    void inTheStablePhaseItFailsAgainstAServerWhoseFfmpegFails() throws Exception {
        Path armed = dir.resolve("armed");
        Path wrapper = dir.resolve("ffmpeg");
        // the real FFmpeg for the server's start-up self-test; once armed, every segment read from stdin fails
        Files.writeString(wrapper, """
                #!/bin/sh
                case " $* " in
                  *" pipe:0 "*) [ -e "%s" ] && { echo "injected failure" >&2; exit 1; } ;;
                esac
                exec "%s" "$@"
                """.formatted(armed, TestMedia.FFMPEG.executable()));
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ServerProcess server = ServerProcess.start(Map.of(Setting.SECRET_KEY.envVar(), KEY,
                                                               Setting.FFMPEG_PATH.envVar(), wrapper.toString()))) {
            server.awaitReady(Duration.ofSeconds(60));
            Files.createFile(armed);
            Run r = verify(DeployPhase.STABLE, "http://127.0.0.1:" + server.port());
            assertThat(r.output(), r.exit(), is(1));
            assertThat(r.output(), containsString("vbuf verify: FAIL: error share 1.000 > 0.10"));
        }
    }

    @Test
    void inACanaryPhaseAUrlThatCannotCarryTheTagIsAOneLineError() throws Exception {
        Run r = verify("canary-10", "http://127.0.0.1:" + ServerProcess.freePort());
        assertThat(r.output(), r.exit(), is(2));
        assertThat(r.output(), containsString("vbuf verify: CLOUD_DEPLOY_PHASE=canary-10 needs the revision tag"
                                              + " 'canary'"));
        assertThat("no stack trace", r.output(), not(containsString("Exception")));
        assertThat("no stack trace", r.output(), not(containsString("\tat ")));
    }
}
