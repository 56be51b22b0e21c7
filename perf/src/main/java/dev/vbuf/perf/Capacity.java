package dev.vbuf.perf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.media.ParsedSegment;
import dev.vbuf.media.SegmentParser;
import dev.vbuf.protocol.ErrorCode;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The capacity measurements the planner works from, taken on this machine: CPU and wall time per segment by format
 * and segment length (through the server, and raw FFmpeg as the baseline), and the latency curve as offered load
 * rises until the server refuses work. {@code vbuf-perf capacity} (perf/capacity.sh) writes them as JSON.
 */
public final class Capacity {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    /** Segments each fresh server process handles before it is measured. */
    private static final int WARM_UP = 5;

    /** What to measure. */
    public record Options(List<OutputFormat> formats, List<Double> segmentSeconds, String size, int segmentsPerCell,
                          OutputFormat curveFormat, double curveSegmentSeconds, List<Double> curveLoadFactors,
                          Duration stepDuration) {
    }

    /** Where and with what it was measured. */
    public record Machine(int cpus, String cpuModel, String java, String ffmpeg, String date) {
    }

    /** Per segment, averaged: wall time and CPU time (server JVM + its FFmpeg children, or FFmpeg alone). */
    public record Cost(double wallMs, double cpuMs) {
    }

    /** One format at one segment length. */
    public record Cell(String format, double segmentSeconds, int segmentBytes, Cost raw, Cost server) {
    }

    /** One step of the load curve: what was offered, what came back. */
    public record Step(double offeredPerSecond, double okPerSecond, double p50Ms, double p95Ms, double p99Ms,
                       double overloadedShare, double errorShare, int segments) {
    }

    /** The latency curve for one format and segment length on a server with default settings. */
    public record Curve(String format, double segmentSeconds, int permits, double estimatedCapacityPerSecond,
                        List<Step> steps) {
    }

    /** Everything the planner needs. */
    public record Measurements(Machine machine, List<Cell> cells, Curve curve) {
        public static Measurements read(Path file) throws IOException {
            return JSON.readValue(file.toFile(), Measurements.class);
        }

        public void write(Path file) throws IOException {
            Files.createDirectories(file.toAbsolutePath().getParent());
            JSON.writeValue(file.toFile(), this);
        }

        public Cell cell(String format, double seconds) {
            return cells.stream().filter(c -> c.format().equals(format) && c.segmentSeconds() == seconds).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no measurement for " + format + " at "
                                                                    + seconds + " s"));
        }
    }

    private Capacity() {
    }

    public static Measurements measure(FfmpegBinary ffmpeg, Options o, PrintStream log) throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        Machine machine = new Machine(cpus, cpuModel(), Runtime.version().toString(), ffmpeg.version(),
                                      LocalDate.now().toString());
        log.printf(Locale.ROOT, "capacity: %d CPUs (%s), Java %s, FFmpeg %s%n", cpus, machine.cpuModel(),
                   machine.java(), machine.ffmpeg());
        List<Cell> cells = new ArrayList<>();
        byte[] curveSegment = null;
        for (double seconds : o.segmentSeconds()) {
            byte[] segment = SegmentBench.makeSegment(seconds, o.size(), true);
            if (seconds == o.curveSegmentSeconds()) {
                curveSegment = segment;
            }
            for (OutputFormat f : o.formats()) {
                Cost raw = raw(ffmpeg, segment, f, o.segmentsPerCell());
                Cost server = server(segment, f, o.segmentsPerCell());
                cells.add(new Cell(f.wireName(), seconds, segment.length, raw, server));
                log.printf(Locale.ROOT, "  %-4s %4.1f-s segment (%d bytes): raw FFmpeg %.0f ms wall, %.0f ms CPU;"
                                        + " server %.0f ms wall, %.0f ms CPU (JVM + FFmpeg)%n", f.wireName(), seconds,
                           segment.length, raw.wallMs(), raw.cpuMs(), server.wallMs(), server.cpuMs());
            }
        }
        if (curveSegment == null) {
            curveSegment = SegmentBench.makeSegment(o.curveSegmentSeconds(), o.size(), true);
        }
        // the curve's own cell when it was measured, else the first cell's cost as the estimate's basis
        double cpuMs = cells.stream().filter(c -> c.format().equals(o.curveFormat().wireName())
                                                  && c.segmentSeconds() == o.curveSegmentSeconds())
                .findFirst().orElse(cells.get(0)).server().cpuMs();
        double estimate = cpus * 1000.0 / Math.max(1, cpuMs);
        log.printf(Locale.ROOT, "  load curve (%s, %.1f-s segments): estimated capacity %.1f segments/s%n",
                   o.curveFormat().wireName(), o.curveSegmentSeconds(), estimate);
        List<Step> steps = new ArrayList<>();
        for (double factor : o.curveLoadFactors()) {
            Step s = step(curveSegment, o.curveFormat(), estimate * factor, o.stepDuration());
            steps.add(s);
            log.printf(Locale.ROOT, "    offered %5.1f/s: ok %5.1f/s, p50 %4.0f ms, p95 %4.0f ms, p99 %4.0f ms,"
                                    + " overloaded %4.1f%%, errors %4.1f%%%n", s.offeredPerSecond(), s.okPerSecond(),
                       s.p50Ms(), s.p95Ms(), s.p99Ms(), s.overloadedShare() * 100, s.errorShare() * 100);
        }
        return new Measurements(machine, cells, new Curve(o.curveFormat().wireName(), o.curveSegmentSeconds(), cpus,
                                                          estimate, steps));
    }

    /** Raw FFmpeg, one process per segment, one at a time. */
    static Cost raw(FfmpegBinary ffmpeg, byte[] segment, OutputFormat format, int n) throws Exception {
        ParsedSegment inspection = SegmentParser.inspect(segment);
        List<String> command = FfmpegCommand.extractAudio(ffmpeg.executable().toString(), inspection.container(),
                                                          inspection.audioIsAac(), format);
        double cpu0 = SegmentBench.procCpuMs("self")[1];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            SegmentBench.runRaw(command, segment);
        }
        double wall = (System.nanoTime() - start) / 1e6 / n;
        return new Cost(wall, (SegmentBench.procCpuMs("self")[1] - cpu0) / n);
    }

    /** The server in its own process, one session, one segment at a time; CPU is the server's JVM plus FFmpeg. */
    static Cost server(byte[] segment, OutputFormat format, int n) throws Exception {
        try (ServerUnderTest server = ServerUnderTest.startUnthrottled(Map.of());
             SegmentClient client = SegmentClient.connect(server.port(), "format=" + format.wireName())) {
            for (int i = 0; i < WARM_UP; i++) { // JIT and first processes out of the measurement
                client.send(segment);
                expectResult(client.reply(Duration.ofSeconds(60)));
            }
            double[] cpu0 = server.cpuMs();
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                client.send(segment);
                expectResult(client.reply(Duration.ofSeconds(60)));
            }
            double wall = (System.nanoTime() - start) / 1e6 / n;
            double[] cpu1 = server.cpuMs();
            return new Cost(wall, (cpu1[0] - cpu0[0] + cpu1[1] - cpu0[1]) / n);
        }
    }

    private static void expectResult(SegmentClient.Reply r) {
        if (!"result".equals(r.type())) {
            throw new IllegalStateException("server answered " + r);
        }
    }

    /** Open-loop steps may open many sessions: the session cap must not be what is measured. */
    private static final Map<String, String> MANY_SESSIONS = Map.of(Setting.MAX_SESSIONS.envVar(), "10000");

    /**
     * Open-loop load: segments start at a fixed rate regardless of answers (each on a session that is free), for
     * {@code duration}; a server with default admission settings answers them or refuses them as overloaded.
     */
    static Step step(byte[] segment, OutputFormat format, double perSecond, Duration duration) throws Exception {
        try (ServerUnderTest server = ServerUnderTest.startUnthrottled(MANY_SESSIONS);
             ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            ConcurrentLinkedQueue<SegmentClient> idle = new ConcurrentLinkedQueue<>();
            List<SegmentClient> all = Collections.synchronizedList(new ArrayList<>());
            List<Long> okLatencies = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger overloaded = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger ok = new AtomicInteger();
            List<Future<?>> inFlight = new ArrayList<>();
            long intervalNanos = Math.max(1, Math.round(1e9 / perSecond));
            int total = (int) Math.max(1, Math.round(perSecond * duration.toNanos() / 1e9));
            long t0 = System.nanoTime();
            try {
                for (int i = 0; i < total; i++) {
                    long due = t0 + i * intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    inFlight.add(pool.submit(() -> {
                        SegmentClient c = idle.poll();
                        if (c == null) {
                            c = SegmentClient.connect(server.port(), "format=" + format.wireName());
                            all.add(c);
                        }
                        long start = System.nanoTime();
                        c.send(segment);
                        SegmentClient.Reply r = c.reply(Duration.ofSeconds(60));
                        long ms = (System.nanoTime() - start) / 1_000_000;
                        if ("result".equals(r.type())) {
                            ok.incrementAndGet();
                            okLatencies.add(ms);
                        } else if (ErrorCode.OVERLOADED.wireName().equals(r.code())) {
                            overloaded.incrementAndGet();
                        } else {
                            errors.incrementAndGet();
                        }
                        idle.add(c);
                        return null;
                    }));
                }
                for (Future<?> f : inFlight) {
                    f.get();
                }
            } finally {
                all.forEach(SegmentClient::close);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            List<Long> sorted = new ArrayList<>(okLatencies);
            Collections.sort(sorted);
            return new Step(perSecond, ok.get() / seconds, percentile(sorted, 50), percentile(sorted, 95),
                            percentile(sorted, 99), overloaded.get() / (double) total, errors.get() / (double) total,
                            total);
        }
    }

    private static double percentile(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return -1; // nothing answered: no latency to report
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
