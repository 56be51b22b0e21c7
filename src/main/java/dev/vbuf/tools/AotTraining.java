package dev.vbuf.tools;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.log.LogSetup;
import dev.vbuf.log.ShutdownSafeLogManager;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;

/**
 * The training run for the JVM's ahead-of-time cache (JDK 25 {@code -XX:AOTCacheOutput}, or a CDS archive with
 * {@code -XX:ArchiveClassesAtExit} on 21): starts a real server the way {@code serve} does (configuration, logging,
 * FFmpeg located and version-checked, Helidon, the self-test), then uses it as clients and probes do — the health and
 * metrics endpoints, one HTTP segment per output format, one WebSocket session — and drains and stops it. The classes
 * all that loads and links go into the cache, so a later {@code serve} with the cache finds them ready.
 *
 * <p>Run by the build: {@code java -XX:AOTCacheOutput=target/vbuf.aot -cp target/vbuf.jar
 * dev.vbuf.tools.AotTraining} (the same class path as {@code java -jar target/vbuf.jar}), and for the image with the
 * image's own Java runtime and class path ({@code src/main/container/aot-cache.sh}). Exits 1 if anything fails.
 */
public final class AotTraining {
    private AotTraining() {
    }

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
        try {
            VbufConfig config = VbufConfig.load(System.getenv(), Map.of(Setting.PORT.key(), "0",
                                                                        Setting.HOST.key(), "127.0.0.1"));
            LogSetup.configure(config.log().format(), "WARNING");
            VbufServer server = VbufServer.start(config);
            try {
                exercise(server);
            } finally {
                server.drainAndStop();
            }
        } catch (Exception e) {
            System.err.println("vbuf AOT training run failed: " + e);
            System.exit(1);
        }
        System.exit(0);
    }

    private static void exercise(VbufServer server) throws Exception {
        byte[] segment = ProcessRunner.of(FfmpegCommand.selfTestSegment(server.ffmpeg().executable().toString()))
                .deadline(Duration.ofSeconds(30))
                .run()
                .stdout();
        String base = "http://127.0.0.1:" + server.port();
        HttpClient http = HttpClient.newHttpClient();
        for (String path : new String[] {"/observe/health/ready", "/observe/health/started", "/observe/health/live",
                                         "/observe/health", "/health", "/observe/metrics"}) {
            expect(http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                             HttpResponse.BodyHandlers.ofString()), path);
        }
        for (OutputFormat f : OutputFormat.values()) {
            String path = "/v1/segments?format=" + f.wireName();
            expect(http.send(HttpRequest.newBuilder(URI.create(base + path))
                                     .POST(HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                             HttpResponse.BodyHandlers.ofByteArray()), "POST " + path);
        }
        try (SegmentClient ws = SegmentClient.connect(server.port(), "format=aac")) {
            ws.send(segment);
            SegmentClient.Reply reply = ws.reply(Duration.ofSeconds(30));
            if (!Protocol.RESULT_MESSAGE.equals(reply.type())) {
                throw new IllegalStateException("WebSocket segment answered " + reply);
            }
        }
    }

    private static void expect(HttpResponse<?> response, String what) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException(what + " answered " + response.statusCode());
        }
    }
}
