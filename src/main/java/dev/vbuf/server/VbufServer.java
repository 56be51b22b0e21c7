package dev.vbuf.server;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;

import dev.vbuf.admission.SegmentBuffers;
import dev.vbuf.admission.SegmentGate;
import dev.vbuf.api.SegmentApi;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.player.PlayerService;
import dev.vbuf.protocol.CloseCodes;

import io.helidon.common.socket.SocketOptions;
import io.helidon.http.DirectHandler;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.http.DirectHandlers;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.observe.ObserveFeature;
import io.helidon.webserver.observe.metrics.MetricsObserver;
import io.helidon.webserver.websocket.WsConfig;

/**
 * One running vbuf: FFmpeg located and self-tested, the admission gate, the segment API, health and metrics. Built by
 * {@link #start}, which is what {@code Main} and the tests call, so the tests exercise the real wiring. Each server has
 * its own state and its own metrics; nothing is shared through JVM-wide singletons.
 *
 * <p>{@link #setup} and {@link #routing} are the wiring on its own, from {@link ServerParts}: what {@link #start}
 * serves, and what a test serves to reach the routes without running FFmpeg or the self-test.
 */
public final class VbufServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(VbufServer.class.getName());
    /** After the grace period, how long killed segments and closing sessions get to finish. */
    private static final Duration AFTER_GRACE = Duration.ofSeconds(1);

    private final ServerParts parts;
    private final WebServer server;
    private volatile boolean stopped;

    private VbufServer(ServerParts parts, WebServer server) {
        this.parts = parts;
        this.server = server;
    }

    /**
     * Locates FFmpeg (failing on a version mismatch), starts the server, runs the self-test, then reports started.
     *
     * @throws IllegalStateException FFmpeg unusable or the self-test failed; the message says why
     */
    public static VbufServer start(VbufConfig config) {
        FfmpegBinary ffmpeg = FfmpegBinary.locate(config.ffmpeg().path(), Setting.FFMPEG_PATH.envVar(),
                                                  config.ffmpeg().requiredVersion(),
                                                  Setting.FFMPEG_REQUIRED_VERSION.envVar());
        LOG.log(Level.INFO, "FFmpeg " + ffmpeg.version() + " (" + ffmpeg.source() + "): " + ffmpeg.executable());
        ServerParts parts = ServerParts.of(config, ffmpeg);
        // the self-test runs while Helidon is built
        SelfTest selfTest = SelfTest.start(ffmpeg, parts.processor(), parts.gate().maxConcurrent());
        VbufServer s = new VbufServer(parts, setup(WebServer.builder(), parts).build());
        try {
            s.server.start();
            LOG.log(Level.INFO, "listening on " + config.server().host() + ":" + s.port() + "; "
                                + config.admission().maxConcurrent() + " concurrent FFmpeg processes, queue "
                                + config.admission().queueCapacity() + ", budget "
                                + config.admission().targetLatency().toMillis() + " ms");
            selfTest.await();
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        parts.health().started();
        LOG.log(Level.INFO, "self-test passed; ready");
        return s;
    }

    /**
     * Sets a web server up to serve one vbuf: its address and limits, vbuf's own HTTP/1 selector with WebSocket as
     * its one upgrade, health and metrics under {@code /observe}, and the routes ({@link #routing} and the WebSocket
     * endpoint). Nothing is started.
     *
     * @param server a builder, e.g. {@code WebServer.builder()}
     * @param parts  what the routes serve
     * @return {@code server}, to build
     */
    public static WebServerConfig.Builder setup(WebServerConfig.Builder server, ServerParts parts) {
        VbufConfig config = parts.config();
        int maxSegmentBytes = config.segments().maxBytes();
        int receiveBuffer = config.segments().socketReceiveBufferBytes();
        WsConfig ws = WsConfig.builder().maxFrameLength(config.segments().maxFrameBytes()).build();
        RequestHeaderTimeout headerTimeout = new RequestHeaderTimeout(config.server().requestHeaderTimeout());
        return server
                .config(config.helidon().get("server"))
                .host(config.server().host())
                .port(config.server().port())
                .shutdownHook(false) // vbuf drains itself on SIGTERM (see Main)
                // Helidon's own idle-connection reaper must not cut sessions before vbuf's idle timeout does
                // (connections that never complete a request are closed by RequestHeaderTimeout, below).
                .idleConnectionTimeout(config.session().timeout().plusMinutes(5))
                // HTTP bodies up to twice the limit are read and answered with vbuf's own 413; beyond, Helidon's 413.
                .maxPayloadSize(2L * maxSegmentBytes)
                // ... and a body declared larger than that is refused by Helidon before any handler: same JSON answer
                .directHandlers(DirectHandlers.builder()
                                        .addHandler(DirectHandler.EventType.BAD_REQUEST,
                                                    SegmentApi.badRequest(maxSegmentBytes))
                                        .build())
                // HTTP/1 is vbuf's watched selector alone (see RequestHeaderTimeout): no protocol discovery, WebSocket
                // as its one upgrade
                .protocolsDiscoverServices(false)
                .addProtocol(ws)
                .addConnectionSelector(headerTimeout.http1(WebServer.DEFAULT_SOCKET_NAME, List.of(ws)))
                .update(b -> {
                    if (receiveBuffer > 0) {
                        b.connectionOptions(SocketOptions.builder().socketReceiveBufferSize(receiveBuffer).build());
                    }
                })
                .featuresDiscoverServices(false)
                .addFeature(ObserveFeature.just(parts.health().observer(), MetricsObserver.create()))
                .routing(r -> routing(r, parts))
                .addRouting(parts.api().ws());
    }

    /** vbuf's HTTP routes: {@code /health}, the segment endpoint and the reference player. */
    public static void routing(HttpRouting.Builder routing, ServerParts parts) {
        routing.get("/health", parts.health()::legacyHealth);
        parts.api().http(routing);
        routing.register(PlayerService.PATH, parts.player());
    }

    public int port() {
        return server.port();
    }

    /** The admission gate (tests read its counters). */
    public SegmentGate gate() {
        return parts.gate();
    }

    /** The memory WebSocket segments are read into (tests read its counters). */
    public SegmentBuffers buffers() {
        return parts.buffers();
    }

    /** Open WebSocket sessions. */
    public int sessionCount() {
        return parts.sessions().size();
    }

    /** Segments received and not answered yet. */
    public int unanswered() {
        return parts.api().unanswered().count();
    }

    /** This server's meters (what its {@code /observe/metrics} serves). */
    public VbufMetrics metrics() {
        return parts.metrics();
    }

    public FfmpegBinary ffmpeg() {
        return parts.ffmpeg();
    }

    public VbufConfig config() {
        return parts.config();
    }

    /**
     * The SIGTERM path: readiness goes down and new segments are refused at once; segments already accepted get up to
     * the grace period to finish and be answered (new ones are answered {@code shutting_down}); then every session is
     * closed with 1001, the server stops, and no FFmpeg process is left.
     */
    public void drainAndStop() {
        if (stopped || !parts.gate().beginDrain()) {
            return; // a second signal, or already stopped
        }
        SegmentApi api = parts.api();
        Duration grace = parts.config().shutdown().grace();
        LOG.log(Level.INFO, "draining: " + api.unanswered().count() + " segments to answer, grace "
                            + grace.toMillis() + " ms");
        // v1.1 sessions learn it first (goaway: no new segments here; reconnect after reconnectAfterMs), then each
        // closes 1001 once its accepted segments are answered
        parts.sessions().goawayAll();
        if (!api.unanswered().awaitZeroUninterruptibly(grace)) {
            LOG.log(Level.WARNING, "grace period over with " + api.unanswered().count()
                                   + " segments unanswered; stopping their FFmpeg processes");
            parts.processor().killAll(); // their segments are answered `internal`
            api.unanswered().awaitZeroUninterruptibly(AFTER_GRACE);
        }
        parts.sessions().closeAll(CloseCodes.GOING_AWAY, "server shutting down");
        parts.sessions().awaitEmpty(AFTER_GRACE);
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
        parts.gate().beginDrain();
        server.stop();
        parts.close();
    }
}
