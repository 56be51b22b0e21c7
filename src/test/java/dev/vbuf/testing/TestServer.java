package dev.vbuf.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.server.ServerParts;
import dev.vbuf.server.VbufServer;

import io.helidon.webserver.WebServer;

/** Starts the real server in this JVM on an ephemeral port, with the given settings. */
public final class TestServer {
    /** An FFmpeg that cannot run: a route that reached it would answer an error instead of its own answer. */
    private static final FfmpegBinary NO_FFMPEG = new FfmpegBinary(Path.of("/nonexistent/ffmpeg"), "none",
                                                                   "absent: this server never runs FFmpeg");

    private TestServer() {
    }

    public static VbufServer start(Map<Setting, String> settings) {
        return VbufServer.start(config(settings));
    }

    public static VbufServer start() {
        return start(Map.of());
    }

    /**
     * vbuf's wiring alone ({@link VbufServer#setup}) on an ephemeral port, with an FFmpeg that does not exist: for the
     * routes that answer before a segment reaches FFmpeg. No self-test runs and no FFmpeg process can start; readiness
     * stays down until {@code parts().health().started()}.
     */
    public static Wired wired(Map<Setting, String> settings) {
        ServerParts parts = ServerParts.of(config(settings), NO_FFMPEG);
        try {
            return new Wired(parts, VbufServer.setup(WebServer.builder(), parts).build().start());
        } catch (RuntimeException e) {
            parts.close();
            throw e;
        }
    }

    private static VbufConfig config(Map<Setting, String> settings) {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(Setting.PORT.key(), "0");
        overrides.put(Setting.HOST.key(), "127.0.0.1");
        settings.forEach((k, v) -> overrides.put(k.key(), v));
        return VbufConfig.load(Map.of(), overrides);
    }

    /** A web server serving {@link ServerParts} through {@link VbufServer#setup}. */
    public record Wired(ServerParts parts, WebServer server) implements AutoCloseable {
        public int port() {
            return server.port();
        }

        @Override
        public void close() {
            server.stop();
            parts.close();
        }
    }
}
