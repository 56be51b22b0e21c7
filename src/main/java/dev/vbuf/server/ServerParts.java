package dev.vbuf.server;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.admission.SegmentBuffers;
import dev.vbuf.admission.SegmentGate;
import dev.vbuf.api.SegmentApi;
import dev.vbuf.api.SessionRegistry;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.observe.VbufHealth;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.player.PlayerService;
import dev.vbuf.segment.SegmentProcessor;

/**
 * The parts one vbuf is wired from, built by {@link #of} from its configuration and its FFmpeg. Building them starts
 * no process and opens no socket: FFmpeg runs only when a segment (or the player's demo) needs it, so a test can serve
 * these parts with {@link VbufServer#setup} and an FFmpeg that is never run.
 *
 * @param sessions the open WebSocket sessions: built here, before the metrics whose gauge reads it and the api that
 *                 fills it
 */
public record ServerParts(VbufConfig config, FfmpegBinary ffmpeg, SegmentGate gate, SegmentBuffers buffers,
                          VbufHealth health, SessionRegistry sessions, VbufMetrics metrics, SegmentProcessor processor,
                          SegmentApi api, PlayerService player) implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ServerParts.class.getName());
    /** A guess at FFmpeg's time per segment until the first real ones are measured. */
    private static final Duration INITIAL_SERVICE_TIME = Duration.ofMillis(200);
    /** How long a segment admitted just before the stop may take to hand its permit back. */
    private static final Duration IDLE_AFTER_STOP = Duration.ofSeconds(2);

    public static ServerParts of(VbufConfig config, FfmpegBinary ffmpeg) {
        SegmentGate gate = new SegmentGate(config.admission().maxConcurrent(), config.admission().queueCapacity(),
                                           INITIAL_SERVICE_TIME);
        SegmentBuffers buffers = new SegmentBuffers(Math.max(config.segments().memoryBudgetBytes(),
                                                             config.segments().maxBytes()),
                                                    config.segments().maxBytes());
        VbufHealth health = new VbufHealth(ffmpeg.version(), gate::draining,
                                           () -> readinessDetails(config, ffmpeg, gate, buffers));
        SessionRegistry sessions = new SessionRegistry(config.session().timeout(), config.session().maxAge());
        VbufMetrics metrics = new VbufMetrics(ffmpeg.version(), new VbufMetrics.Sources(
                gate::running, gate::queued, sessions::size, health::ready, buffers::inUseBytes));
        SegmentProcessor processor = new SegmentProcessor(ffmpeg, gate, config.admission().targetLatency(),
                                                          config.ffmpeg().timeout(), config.segments().maxBytes(),
                                                          config.ffmpeg().maxOutputBytes(), metrics);
        SegmentApi api = new SegmentApi(processor, metrics, AccessPolicy.of(config), config.segments().perSession(),
                                        sessions, gate::draining, buffers);
        PlayerService player = new PlayerService(ffmpeg, config.player().demoDir(), config.ffmpeg().timeout());
        return new ServerParts(config, ffmpeg, gate, buffers, health, sessions, metrics, processor, api, player);
    }

    private static Map<String, Object> readinessDetails(VbufConfig config, FfmpegBinary ffmpeg, SegmentGate gate,
                                                        SegmentBuffers buffers) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("ffmpegSource", ffmpeg.source());
        d.put("running", gate.running());
        d.put("queued", gate.queued());
        d.put("maxConcurrent", gate.maxConcurrent());
        d.put("queueCapacity", gate.queueCapacity());
        d.put("segmentMemoryInUseBytes", buffers.inUseBytes());
        d.put("segmentMemoryBudgetBytes", buffers.budgetBytes());
        d.put("targetLatencyMs", config.admission().targetLatency().toMillis());
        return d;
    }

    /**
     * Closes the sessions, the player and the meters, then kills FFmpeg processes until every permit is back. The web
     * server serving these parts is stopped first (by its owner).
     */
    @Override
    public void close() {
        api.close();
        player.close();
        metrics.close();
        // A segment admitted just before may still be starting its process: kill until every permit is back.
        try {
            if (!gate.closeAndAwaitIdle(IDLE_AFTER_STOP, processor::killAll)) {
                LOG.log(Level.WARNING, gate.running() + " segments still held a permit 2 s after the stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
