package dev.vbuf.server;

import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.admission.SegmentGate;
import dev.vbuf.api.Protocol;
import dev.vbuf.api.SegmentApi;
import dev.vbuf.api.SessionRegistry;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.core.OutputFormat;
import dev.vbuf.observe.VbufHealth;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.core.SegmentException;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.websocket.WsConfig;

/**
 * One running vbuf: FFmpeg located and self-tested, the admission gate, the segment API, health and metrics. Built by
 * {@link #start}, which is what {@code Main} and the tests call, so the tests exercise the real wiring.
 */
public final class VbufServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VbufServer.class.getName());
    /** A guess at FFmpeg's time per segment until the first real ones are measured. */
    private static final Duration INITIAL_SERVICE_TIME = Duration.ofMillis(200);

    private final VbufConfig config;
    private final FfmpegBinary ffmpeg;
    private final SegmentGate gate;
    private final SegmentProcessor processor;
    private final SessionRegistry sessions;
    private final VbufHealth health;
    private final WebServer server;
    private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean stopped;

    private VbufServer(VbufConfig config, FfmpegBinary ffmpeg) {
        this.config = config;
        this.ffmpeg = ffmpeg;
        VbufMetrics metrics = VbufMetrics.get();
        metrics.ffmpegVersion(ffmpeg.version());
        this.gate = new SegmentGate(config.maxConcurrent(), config.queueCapacity(), INITIAL_SERVICE_TIME);

        SegmentProcessor processor = new SegmentProcessor(ffmpeg, gate, config.targetLatency(), config.ffmpegTimeout(),
                                                          config.maxSegmentBytes(), config.ffmpegMaxOutputBytes(),
                                                          metrics);
        this.sessions = new SessionRegistry(config.sessionTimeout());
        this.health = new VbufHealth(ffmpeg, gate, config.targetLatency());
        metrics.bindGauges(gate::running, gate::queued, health::ready);
        SegmentApi api = new SegmentApi(processor, sessions, metrics, config.perSession(),
                                        AccessPolicy.of(config));

        WebServerConfig.Builder builder = WebServer.builder()
                .config(config.helidon().get("server"))
                .host(config.host())
                .port(config.port())
                .shutdownHook(false) // vbuf drains itself on SIGTERM (see Main)
                // Helidon's own idle-connection reaper must not cut sessions before vbuf's idle timeout does.
                .idleConnectionTimeout(config.sessionTimeout().plusMinutes(5))
                // HTTP bodies up to twice the limit are read and answered with vbuf's own 413; beyond, Helidon's 413.
                .maxPayloadSize(2L * config.maxSegmentBytes())
                // ... and a body declared larger than that is refused by Helidon before any handler: same JSON answer
                .directHandlers(DirectHandlers.builder()
                                        .addHandler(DirectHandler.EventType.BAD_REQUEST,
                                                    SegmentApi.badRequest(config.maxSegmentBytes()))
                                        .build())
                .addProtocol(WsConfig.builder().maxFrameLength(config.maxFrameBytes()).build())
                .featuresDiscoverServices(false)
                .addFeature(ObserveFeature.just(health.observer(), MetricsObserver.create()))
                .routing(r -> {
                    r.get("/health", health::legacyHealth);
                    api.http(r);
                })
                .addRouting(api.ws());
        this.server = builder.build();
        this.processor = processor;
    }

    /**
     * Locates FFmpeg (failing on a version mismatch), starts the server, runs the self-test, then reports started.
     *
     * @throws IllegalStateException FFmpeg unusable or the self-test failed; the message says why
     */
    public static VbufServer start(VbufConfig config) {
        FfmpegBinary ffmpeg = FfmpegBinary.locate(config.ffmpegPath(), config.ffmpegRequiredVersion());
        LOG.log(Level.INFO, "FFmpeg " + ffmpeg.version() + " (" + ffmpeg.source() + "): " + ffmpeg.executable());
        VbufServer s = new VbufServer(config, ffmpeg);
        s.server.start();
        LOG.log(Level.INFO, "listening on " + config.host() + ":" + s.port() + "; " + config.maxConcurrent()
                            + " concurrent FFmpeg processes, queue " + config.queueCapacity() + ", budget "
                            + config.targetLatency().toMillis() + " ms");
        try {
            s.runSelfTest();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        s.health.started();
        LOG.log(Level.INFO, "self-test passed; ready");
        return s;
    }

    /** Runs a tiny generated segment through every output format. */
    private void runSelfTest() {
        byte[] segment = generateSelfTestSegment();
        for (OutputFormat f : OutputFormat.values()) {
            try {
                processor.process(segment, f, System.nanoTime());
            } catch (SegmentException e) {
                throw new IllegalStateException("FFmpeg self-test failed for format " + f + ": " + e.code() + ": "
                                                + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the FFmpeg self-test");
            }
        }
    }

    private byte[] generateSelfTestSegment() {
        List<String> cmd = List.of(ffmpeg.executable().toString(), "-hide_banner", "-nostdin", "-loglevel", "error",
                                   "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=0.5",
                                   "-c:a", "aac", "-f", "mpegts", "pipe:1");
        try {
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out;
            try (InputStream in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0 || out.length == 0) {
                p.destroyForcibly();
                throw new IllegalStateException("FFmpeg could not generate the self-test segment: " + cmd);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run FFmpeg for the self-test: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the FFmpeg self-test");
        }
    }

    public int port() {
        return server.port();
    }

    /** The admission gate (tests read its counters). */
    public SegmentGate gate() {
        return gate;
    }

    /** Open WebSocket sessions. */
    public int sessionCount() {
        return sessions.size();
    }

    /** Segments received and not answered yet. */
    public int unanswered() {
        return sessions.unanswered();
    }

    public FfmpegBinary ffmpeg() {
        return ffmpeg;
    }

    public VbufConfig config() {
        return config;
    }

    /**
     * The SIGTERM path: readiness goes down and new segments are refused at once; segments already accepted get up to
     * the grace period to finish and be answered; then every session is closed with 1001, the server stops, and no
     * FFmpeg process is left.
     */
    public void drainAndStop() {
        if (!draining.compareAndSet(false, true) || stopped) {
            return; // a second signal, or already stopped
        }
        LOG.log(Level.INFO, "draining: " + sessions.unanswered() + " segments to answer, grace "
                            + config.shutdownGrace().toMillis() + " ms");
        gate.beginDrain(); // also refuses new sessions (Access.upgradeRefusal)
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        waitUntil(() -> sessions.unanswered() == 0, deadline);
        if (sessions.unanswered() > 0) {
            LOG.log(Level.WARNING, "grace period over with " + sessions.unanswered()
                                   + " segments unanswered; stopping their FFmpeg processes");
            processor.killAll(); // their segments are answered `internal`
            waitUntil(() -> sessions.unanswered() == 0, System.nanoTime() + Duration.ofSeconds(1).toNanos());
        }
        sessions.closeAll(Protocol.CLOSE_GOING_AWAY, "server shutting down");
        waitUntil(() -> sessions.size() == 0, System.nanoTime() + Duration.ofSeconds(1).toNanos());
        close();
        LOG.log(Level.INFO, "stopped");
    }

    private static void waitUntil(java.util.function.BooleanSupplier done, long deadlineNanos) {
        while (!done.getAsBoolean() && System.nanoTime() < deadlineNanos) {
            sleepBriefly();
        }
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops at once: the server, the sessions, every FFmpeg process. */
    @Override
    public void close() {
        if (stopped) {
            return;
        }
        stopped = true;
        gate.beginDrain();
        server.stop();
        sessions.close();
        // No new permits after beginDrain; a segment admitted just before may still be starting its process, so kill
        // until none is left.
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        do {
            processor.killAll();
            if (gate.running() == 0) {
                break;
            }
            sleepBriefly();
        } while (System.nanoTime() < deadline);
    }
}
