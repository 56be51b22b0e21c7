package dev.vbuf.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

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
 * Health: live while the process runs; started once the FFmpeg self-test passed; ready when started and not draining.
 * {@code /health} mirrors readiness for existing probes and scripts. What the checks report comes from the server,
 * which owns the state; this class only knows how to present it.
 */
public final class VbufHealth {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String ffmpegVersion;
    private final BooleanSupplier draining;
    private final Supplier<Map<String, Object>> readinessDetails;
    private volatile boolean started;

    /**
     * @param ffmpegVersion    the FFmpeg version in use
     * @param draining         whether the server is draining
     * @param readinessDetails the details the readiness check shows (FFmpeg source, queue and running counts, ...)
     */
    public VbufHealth(String ffmpegVersion, BooleanSupplier draining, Supplier<Map<String, Object>> readinessDetails) {
        this.ffmpegVersion = ffmpegVersion;
        this.draining = draining;
        this.readinessDetails = readinessDetails;
    }

    public void started() {
        started = true;
    }

    public boolean ready() {
        return started && !draining.getAsBoolean();
    }

    public HealthObserver observer() {
        return HealthObserver.builder()
                .useSystemServices(false) // the built-in disk check fails in some containers; vbuf needs no disk
                .details(true)
                .addCheck(() -> HealthCheckResponse.builder().status(true).build(), HealthCheckType.LIVENESS, "process")
                .addCheck(() -> HealthCheckResponse.builder()
                                  .status(started)
                                  .detail("ffmpegVersion", ffmpegVersion)
                                  .detail("selfTest", started ? "passed" : "pending")
                                  .build(),
                          HealthCheckType.STARTUP, "ffmpeg-self-test")
                .addCheck(() -> {
                              HealthCheckResponse.Builder b = HealthCheckResponse.builder().status(ready())
                                      .detail("ffmpegVersion", ffmpegVersion)
                                      .detail("draining", draining.getAsBoolean());
                              readinessDetails.get().forEach(b::detail);
                              return b.build();
                          },
                          HealthCheckType.READINESS, "segments")
                .build();
    }

    /** {@code GET /health}: 200 when ready, 503 when not, with a small JSON body. */
    public void legacyHealth(ServerRequest req, ServerResponse res) {
        boolean ok = ready();
        res.status(ok ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
        res.headers().contentType(HttpMediaType.create("application/json"));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ok ? "UP" : "DOWN");
        body.put("started", started);
        body.put("draining", draining.getAsBoolean());
        body.put("ffmpegVersion", ffmpegVersion);
        try {
            res.send(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            res.send("{\"status\":\"" + (ok ? "UP" : "DOWN") + "\"}");
        }
    }
}
