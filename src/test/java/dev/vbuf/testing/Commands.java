package dev.vbuf.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.process.ProcessRunner;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Runs the external tools the consistency tests use (promtool, node, kubectl), with a clear failure. */
public final class Commands {
    private Commands() {
    }

    /**
     * Where {@code .ci/install --for-tests} puts the test suite's npm packages ({@code node_modules} inside it):
     * {@code $VBUF_TOOLS_DIR}, else {@code ~/.cache/vbuf-tools}.
     */
    public static Path toolsDir() {
        return Path.of(System.getenv().getOrDefault("VBUF_TOOLS_DIR",
                                                    System.getProperty("user.home") + "/.cache/vbuf-tools"));
    }

    /** True when the tests run under CI ({@code CI} set), where a missing tool is a failure, not a skip. */
    public static boolean underCi() {
        String ci = System.getenv("CI");
        return ci != null && !ci.isBlank() && !ci.equalsIgnoreCase("false");
    }

    public static boolean onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code cmd}, asserts it exits 0 within two minutes, and returns stdout and stderr together. */
    public static String run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        List<String> withEnv = new ArrayList<>();
        if (!env.isEmpty()) { // env(1) sets them for the child alone, and the one process runner stays as it is
            withEnv.add("env");
            env.forEach((k, v) -> withEnv.add(k + "=" + v));
        }
        withEnv.addAll(cmd);
        if (!new File(cmd.get(0)).isAbsolute() && !onPath(cmd.get(0))) {
            throw new AssertionError(cmd.get(0) + " is not installed: run `bash .ci/install` (it installs it)");
        }
        ProcessRunner.Result r = ProcessRunner.of(withEnv).deadline(Duration.ofMinutes(2)).run();
        String out = r.stdoutText() + r.stderrTail();
        assertThat("finished within 2 min: " + cmd, r.stop(), is(ProcessRunner.Stop.NONE));
        assertThat(String.join(" ", cmd) + " failed:\n" + out, r.exitCode(), is(0));
        return out;
    }
}
