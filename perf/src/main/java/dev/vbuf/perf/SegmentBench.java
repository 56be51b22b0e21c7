package dev.vbuf.perf;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.media.ParsedSegment;
import dev.vbuf.media.SegmentParser;
import dev.vbuf.observe.MetricNames;

/**
 * Raw FFmpeg against the server, on the same machine, binary and segments, in one run.
 * <ul>
 *     <li>raw: N threads, each running the server's own FFmpeg command line back to back (one process per segment);</li>
 *     <li>server: a vbuf server in this JVM with N permits, and N WebSocket sessions each sending segments back to back
 *     (one outstanding), latency measured by the client from the segment's last byte sent to its audio received.</li>
 * </ul>
 * CPU per segment comes from /proc/PID/stat: for raw, FFmpeg's (reaped children) and this harness JVM's; for the
 * server, which runs as its own process, its JVM's and its FFmpeg children's (the client's CPU is reported apart).
 * Then the analysis's check: 16 sessions each send one 6-s 720p segment at the same moment to a server with default
 * settings; wall time until the last reply.
 */
public final class SegmentBench {
    private static final double CLOCK_TICKS = 100.0; // USER_HZ on Linux

    private final FfmpegBinary ffmpeg;
    private final byte[] segment;
    private final int segmentsPerRun;
    private final List<Integer> parallelism;
    private final List<OutputFormat> formats;
    private final WarmUp warmUp;

    private SegmentBench(FfmpegBinary ffmpeg, byte[] segment, int segmentsPerRun, List<Integer> parallelism,
                         List<OutputFormat> formats, WarmUp warmUp) {
        this.ffmpeg = ffmpeg;
        this.segment = segment;
        this.segmentsPerRun = segmentsPerRun;
        this.parallelism = parallelism;
        this.formats = formats;
        this.warmUp = warmUp;
    }

    /**
     * What each server is sent before it is measured: {@code segments} per session, for at most {@code limit} (the
     * slow formats stop at the limit).
     */
    record WarmUp(int segments, Duration limit) {
    }

    /**
     * Runs the benchmark ({@code vbuf-perf bench}, perf/segment-bench.sh) and prints its tables.
     *
     * @param segments      segments per run (per format and parallelism)
     * @param parallel      the parallelism levels N to measure
     * @param seconds       length of the generated segment
     * @param serverJvmOpts JVM options for the server process (e.g. a flight recording), or null
     * @param warmUp        what each server is sent before it is measured
     */
    public static void run(FfmpegBinary ffmpeg, int segments, List<Integer> parallel, List<OutputFormat> formats,
                           double seconds, String serverJvmOpts, WarmUp warmUp) throws Exception {
        if (serverJvmOpts != null) {
            System.setProperty(ServerUnderTest.JVM_OPTS_PROPERTY, serverJvmOpts);
        }
        System.out.printf("vbuf segment benchmark: FFmpeg %s (%s), %d CPUs, Java %s%n", ffmpeg.version(),
                          ffmpeg.source(), Runtime.getRuntime().availableProcessors(), Runtime.version());
        byte[] segment = makeSegment(seconds, "1280x720", true);
        System.out.printf("segment: %.0f s 720p H.264 + stereo AAC in MPEG-TS, %d bytes; %d segments per run; each"
                          + " server warmed up with %d segments per session or %d s%n%n",
                          seconds, segment.length, segments, warmUp.segments(), warmUp.limit().toSeconds());
        new SegmentBench(ffmpeg, segment, segments, parallel, formats, warmUp).run();
    }

    /** A player on a good network: 64 KiB frames at 20 Mbit/s. */
    static final int PACED_FRAME_BYTES = 64 * 1024;
    /**
     * Segments each session sends before the measured run (64 KiB frames), so the JIT compiling the server is not
     * measured: what runs once per segment is compiled by C2 after some 5,000 calls (HotSpot's tier-4 invocation
     * threshold), and those compiles take the compiler threads up to 2 ms of CPU per segment while they last. Measured
     * after 1,000 segments, and again just past 5,000, the compilers were still busy (perf/warm-up.sh, perf/README.md);
     * 6,000 clears the burst. Capped by {@link #WARM_UP_LIMIT_SECONDS} for the slow formats.
     */
    static final int WARM_UP_SEGMENTS = 6000;
    static final int WARM_UP_LIMIT_SECONDS = 480;
    static final double PACED_BITS_PER_SECOND = 20e6;
    /**
     * A paced run's warm-up is paced too, {@value} times faster than the run: the server then waits for every frame
     * as it does in the run (a frame takes it well under the 0.8 ms between two), so the JIT compiles that path
     * (a socket read that finds nothing and polls) before it is measured. Warmed up unpaced, 8 % of the reading
     * thread's samples in a paced run were still in the interpreter.
     */
    static final int PACED_WARM_UP_SPEED_UP = 32;

    /** Sends one warm-up segment: as fast as the socket takes it, or paced {@link #PACED_WARM_UP_SPEED_UP}× faster. */
    static void warmUp(SegmentClient c, byte[] segment, boolean paced) throws InterruptedException {
        if (paced) {
            c.sendPaced(segment, PACED_FRAME_BYTES, PACED_BITS_PER_SECOND * PACED_WARM_UP_SPEED_UP);
        } else {
            c.send(segment);
        }
    }

    private void run() throws Exception {
        System.out.println("Latency: unpaced, first byte sent → audio received (the upload over loopback included);"
                           + " paced, last byte sent → audio received (the upload itself is the network's).");
        System.out.println("CPU: FFmpeg's = the reaped children's; JVM's = the process's own (children excluded);"
                           + " for the server rows, the server process's.");
        System.out.println();
        System.out.println("| format | N | mode | segments/s | p50 ms | p95 ms | p99 ms | FFmpeg CPU ms/seg"
                           + " | JVM CPU ms/seg | JVM/FFmpeg CPU | throughput server/raw | p50 server − raw ms |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        List<String> verdicts = new ArrayList<>();
        for (OutputFormat format : formats) {
            raw(format, 1, Math.max(4, segmentsPerRun / 8)); // warm-up (page cache, JIT)
            for (int n : parallelism) {
                Result raw = raw(format, n, segmentsPerRun);
                Result server = server(format, n, segmentsPerRun, false);
                // as many as unpaced: /proc counts CPU in 10-ms ticks, so a third of 24 segments left the paced figure
                // in steps of 1.25 ms per segment
                Result paced = server(format, n, segmentsPerRun, true);
                double ratio = server.perSecond() / raw.perSecond();
                long added = server.percentile(50) - raw.percentile(50);
                print(format, n, "raw FFmpeg", raw, "", "");
                print(format, n, "server, unpaced", server, String.format(Locale.ROOT, "%.2f", ratio),
                      String.valueOf(added));
                print(format, n, "server, paced 64 KiB @ 20 Mbit/s", paced, "", "");
                for (Result r : List.of(server, paced)) {
                    double cpu = r.jvmCpuMs / r.ffmpegCpuMs;
                    verdicts.add(String.format(Locale.ROOT, "%s N=%d %s: server CPU / FFmpeg CPU %.2f (target <= 0.25)"
                                                            + " %s", format, n, r == server ? "unpaced" : "paced", cpu,
                                               cpu <= 0.25 ? "MET" : "MISSED"));
                }
                verdicts.add(String.format(Locale.ROOT, "%s N=%d: throughput ratio %.2f (target >= 0.95) %s",
                                           format, n, ratio, ratio >= 0.95 ? "MET" : "MISSED"));
                if (n == 1) {
                    verdicts.add(String.format(Locale.ROOT, "%s N=1: server-added latency p50 %d ms (target <= 10)"
                                                            + " %s", format, added, added <= 10 ? "MET" : "MISSED"));
                }
            }
        }
        System.out.println();
        serverViews.forEach(v -> System.out.println("- " + v));
        System.out.println();
        burst(verdicts);
        System.out.println();
        verdicts.forEach(v -> System.out.println("- " + v));
    }

    private final List<String> serverViews = new ArrayList<>();

    /** Latency sum and count of this format, FFmpeg seconds sum and count, from the server's own metrics. */
    private static double[] serverSums(int port, OutputFormat format) throws Exception {
        String text = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port
                                                                         + "/observe/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        String fmt = "format=\"" + format.wireName() + "\"";
        return new double[]{
                sample(text, MetricNames.SEGMENT_LATENCY + "_sum", fmt),
                sample(text, MetricNames.SEGMENT_LATENCY + "_count", fmt),
                sample(text, MetricNames.FFMPEG_SECONDS + "_sum", ""),
                sample(text, MetricNames.FFMPEG_SECONDS + "_count", "")};
    }

    private static double sample(String text, String name, String labelPart) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") && line.contains(labelPart)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new IllegalStateException("metric " + name + " " + labelPart + " not found");
    }

    private static void print(OutputFormat f, int n, String mode, Result r, String ratio, String added) {
        System.out.printf(Locale.ROOT, "| %s | %d | %s | %.2f | %d | %d | %d | %.1f | %.1f | %.2f | %s | %s |%n", f, n,
                          mode, r.perSecond(), r.percentile(50), r.percentile(95), r.percentile(99),
                          r.ffmpegCpuMs / r.latenciesMs.size(), r.jvmCpuMs / r.latenciesMs.size(),
                          r.jvmCpuMs / r.ffmpegCpuMs, ratio, added);
    }

    /** Raw FFmpeg: N workers, each running one process per segment, back to back. */
    private Result raw(OutputFormat format, int n, int total) throws Exception {
        ParsedSegment inspection = SegmentParser.inspect(segment);
        List<String> command = FfmpegCommand.extractAudio(ffmpeg.executable().toString(), inspection.container(),
                                                          inspection.audioIsAac(), format);
        return measure(n, total, () -> {
            long start = System.nanoTime();
            runRaw(command, segment);
            return System.nanoTime() - start;
        });
    }

    /** One raw FFmpeg process over one segment, stdin to stdout, the way vbuf runs it; fails on no output. */
    static void runRaw(List<String> command, byte[] segment) throws Exception {
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Thread writer = Thread.ofVirtual().start(() -> {
            try (OutputStream in = p.getOutputStream()) {
                in.write(segment);
            } catch (IOException ignored) {
                // reported through the exit status
            }
        });
        byte[] out;
        try (InputStream stdout = p.getInputStream()) {
            out = stdout.readAllBytes();
        }
        writer.join();
        if (p.waitFor() != 0 || out.length == 0) {
            throw new IllegalStateException("raw FFmpeg failed: exit " + p.exitValue() + " " + command);
        }
    }

    /**
     * The server (its own process): N permits, N sessions, one segment outstanding per session; unpaced (64 KiB frames
     * as fast as the socket takes them) or paced as a player's upload.
     */
    private Result server(OutputFormat format, int n, int total, boolean paced) throws Exception {
        Map<String, String> env = Map.of(Setting.MAX_CONCURRENT.envVar(), String.valueOf(n),
                                         Setting.TARGET_LATENCY_MS.envVar(), "60000");
        try (ServerUnderTest server = ServerUnderTest.startUnthrottled(env)) {
            List<SegmentClient> clients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                clients.add(SegmentClient.connect(server.port(), "format=" + format.wireName()));
            }
            try {
                long warmUpEnd = System.nanoTime() + warmUp.limit().toNanos();
                int warmed = 0;
                for (; warmed < warmUp.segments() && System.nanoTime() < warmUpEnd; warmed++) { // JIT first, unmeasured
                    for (SegmentClient c : clients) {
                        warmUp(c, segment, paced);
                        c.reply(Duration.ofSeconds(60));
                    }
                }
                double[] before = serverSums(server.port(), format);
                double[] cpuBefore = server.cpuMs();
                AtomicInteger next = new AtomicInteger();
                ThreadLocal<SegmentClient> mine = ThreadLocal.withInitial(() -> clients.get(next.getAndIncrement()));
                Result client = measure(n, total, () -> {
                    SegmentClient c = mine.get();
                    long start = System.nanoTime();
                    if (paced) {
                        c.sendPaced(segment, PACED_FRAME_BYTES, PACED_BITS_PER_SECOND);
                        start = System.nanoTime(); // the upload is the network's time, not the server's
                    } else {
                        c.send(segment);
                    }
                    SegmentClient.Reply r = c.reply(Duration.ofSeconds(60));
                    if (!"result".equals(r.type())) {
                        throw new IllegalStateException("server answered " + r);
                    }
                    return System.nanoTime() - start;
                });
                double[] cpuAfter = server.cpuMs();
                double[] after = serverSums(server.port(), format);
                double segments = after[1] - before[1];
                serverViews.add(String.format(Locale.ROOT, "%s N=%d%s: warmed up with %d segments per session;"
                                                           + " server-measured latency (last byte in → reply"
                                                           + " sent) mean %.1f ms, of which FFmpeg %.1f ms;"
                                                           + " client JVM CPU %.0f ms/segment (not in the table)",
                                              format, n, paced ? " paced" : "", warmed,
                                              (after[0] - before[0]) / segments * 1000,
                                              (after[2] - before[2]) / (after[3] - before[3]) * 1000,
                                              client.jvmCpuMs / total));
                // the table's CPU columns are the server process's: its JVM and its FFmpeg children
                return new Result(client.latenciesMs, client.wallSeconds, cpuAfter[1] - cpuBefore[1],
                                  cpuAfter[0] - cpuBefore[0]);
            } finally {
                clients.forEach(SegmentClient::close);
            }
        }
    }

    /** The analysis's check: 16 sessions send one segment each at once to a server with default settings. */
    private void burst(List<String> verdicts) throws Exception {
        int sessions = 16;
        try (ServerUnderTest server = ServerUnderTest.start(Map.of())) {
            List<SegmentClient> clients = new ArrayList<>();
            for (int i = 0; i < sessions; i++) {
                clients.add(SegmentClient.connect(server.port(), "format=aac"));
            }
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            long start = System.nanoTime();
            List<Future<String>> replies = new ArrayList<>();
            for (SegmentClient c : clients) {
                replies.add(pool.submit(() -> {
                    c.send(segment);
                    return c.reply(Duration.ofSeconds(60)).type();
                }));
            }
            int ok = 0;
            for (Future<String> f : replies) {
                ok += "result".equals(f.get()) ? 1 : 0;
            }
            long wallMs = (System.nanoTime() - start) / 1_000_000;
            pool.shutdown();
            clients.forEach(SegmentClient::close);
            System.out.printf(Locale.ROOT, "16 concurrent %d-byte segments (aac), default settings (%d permits):"
                                           + " %d/%d answered with audio, wall time %d ms%n",
                              segment.length, Runtime.getRuntime().availableProcessors(), ok, sessions, wallMs);
            verdicts.add(String.format(Locale.ROOT, "16 concurrent 6-s 720p segments (aac): %d ms, %d/16 ok"
                                                    + " (target < 2000 ms) %s", wallMs, ok,
                                       wallMs < 2000 && ok == sessions ? "MET" : "MISSED"));
        }
    }

    @FunctionalInterface
    private interface Job {
        long runNanos() throws Exception;
    }

    private record Result(List<Long> latenciesMs, double wallSeconds, double ffmpegCpuMs, double jvmCpuMs) {
        double perSecond() {
            return latenciesMs.size() / wallSeconds;
        }

        long percentile(int p) {
            List<Long> sorted = new ArrayList<>(latenciesMs);
            Collections.sort(sorted);
            int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
        }
    }

    private static Result measure(int n, int total, Job job) throws Exception {
        AtomicInteger remaining = new AtomicInteger(total);
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        double childCpu0 = childrenCpuMs();
        double jvmCpu0 = jvmCpuMs();
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                workers.add(pool.submit(() -> {
                    while (remaining.getAndDecrement() > 0) {
                        latencies.add(job.runNanos() / 1_000_000);
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get();
            }
        }
        double wall = (System.nanoTime() - start) / 1e9;
        return new Result(List.copyOf(latencies), wall, childrenCpuMs() - childCpu0, jvmCpuMs() - jvmCpu0);
    }

    /** CPU time of this JVM's reaped children. */
    static double childrenCpuMs() throws IOException {
        return procCpuMs("self")[1];
    }

    /**
     * {own (utime + stime), reaped children (cutime + cstime)} of a process, in ms, from /proc/PID/stat.
     * After "pid (comm) " field 3 is index 0, so utime, stime, cutime, cstime (14-17) are indexes 11-14.
     */
    static double[] procCpuMs(String pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new double[]{(Long.parseLong(f[11]) + Long.parseLong(f[12])) * 1000 / CLOCK_TICKS,
                            (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 1000 / CLOCK_TICKS};
    }

    /** CPU time of this JVM itself, all its threads, ended ones included (its children excluded). */
    private static double jvmCpuMs() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                       .getProcessCpuTime() / 1e6;
    }

    /**
     * A generated MPEG-TS segment: H.264 test pattern at {@code size} with a keyframe every 2 s, and stereo AAC unless
     * {@code withAudio} is false. Shared by the benchmark and the soak. Made by the tool FFmpeg (H.264).
     */
    public static byte[] makeSegment(double seconds, String size, boolean withAudio) throws Exception {
        Path out = Files.createTempFile("vbuf-bench", ".ts");
        try {
            List<String> cmd = new ArrayList<>(List.of(FfmpegBinary.tool(PerfMain.ffmpeg()).executable().toString(), "-hide_banner",
                    "-nostdin",
                    "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30",
                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                    "-t", String.valueOf(seconds), "-c:v", "libopenh264", "-b:v", "2500k", "-g", "60"));
            cmd.addAll(withAudio ? List.of("-ac", "2", "-c:a", "aac", "-b:a", "128k") : List.of("-an"));
            cmd.addAll(List.of("-f", "mpegts", "-y", out.toString()));
            Process p = new ProcessBuilder(cmd).inheritIO().start();
            if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("could not generate the benchmark segment");
            }
            return Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
