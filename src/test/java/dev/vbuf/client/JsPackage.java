package dev.vbuf.client;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import dev.vbuf.process.ProcessRunner;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.TestMedia;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the JavaScript client package's tests share: where it is, node with {@code ws} in reach, test segments. */
final class JsPackage {
    /** The package's directory. */
    static final Path DIR = Path.of("src/main/js/vbuf-client").toAbsolutePath();
    /** Length of each test segment: the chirp's keyframe interval, so the segment muxer cuts there. */
    static final int SEGMENT_SECONDS = 2;

    private JsPackage() {
    }

    /** Skips without node or {@code ws} (installed by {@code .ci/install --for-tests}), except under CI. */
    static void assumeNodeAndWs() {
        List<String> missing = new ArrayList<>();
        if (!Commands.onPath("node")) {
            missing.add("node");
        }
        if (!Commands.onPath("npm")) {
            missing.add("npm");
        }
        if (!Files.isRegularFile(Commands.toolsDir().resolve("node_modules/ws/package.json"))) {
            missing.add("ws (npm, in " + Commands.toolsDir() + ")");
        }
        String message = "the JavaScript client's tests need " + String.join(", ", missing)
                         + ": run `bash .ci/install --for-tests`, which installs them";
        if (Commands.underCi()) {
            assertThat(message, missing, is(empty()));
        }
        assumeTrue(missing.isEmpty(), message);
    }

    /**
     * {@code count} consecutive MPEG-TS segments of {@link #SEGMENT_SECONDS} (H.264 + AAC chirp, one stream cut at its
     * keyframes, as a packager does) written to {@code dir} as {@code seg-0.ts}, {@code seg-1.ts}, …
     */
    static List<Path> segments(Path dir, int count) throws IOException, InterruptedException {
        Path source = TestMedia.chirp(count * SEGMENT_SECONDS, false);
        ProcessRunner.Result r = ProcessRunner.of(List.of(
                        TestMedia.TOOL.executable().toString(), "-hide_banner", "-nostdin", "-loglevel", "error",
                        "-i", source.toString(), "-map", "0", "-c", "copy", "-f", "segment",
                        "-segment_time", String.valueOf(SEGMENT_SECONDS), "-segment_format", "mpegts",
                        dir.resolve("seg-%d.ts").toString()))
                .deadline(Duration.ofMinutes(1)).run();
        assertThat("segmenting: " + r.stderrTail(), r.succeeded(), is(true));
        List<Path> made = IntStream.range(0, count).mapToObj(i -> dir.resolve("seg-" + i + ".ts")).toList();
        for (Path p : made) {
            assertThat(p + " made", Files.isRegularFile(p), is(true));
        }
        return made;
    }

    static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs node with {@code args}, {@code ws} reachable through NODE_PATH, and {@code env}; fails on a deadline. */
    static ProcessRunner.Result node(List<String> args, Map<String, String> env, Duration deadline)
            throws IOException, InterruptedException {
        return tool("node", args, env, deadline);
    }

    /** Runs {@code command} (node or npm) with {@code env} and NODE_PATH set to the test tools. */
    static ProcessRunner.Result tool(String command, List<String> args, Map<String, String> env, Duration deadline)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("env", "NODE_PATH=" + Commands.toolsDir().resolve("node_modules")));
        env.forEach((k, v) -> cmd.add(k + "=" + v));
        cmd.add(command);
        cmd.addAll(args);
        return ProcessRunner.of(cmd).deadline(deadline).maxStdoutBytes(4 << 20).stderrTailChars(64 << 10).run();
    }
}
