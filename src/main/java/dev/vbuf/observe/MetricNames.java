package dev.vbuf.observe;

import java.util.List;

/**
 * The metrics vbuf exports at {@code /observe/metrics}, defined once. Names are as they appear in the Prometheus text
 * (histograms add {@code _bucket}, {@code _count}, {@code _sum}). docs/operations.md's metrics table, the alert rules and the
 * dashboards refer to these names; tests check that they agree.
 */
public final class MetricNames {
    public static final String SEGMENT_LATENCY = "vbuf_segment_latency_seconds";
    public static final String FFMPEG_SECONDS = "vbuf_ffmpeg_seconds";
    public static final String SEGMENTS_TOTAL = "vbuf_segments_total";
    public static final String SEGMENTS_IN_FLIGHT = "vbuf_segments_in_flight";
    public static final String SEGMENTS_QUEUED = "vbuf_segments_queued";
    public static final String WS_MESSAGE_BYTES = "vbuf_ws_message_bytes";
    public static final String WS_SESSIONS = "vbuf_ws_sessions";
    public static final String FFMPEG_INFO = "vbuf_ffmpeg_info";
    public static final String READY = "vbuf_ready";
    public static final String SEGMENT_MEMORY_BYTES = "vbuf_segment_memory_bytes";

    public static final String LABEL_FORMAT = "format";
    public static final String LABEL_OUTCOME = "outcome";
    public static final String LABEL_DIRECTION = "direction";
    public static final String LABEL_VERSION = "version";

    /** Outcome label value of a segment answered with audio (the others are error codes). */
    public static final String OUTCOME_OK = "ok";

    /** One row of the metrics table: name, Prometheus type, labels, meaning. */
    public record Metric(String name, String type, List<String> labels, String meaning) {
    }

    public static final List<Metric> ALL = List.of(
            new Metric(SEGMENT_LATENCY, "histogram", List.of(LABEL_FORMAT),
                       "Last byte of a segment received → its reply sent (seconds)."),
            new Metric(FFMPEG_SECONDS, "histogram", List.of(),
                       "Wall time of one FFmpeg process, start to exit (seconds)."),
            new Metric(SEGMENTS_TOTAL, "counter", List.of(LABEL_FORMAT, LABEL_OUTCOME),
                       "Segments answered; `outcome` is `ok` or the error code."),
            new Metric(SEGMENTS_IN_FLIGHT, "gauge", List.of(),
                       "Segments holding a permit (FFmpeg process running)."),
            new Metric(SEGMENTS_QUEUED, "gauge", List.of(),
                       "Segments waiting for a permit."),
            new Metric(WS_MESSAGE_BYTES, "histogram", List.of(LABEL_DIRECTION),
                       "Size of WebSocket binary messages; `direction` is `in` (segments) or `out` (audio)."),
            new Metric(WS_SESSIONS, "gauge", List.of(),
                       "Open WebSocket sessions."),
            new Metric(SEGMENT_MEMORY_BYTES, "gauge", List.of(),
                       "Bytes of segment memory in use: WebSocket segments being read, waiting or fed to FFmpeg (at"
                       + " most `VBUF_SEGMENTS_MEMORY_BUDGET_BYTES`)."),
            new Metric(FFMPEG_INFO, "gauge", List.of(LABEL_VERSION),
                       "Always 1; the `version` label is the FFmpeg version in use."),
            new Metric(READY, "gauge", List.of(),
                       "1 while ready (self-test passed, FFmpeg accepted, not draining), else 0; what `/health` says."));

    private MetricNames() {
    }
}
