package dev.vbuf.perf;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.vbuf.config.Setting;

/** A vbuf server in its own process (this JVM's class path), so its CPU and resources are measured apart from the client. */
final class ServerUnderTest implements AutoCloseable {
    /** System property: JVM options for the server process, split at white space (bench --server-jvm-opts). */
    static final String JVM_OPTS_PROPERTY = "vbuf.bench.server-jvm-opts";

    private final Process process;
    private final int port;

    private ServerUnderTest(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * A server for a benchmark client, which is not a player: the per-session segment rate limit is lifted (the
     * client sends as fast as the server answers). {@code env} adds to or overrides that.
     */
    static ServerUnderTest startUnthrottled(Map<String, String> env) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(Map.of(Setting.SESSION_RATE.envVar(), "100000",
                                                                 Setting.SESSION_BURST.envVar(), "100000"));
        all.putAll(env);
        return start(all);
    }

    static ServerUnderTest start(Map<String, String> env) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(javaBin));
        String opts = System.getProperty(JVM_OPTS_PROPERTY, "").strip();
        if (!opts.isEmpty()) {
            cmd.addAll(List.of(opts.split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.vbuf.Main", "serve"));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.environment().put(Setting.PORT.envVar(), String.valueOf(port));
        pb.environment().put(Setting.HOST.envVar(), "127.0.0.1");
        pb.environment().put(Setting.LOG_LEVEL.envVar(), "WARNING");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        ServerUnderTest s = new ServerUnderTest(pb.start(), port);
        var http = java.net.http.HttpClient.newHttpClient();
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < end) {
            try {
                if (http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + port + "/health")).build(),
                              java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return s;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            if (!s.process.isAlive()) {
                throw new IllegalStateException("server exited with " + s.process.exitValue());
            }
            Thread.sleep(100);
        }
        s.close();
        throw new IllegalStateException("server not ready within 60 s");
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    double[] cpuMs() throws IOException {
        return SegmentBench.procCpuMs(String.valueOf(process.pid()));
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
