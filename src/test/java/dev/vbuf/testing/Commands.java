package dev.vbuf.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Runs the external tools the consistency tests use (promtool, node, kubectl), with a clear failure. */
public final class Commands {
    private Commands() {
    }

    /** Runs {@code cmd}, asserts it exits 0 within two minutes, and returns stdout and stderr together. */
    public static String run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new AssertionError(cmd.get(0) + " is not installed: run `bash .ci/install` (it installs it)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat("finished: " + cmd, p.waitFor(120, TimeUnit.SECONDS), is(true));
        assertThat(String.join(" ", cmd) + " failed:\n" + out, p.exitValue(), is(0));
        return out;
    }
}
