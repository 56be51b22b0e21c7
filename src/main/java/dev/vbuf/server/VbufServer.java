package dev.vbuf.server;

import dev.vbuf.protocol.CloseCodes;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.admission.SegmentBuffers;
import dev.vbuf.admission.SegmentGate;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.api.SegmentApi;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.core.SegmentException;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.observe.VbufHealth;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.player.PlayerService;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.websocket.WsConfig;

/**
 * One running vbuf: FFmpeg located and self-tested, the admission gate, the segment API, health and metrics. Built by
 * {@link #start}, which is what {@code Main} and the tests call, so the tests exercise the real wiring. Each server has
 * its own state and its own metrics; nothing is shared through JVM-wide singletons.
 */
public final class VbufServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VbufServer.class.getName());
    /** A guess at FFmpeg's time per segment until the first real ones are measured. */
    private static final Duration INITIAL_SERVICE_TIME = Duration.ofMillis(200);
    /** How long the self-test may take to make its segment. */
    private static final Duration SELF_TEST_DEADLINE = Duration.ofSeconds(30);
    /** After the grace period, how long killed segments and closing sessions get to finish. */
    private static final Duration AFTER_GRACE = Duration.ofSeconds(1);

    private final VbufConfig config;
    private final FfmpegBinary ffmpeg;
    private final SegmentGate gate;
    private final SegmentProcessor processor;
    private final SegmentApi api;
    private final VbufHealth health;
    private final VbufMetrics metrics;
    private final SegmentBuffers buffers;
    private final PlayerService player;
    private final WebServer server;
    private final Thread selfTest;
    private volatile RuntimeException selfTestFailure;
    private volatile boolean stopped;

    private VbufServer(VbufConfig config, FfmpegBinary ffmpeg) {
        this.config = config;
        this.ffmpeg = ffmpeg;
        this.gate = new SegmentGate(config.maxConcurrent(), config.queueCapacity(), INITIAL_SERVICE_TIME);
        this.health = new VbufHealth(ffmpeg.version(), gate::draining, this::readinessDetails);
        // the api is built after the metrics, whose session gauge reads it: a holder breaks the knot
        SegmentApi[] apiRef = new SegmentApi[1];
        this.buffers = new SegmentBuffers(Math.max(config.memoryBudgetBytes(), config.maxSegmentBytes()),
                                          config.maxSegmentBytes());
        this.metrics = new VbufMetrics(ffmpeg.version(), new VbufMetrics.Sources(
                gate::running, gate::queued, () -> apiRef[0] == null ? 0 : apiRef[0].sessions().size(),
                health::ready, buffers::inUseBytes));
        this.processor = new SegmentProcessor(ffmpeg, gate, config.targetLatency(), config.ffmpegTimeout(),
                                              config.maxSegmentBytes(), config.ffmpegMaxOutputBytes(), metrics);
        this.api = new SegmentApi(processor, metrics, AccessPolicy.of(config), config.perSession(),
                                  config.sessionTimeout(), gate::draining, buffers);
        apiRef[0] = api;
        this.player = new PlayerService(ffmpeg, config.playerDemoDir(), config.ffmpegTimeout());
        this.selfTest = startSelfTest();

        WsConfig ws = WsConfig.builder().maxFrameLength(config.maxFrameBytes()).build();
        RequestHeaderTimeout headerTimeout = new RequestHeaderTimeout(config.requestHeaderTimeout());
        WebServerConfig.Builder builder = WebServer.builder()
                .config(config.helidon().get("server"))
                .host(config.host())
                .port(config.port())
                .shutdownHook(false) // vbuf drains itself on SIGTERM (see Main)
                // Helidon's own idle-connection reaper must not cut sessions before vbuf's idle timeout does
                // (connections that never complete a request are closed by RequestHeaderTimeout, below).
                .idleConnectionTimeout(config.sessionTimeout().plusMinutes(5))
                // HTTP bodies up to twice the limit are read and answered with vbuf's own 413; beyond, Helidon's 413.
                .maxPayloadSize(2L * config.maxSegmentBytes())
                // ... and a body declared larger than that is refused by Helidon before any handler: same JSON answer
                .directHandlers(DirectHandlers.builder()
                                        .addHandler(DirectHandler.EventType.BAD_REQUEST,
                                                    SegmentApi.badRequest(config.maxSegmentBytes()))
                                        .build())
                // HTTP/1 is vbuf's watched selector alone (see RequestHeaderTimeout): no protocol discovery, WebSocket
                // as its one upgrade
                .protocolsDiscoverServices(false)
                .addProtocol(ws)
                .addConnectionSelector(headerTimeout.http1(WebServer.DEFAULT_SOCKET_NAME, List.of(ws)))
                .update(b -> {
                    if (config.receiveBufferBytes() > 0) {
                        b.connectionOptions(SocketOptions.builder()
                                                    .socketReceiveBufferSize(config.receiveBufferBytes())
                                                    .build());
                    }
                })
                .featuresDiscoverServices(false)
                .addFeature(ObserveFeature.just(health.observer(), MetricsObserver.create()))
                .routing(r -> {
                    r.get("/health", health::legacyHealth);
                    api.http(r);
                    r.register(PlayerService.PATH, player);
                })
                .addRouting(api.ws());
        this.server = builder.build();
    }

    private Map<String, Object> readinessDetails() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("ffmpegSource", ffmpeg.source());
        d.put("running", gate.running());
        d.put("queued", gate.queued());
        d.put("maxConcurrent", gate.maxConcurrent());
        d.put("queueCapacity", gate.queueCapacity());
        d.put("segmentMemoryInUseBytes", buffers.inUseBytes());
        d.put("segmentMemoryBudgetBytes", buffers.budgetBytes());
        d.put("targetLatencyMs", config.targetLatency().toMillis());
        return d;
    }

    /**
     * Locates FFmpeg (failing on a version mismatch), starts the server, runs the self-test, then reports started.
     *
     * @throws IllegalStateException FFmpeg unusable or the self-test failed; the message says why
     */
    public static VbufServer start(VbufConfig config) {
        FfmpegBinary ffmpeg = FfmpegBinary.locate(config.ffmpegPath(), Setting.FFMPEG_PATH.envVar(),
                                                  config.ffmpegRequiredVersion(),
                                                  Setting.FFMPEG_REQUIRED_VERSION.envVar());
        LOG.log(Level.INFO, "FFmpeg " + ffmpeg.version() + " (" + ffmpeg.source() + "): " + ffmpeg.executable());
        VbufServer s = new VbufServer(config, ffmpeg); // the self-test starts in there, while Helidon is built
        try {
            s.server.start();
            LOG.log(Level.INFO, "listening on " + config.host() + ":" + s.port() + "; " + config.maxConcurrent()
                                + " concurrent FFmpeg processes, queue " + config.queueCapacity() + ", budget "
                                + config.targetLatency().toMillis() + " ms");
            s.awaitSelfTest();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        s.health.started();
        LOG.log(Level.INFO, "self-test passed; ready");
        return s;
    }

    /**
     * Starts the self-test on its own thread, so that its FFmpeg processes run while the JVM is still busy loading and
     * building Helidon (on 2 CPUs the two overlap well: one is FFmpeg's, the other the JVM's).
     */
    private Thread startSelfTest() {
        return Thread.ofVirtual().name("vbuf-self-test").start(() -> {
            try {
                runSelfTest();
            } catch (RuntimeException e) {
                selfTestFailure = e;
            }
        });
    }

    /** Waits for the self-test started by the constructor; its failure is thrown here. */
    private void awaitSelfTest() {
        try {
            if (!selfTest.join(SELF_TEST_DEADLINE.multipliedBy(2))) {
                throw new IllegalStateException("the FFmpeg self-test did not finish within "
                                                + SELF_TEST_DEADLINE.multipliedBy(2).toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the FFmpeg self-test");
        }
        if (selfTestFailure != null) {
            throw selfTestFailure;
        }
    }

    /**
     * Makes a tiny segment, then runs it through every output format, as many formats at once as there are FFmpeg
     * permits (so none of them waits in the gate's queue and none can be refused by the latency budget).
     */
    private void runSelfTest() {
        ProcessRunner.Result made;
        try {
            made = ProcessRunner.of(FfmpegCommand.selfTestSegment(ffmpeg.executable().toString()))
                    .deadline(SELF_TEST_DEADLINE)
                    .run();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run FFmpeg for the self-test: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the FFmpeg self-test");
        }
        if (!made.succeeded() || made.stdout().length == 0) {
            throw new IllegalStateException("FFmpeg could not generate the self-test segment (exit "
                                            + made.exitCode() + ", " + made.stop() + "): " + made.stderrTail());
        }
        byte[] segment = made.stdout();
        Semaphore permits = new Semaphore(Math.max(1, gate.maxConcurrent()));
        Map<OutputFormat, String> failures = new ConcurrentHashMap<>();
        List<Thread> runs = new ArrayList<>();
        for (OutputFormat f : OutputFormat.values()) {
            runs.add(Thread.ofVirtual().name("vbuf-self-test-" + f.wireName()).start(() -> {
                permits.acquireUninterruptibly();
                try {
                    processor.process(segment, f, System.nanoTime());
                } catch (SegmentException e) {
                    failures.put(f, e.code() + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    failures.put(f, "interrupted");
                } catch (RuntimeException e) {
                    failures.put(f, String.valueOf(e));
                } finally {
                    permits.release();
                }
            }));
        }
        for (Thread t : runs) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during the FFmpeg self-test");
            }
        }
        for (OutputFormat f : OutputFormat.values()) { // the first failing format, in the formats' order
            if (failures.containsKey(f)) {
                throw new IllegalStateException("FFmpeg self-test failed for format " + f + ": " + failures.get(f));
            }
        }
    }

    public int port() {
        return server.port();
    }

    /** The admission gate (tests read its counters). */
    public SegmentGate gate() {
        return gate;
    }

    /** The memory WebSocket segments are read into (tests read its counters). */
    public SegmentBuffers buffers() {
        return buffers;
    }

    /** Open WebSocket sessions. */
    public int sessionCount() {
        return api.sessions().size();
    }

    /** Segments received and not answered yet. */
    public int unanswered() {
        return api.unanswered().count();
    }

    /** This server's meters (what its {@code /observe/metrics} serves). */
    public VbufMetrics metrics() {
        return metrics;
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
        if (stopped || !gate.beginDrain()) {
            return; // a second signal, or already stopped
        }
        LOG.log(Level.INFO, "draining: " + api.unanswered().count() + " segments to answer, grace "
                            + config.shutdownGrace().toMillis() + " ms");
        if (!api.unanswered().awaitZeroUninterruptibly(config.shutdownGrace())) {
            LOG.log(Level.WARNING, "grace period over with " + api.unanswered().count()
                                   + " segments unanswered; stopping their FFmpeg processes");
            processor.killAll(); // their segments are answered `internal`
            api.unanswered().awaitZeroUninterruptibly(AFTER_GRACE);
        }
        api.sessions().closeAll(CloseCodes.GOING_AWAY, "server shutting down");
        api.sessions().awaitEmpty(AFTER_GRACE);
        close();
        LOG.log(Level.INFO, "stopped");
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
        api.close();
        player.close();
        metrics.close();
        // A segment admitted just before may still be starting its process: kill until every permit is back.
        try {
            if (!gate.closeAndAwaitIdle(Duration.ofSeconds(2), processor::killAll)) {
                LOG.log(Level.WARNING, gate.running() + " segments still held a permit 2 s after the stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
