package dev.vbuf.observe;

import java.util.Map;

import dev.vbuf.admission.SegmentGate;
import dev.vbuf.ffmpeg.FfmpegBinary;

import io.helidon.health.HealthCheckResponse;
import io.helidon.health.HealthCheckType;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.helidon.webserver.observe.health.HealthObserver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Health: live while the process runs; started once the FFmpeg self-test passed; ready when started, FFmpeg's version
 * was accepted and the server is not draining. {@code /health} mirrors readiness for existing probes and scripts.
 */
public final class VbufHealth {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FfmpegBinary ffmpeg;
    private final SegmentGate gate;
    private final long targetLatencyMs;
    private volatile boolean started;

    public VbufHealth(FfmpegBinary ffmpeg, SegmentGate gate, java.time.Duration targetLatency) {
        this.ffmpeg = ffmpeg;
        this.gate = gate;
        this.targetLatencyMs = targetLatency.toMillis();
    }

    public void started() {
        started = true;
    }

    public boolean ready() {
        return started && !gate.draining();
    }

    public HealthObserver observer() {
        return HealthObserver.builder()
                .useSystemServices(false) // the built-in disk check fails in some containers; vbuf needs no disk
                .details(true)
                .addCheck(() -> HealthCheckResponse.builder().status(true).build(), HealthCheckType.LIVENESS, "process")
                .addCheck(() -> HealthCheckResponse.builder()
                                  .status(started)
                                  .detail("ffmpegVersion", ffmpeg.version())
                                  .detail("selfTest", started ? "passed" : "pending")
                                  .build(),
                          HealthCheckType.STARTUP, "ffmpeg-self-test")
                .addCheck(() -> HealthCheckResponse.builder()
                                  .status(ready())
                                  .detail("ffmpegVersion", ffmpeg.version())
                                  .detail("ffmpegSource", ffmpeg.source())
                                  .detail("draining", gate.draining())
                                  .detail("running", gate.running())
                                  .detail("queued", gate.queued())
                                  .detail("maxConcurrent", gate.maxConcurrent())
                                  .detail("queueCapacity", gate.queueCapacity())
                                  .detail("targetLatencyMs", targetLatencyMs)
                                  .build(),
                          HealthCheckType.READINESS, "segments")
                .build();
    }

    /** {@code GET /health}: 200 when ready, 503 when not, with a small JSON body. */
    public void legacyHealth(ServerRequest req, ServerResponse res) {
        boolean ok = ready();
        res.status(ok ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
        res.headers().contentType(HttpMediaType.create("application/json"));
        try {
            res.send(JSON.writeValueAsString(Map.of(
                    "status", ok ? "UP" : "DOWN",
                    "started", started,
                    "draining", gate.draining(),
                    "ffmpegVersion", ffmpeg.version())));
        } catch (JsonProcessingException e) {
            res.send("{\"status\":\"" + (ok ? "UP" : "DOWN") + "\"}");
        }
    }
}
