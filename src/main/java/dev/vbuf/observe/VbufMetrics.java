package dev.vbuf.observe;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

import dev.vbuf.core.OutputFormat;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionStatisticsConfig;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * vbuf's meters in Helidon's (global) registry. The registry lives as long as the JVM, so gauges read through an
 * indirection that the running server points at its own state.
 */
public final class VbufMetrics {
    /** Seconds: fine enough to read p50/p95/p99 anywhere between 50 ms and 5 s. */
    static final double[] LATENCY_BUCKETS = {
            0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
            1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 30.0};
    private static final Duration[] LATENCY_BUCKET_DURATIONS = java.util.Arrays.stream(LATENCY_BUCKETS)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9)))
            .toArray(Duration[]::new);
    /** Bytes: 1 KiB .. 32 MiB, with 512 KiB (an alert threshold) as a boundary. */
    static final double[] SIZE_BUCKETS = {
            1024, 4096, 16384, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432};

    private static final VbufMetrics INSTANCE = new VbufMetrics();

    private final MeterRegistry registry = Metrics.globalRegistry();
    private final AtomicReference<IntSupplier> inFlight = new AtomicReference<>(() -> 0);
    private final AtomicReference<IntSupplier> queued = new AtomicReference<>(() -> 0);
    private final AtomicReference<java.util.function.BooleanSupplier> ready = new AtomicReference<>(() -> false);
    private final AtomicInteger sessions = new AtomicInteger();
    private final Timer ffmpegSeconds;
    private final DistributionSummary bytesIn;
    private final DistributionSummary bytesOut;
    private final java.util.Map<OutputFormat, Timer> latencies = new java.util.EnumMap<>(OutputFormat.class);
    /** format, outcome -> counter; created on first use (outcomes are the few error codes and "ok"). */
    private final java.util.Map<String, Counter> answered = new java.util.concurrent.ConcurrentHashMap<>();

    private VbufMetrics() {
        registry.getOrCreate(Gauge.builder(MetricNames.SEGMENTS_IN_FLIGHT, () -> inFlight.get().getAsInt())
                                     .description("Segments holding a permit (FFmpeg running)"));
        registry.getOrCreate(Gauge.builder(MetricNames.SEGMENTS_QUEUED, () -> queued.get().getAsInt())
                                     .description("Segments waiting for a permit"));
        registry.getOrCreate(Gauge.builder(MetricNames.WS_SESSIONS, sessions::get)
                                     .description("Open WebSocket sessions"));
        registry.getOrCreate(Gauge.builder(MetricNames.READY, () -> ready.get().getAsBoolean() ? 1 : 0)
                                     .description("1 while ready, else 0"));
        ffmpegSeconds = timer(MetricNames.FFMPEG_SECONDS, "FFmpeg process wall time");
        bytesIn = histogram(MetricNames.WS_MESSAGE_BYTES, SIZE_BUCKETS, "WebSocket binary message size",
                            Tag.create(MetricNames.LABEL_DIRECTION, "in"));
        bytesOut = histogram(MetricNames.WS_MESSAGE_BYTES, SIZE_BUCKETS, "WebSocket binary message size",
                             Tag.create(MetricNames.LABEL_DIRECTION, "out"));
        for (OutputFormat f : OutputFormat.values()) {
            // every format's series exists from the start
            latencies.put(f, timer(MetricNames.SEGMENT_LATENCY, "Segment latency, last byte in to reply sent",
                                   Tag.create(MetricNames.LABEL_FORMAT, f.wireName())));
        }
    }

    public static VbufMetrics get() {
        return INSTANCE;
    }

    /** Points the gauges at the running server's admission gate and readiness. */
    public void bindGauges(IntSupplier inFlightSupplier, IntSupplier queuedSupplier,
                           java.util.function.BooleanSupplier readySupplier) {
        inFlight.set(inFlightSupplier);
        queued.set(queuedSupplier);
        ready.set(readySupplier);
    }

    public void ffmpegVersion(String version) {
        registry.getOrCreate(Gauge.builder(MetricNames.FFMPEG_INFO, () -> 1)
                                     .tags(java.util.List.of(Tag.create(MetricNames.LABEL_VERSION, version)))
                                     .description("FFmpeg version in use (value is always 1)"));
    }

    public void sessionOpened() {
        sessions.incrementAndGet();
    }

    public void sessionClosed() {
        sessions.decrementAndGet();
    }

    public void messageIn(long bytes) {
        bytesIn.record(bytes);
    }

    public void messageOut(long bytes) {
        bytesOut.record(bytes);
    }

    public void ffmpegRan(Duration wall) {
        ffmpegSeconds.record(wall);
    }

    /** A segment was answered: counts its outcome and records its latency. */
    public void segmentAnswered(OutputFormat format, String outcome, Duration latency) {
        answered.computeIfAbsent(format.wireName() + " " + outcome, k -> registry.getOrCreate(
                Counter.builder(MetricNames.SEGMENTS_TOTAL.replaceFirst("_total$", "")) // Prometheus adds _total
                        .tags(java.util.List.of(Tag.create(MetricNames.LABEL_FORMAT, format.wireName()),
                                                Tag.create(MetricNames.LABEL_OUTCOME, outcome)))
                        .description("Segments answered, by format and outcome")))
                .increment();
        latencies.get(format).record(latency);
    }

    /**
     * A latency histogram. A timer, not a distribution summary: Micrometer files a summary's value under
     * {@code ceil(value)}, which would put every sub-second latency into the 1.0 s bucket. A timer buckets nanoseconds
     * and exports seconds.
     */
    private Timer timer(String name, String description, Tag... tags) {
        return registry.getOrCreate(Timer.builder(name.replaceFirst("_seconds$", "")) // Prometheus adds _seconds
                                            .description(description)
                                            .tags(java.util.List.of(tags))
                                            .buckets(LATENCY_BUCKET_DURATIONS)
                                            // no per-instance quantiles (see histogram below)
                                            .percentiles(new double[0]));
    }

    /** A size histogram; sizes are whole bytes, so Micrometer's rounding up does not matter here. */
    private DistributionSummary histogram(String name, double[] buckets, String description, Tag... tags) {
        return registry.getOrCreate(DistributionSummary.builder(name)
                                            .description(description)
                                            .tags(java.util.List.of(tags))
                                            .distributionStatisticsConfig(
                                                    DistributionStatisticsConfig.builder()
                                                            .buckets(buckets)
                                                            // no per-instance quantiles: they cannot be aggregated
                                                            // across instances, and they would put summary samples
                                                            // into a histogram family
                                                            .percentiles(new double[0])));
    }
}
