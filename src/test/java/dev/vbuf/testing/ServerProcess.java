package dev.vbuf.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.config.Setting;

/**
 * vbuf in its own JVM, started the way a user starts it ({@code dev.vbuf.Main}) with a given environment: for what
 * only a real process shows (environment variables, SIGTERM, exit codes, logs on stderr).
 */
public final class ServerProcess implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final int port;
    private final Path log;

    private ServerProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts the server with the given environment. The port is the one given (by {@code VBUF_SERVER_PORT}, or by an
     * alias such as {@code PORT}), else a free one chosen here.
     */
    public static ServerProcess start(Map<String, String> env) throws IOException {
        List<String> portVars = new ArrayList<>(List.of(Setting.PORT.envVar()));
        Setting.PORT.aliases().forEach(a -> portVars.add(a.name()));
        String given = portVars.stream().filter(env::containsKey).findFirst().orElse(null);
        int port = given != null ? Integer.parseInt(env.get(given)) : freePort();
        ProcessBuilder pb = new ProcessBuilder(mainCommand());
        portVars.forEach(pb.environment()::remove); // none inherited from the JVM running the tests
        pb.environment().putAll(env);
        if (given == null) {
            pb.environment().put(Setting.PORT.envVar(), String.valueOf(port));
        }
        pb.environment().putIfAbsent(Setting.HOST.envVar(), "127.0.0.1");
        Path log = Files.createTempFile("vbuf-server", ".log");
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return new ServerProcess(pb.start(), port, log);
    }

    /** {@code java -cp <this test class path> dev.vbuf.Main args...}, with the JVM running the tests. */
    public static List<String> mainCommand(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", classpath, "dev.vbuf.Main"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public int port() {
        return port;
    }

    public Process process() {
        return process;
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    /** Status of GET path, or -1 if nothing answers. */
    public int status(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                     .timeout(Duration.ofSeconds(5)).build(),
                             HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    public String body(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                         HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Waits until /health answers 200. */
    public void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (!process.isAlive()) {
                throw new AssertionError("server exited with " + process.exitValue() + ":\n" + log());
            }
            if (status("/health") == 200) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("server not ready within " + timeout + ":\n" + log());
    }

    /** FFmpeg processes that are children of the server right now. */
    public List<ProcessHandle> ffmpegChildren() {
        return process.toHandle().descendants()
                .filter(p -> p.info().command().map(c -> c.endsWith("/ffmpeg")).orElse(false))
                .toList();
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor();
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // temp file
        }
    }
}
