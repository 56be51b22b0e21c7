package dev.vbuf.observe;

import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import dev.vbuf.protocol.OutputFormat;

import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.DistributionStatisticsConfig;
import io.helidon.metrics.api.DistributionSummary;
import io.helidon.metrics.api.Gauge;
import io.helidon.metrics.api.Meter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;

/**
 * One server's meters. Gauges read the state they report from its one owner (the admission gate, the session
 * registry, readiness), given here as suppliers; nothing is counted twice.
 * <p>
 * The meters live in Helidon's global registry: Helidon 4.2's Micrometer provider backs every Helidon registry with
 * Micrometer's global one (a registry made with {@code Metrics.createMeterRegistry()} shares its meters and has no
 * Prometheus output), so a registry per server would not separate anything. Instead each server's instance registers
 * fresh meters when it starts (replacing any a previous server in this JVM left) and removes them when it stops.
 */
public final class VbufMetrics implements AutoCloseable {
    /** Seconds: fine enough to read p50/p95/p99 anywhere between 50 ms and 5 s. */
    static final double[] LATENCY_BUCKETS = {
            0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0,
            1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 7.5, 10.0, 30.0};
    private static final Duration[] LATENCY_BUCKET_DURATIONS = Arrays.stream(LATENCY_BUCKETS)
            .mapToObj(s -> Duration.ofNanos(Math.round(s * 1e9)))
            .toArray(Duration[]::new);
    /** Bytes: 1 KiB .. 32 MiB, with 512 KiB (an alert threshold) as a boundary. */
    static final double[] SIZE_BUCKETS = {
            1024, 4096, 16384, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432};

    /** What the gauges report, each read from its owner. */
    public record Sources(IntSupplier inFlight, IntSupplier queued, IntSupplier sessions, BooleanSupplier ready,
                          LongSupplier segmentMemory) {
    }

    private final MeterRegistry registry = Metrics.globalRegistry();
    private final List<Meter> mine = new CopyOnWriteArrayList<>();
    private final Timer ffmpegSeconds;
    private final DistributionSummary bytesIn;
    private final DistributionSummary bytesOut;
    private final Map<OutputFormat, Timer> latencies = new EnumMap<>(OutputFormat.class);
    /** format, outcome -> counter; created on first use (outcomes are the few error codes and "ok"). */
    private final Map<String, Counter> answered = new ConcurrentHashMap<>();

    /**
     * @param ffmpegVersion the version label of {@link MetricNames#FFMPEG_INFO}
     * @param sources       where the gauges read from
     */
    public VbufMetrics(String ffmpegVersion, Sources sources) {
        for (MetricNames.Metric m : MetricNames.ALL) { // a server stopped without close(), or one still running
            for (Meter old : registry.meters(List.of(exported(m.name())))) {
                registry.remove(old);
            }
        }
        register(Gauge.builder(MetricNames.SEGMENTS_IN_FLIGHT, () -> sources.inFlight().getAsInt())
                                     .description("Segments holding a permit (FFmpeg running)"));
        register(Gauge.builder(MetricNames.SEGMENTS_QUEUED, () -> sources.queued().getAsInt())
                                     .description("Segments waiting for a permit"));
        register(Gauge.builder(MetricNames.WS_SESSIONS, () -> sources.sessions().getAsInt())
                                     .description("Open WebSocket sessions"));
        register(Gauge.builder(MetricNames.SEGMENT_MEMORY_BYTES, () -> sources.segmentMemory().getAsLong())
                         .description("Bytes of segment memory in use (budgeted)"));
        register(Gauge.builder(MetricNames.READY, () -> sources.ready().getAsBoolean() ? 1 : 0)
                                     .description("1 while ready, else 0"));
        register(Gauge.builder(MetricNames.FFMPEG_INFO, () -> 1)
                                     .tags(List.of(Tag.create(MetricNames.LABEL_VERSION, ffmpegVersion)))
                                     .description("FFmpeg version in use (value is always 1)"));
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

    /** Removes this server's meters from the registry. */
    @Override
    public void close() {
        for (Meter m : mine) {
            registry.remove(m);
        }
        mine.clear();
    }

    private <M extends Meter, B extends Meter.Builder<B, M>> M register(B builder) {
        M meter = registry.getOrCreate(builder);
        mine.add(meter);
        return meter;
    }

    /** The name a meter is registered under (Prometheus adds the {@code _total} and {@code _seconds} suffixes). */
    private static String exported(String prometheusName) {
        return prometheusName.replaceFirst("_total$", "").replaceFirst("_seconds$", "");
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
        answered.computeIfAbsent(format.wireName() + " " + outcome, k -> register(
                Counter.builder(exported(MetricNames.SEGMENTS_TOTAL))
                        .tags(List.of(Tag.create(MetricNames.LABEL_FORMAT, format.wireName()),
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
        return register(Timer.builder(exported(name))
                                            .description(description)
                                            .tags(List.of(tags))
                                            .buckets(LATENCY_BUCKET_DURATIONS)
                                            // no per-instance quantiles (see histogram below)
                                            .percentiles(new double[0]));
    }

    /** A size histogram; sizes are whole bytes, so Micrometer's rounding up does not matter here. */
    private DistributionSummary histogram(String name, double[] buckets, String description, Tag... tags) {
        return register(DistributionSummary.builder(name)
                                            .description(description)
                                            .tags(List.of(tags))
                                            .distributionStatisticsConfig(
                                                    DistributionStatisticsConfig.builder()
                                                            .buckets(buckets)
                                                            // no per-instance quantiles: they cannot be aggregated
                                                            // across instances, and they would put summary samples
                                                            // into a histogram family
                                                            .percentiles(new double[0])));
    }
}
