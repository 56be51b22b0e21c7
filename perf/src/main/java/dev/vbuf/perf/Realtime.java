package dev.vbuf.perf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.ffmpeg.FfmpegBinary;

/**
 * Real-time players against one server in its own process, the JVM limited as in a container: every session sends
 * one segment per segment length (a player buffering video), starting at staggered moments; each reply's latency
 * (last byte sent → audio received), its outcome, lost answers, the server's RSS and its CPU per segment (its own,
 * and its FFmpeg children's) are recorded after a warm-up. "Held" means p95 under the budget, at most 1 % answered
 * {@code overloaded}, nothing lost, and RSS within 80 % of the container's memory.
 */
public final class Realtime {
    /** How long a player waits for an answer before it counts as lost. */
    static final Duration LOST_AFTER = Duration.ofSeconds(30);

    /**
     * What to run.
     *
     * @param sessions       players
     * @param segmentSeconds segment length (also the cadence)
     * @param warmUp         not measured (the server's JIT, the first segments of every session)
     * @param measured       measured after the warm-up
     * @param paced          uploads paced as a player's (64 KiB frames at 20 Mbit/s) instead of as fast as the socket
     * @param containerBytes the container memory the JVM is limited to ({@code -XX:MaxRAM})
     * @param budget         the latency budget p95 must stay under
     */
    public record Options(int sessions, double segmentSeconds, Duration warmUp, Duration measured, boolean paced,
                          long containerBytes, Duration budget) {
    }

    /** What came back, over the measured window. */
    public record Report(int sessions, int answered, int ok, int overloaded, int otherErrors, int lost, double p50Ms,
                         double p95Ms, double p99Ms, long maxRssBytes, double serverCpuMsPerSegment,
                         double ffmpegCpuMsPerSegment, boolean held) {
        double overloadedShare() {
            return answered == 0 ? 0 : (double) overloaded / answered;
        }
    }

    private Realtime() {
    }

    public static Report run(FfmpegBinary ffmpeg, Options o, PrintStream log) throws Exception {
        byte[] segment = SegmentBench.makeSegment(o.segmentSeconds(), "1280x720", true);
        String jvm = "-XX:MaxRAM=" + o.containerBytes() + " -XX:MaxRAMPercentage=60";
        System.setProperty(ServerUnderTest.JVM_OPTS_PROPERTY, jvm);
        log.printf(Locale.ROOT, "realtime: %d sessions, a %.0f-s %d-byte segment each every %.0f s%s; server JVM %s%n",
                   o.sessions(), o.segmentSeconds(), segment.length, o.segmentSeconds(),
                   o.paced() ? ", paced 64 KiB @ 20 Mbit/s" : "", jvm);
        Map<String, String> env = Map.of(Setting.MAX_SESSIONS.envVar(), String.valueOf(o.sessions() + 10),
                                         Setting.TARGET_LATENCY_MS.envVar(), String.valueOf(o.budget().toMillis()));
        try (ServerUnderTest server = ServerUnderTest.start(env)) {
            List<SegmentClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < o.sessions(); i++) {
                    clients.add(SegmentClient.connect(server.port(), "format=aac"));
                }
                return drive(server, clients, segment, o, log);
            } finally {
                clients.forEach(SegmentClient::close);
            }
        }
    }

    private static Report drive(ServerUnderTest server, List<SegmentClient> clients, byte[] segment, Options o,
                                PrintStream log) throws Exception {
        long periodNanos = (long) (o.segmentSeconds() * 1e9);
        long start = System.nanoTime() + 500_000_000L;
        long measureFrom = start + o.warmUp().toNanos();
        long end = measureFrom + o.measured().toNanos();
        List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger overloaded = new AtomicInteger();
        AtomicInteger other = new AtomicInteger();
        AtomicInteger lost = new AtomicInteger();
        AtomicLong maxRss = new AtomicLong();
        double[][] cpu = new double[2][];

        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    maxRss.accumulateAndGet(rssBytes(server.pid()), Math::max);
                    Thread.sleep(500);
                }
            } catch (InterruptedException | IOException e) {
                // done
            }
        });
        List<Thread> players = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            SegmentClient c = clients.get(i);
            long first = start + periodNanos * i / clients.size();
            players.add(Thread.ofVirtual().start(() -> {
                long due = first;
                while (due < end) {
                    try {
                        sleepUntil(due);
                        if (o.paced()) {
                            c.sendPaced(segment, SegmentBench.PACED_FRAME_BYTES, SegmentBench.PACED_BITS_PER_SECOND);
                        } else {
                            c.send(segment);
                        }
                        long sent = System.nanoTime();
                        SegmentClient.Reply r = c.reply(LOST_AFTER);
                        long ms = (System.nanoTime() - sent) / 1_000_000;
                        if (due >= measureFrom) {
                            latencies.add(ms);
                            if ("result".equals(r.type())) {
                                ok.incrementAndGet();
                            } else if (ErrorCode.OVERLOADED.wireName().equals(r.code())) {
                                overloaded.incrementAndGet();
                            } else {
                                other.incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        return;
                    } catch (RuntimeException e) {
                        if (due >= measureFrom) {
                            lost.incrementAndGet();
                        }
                        return; // the session broke: everything it would have sent is lost too
                    }
                    due += periodNanos;
                }
            }));
        }
        sleepUntil(measureFrom);
        cpu[0] = server.cpuMs();
        for (Thread p : players) {
            p.join(Duration.ofNanos(Math.max(0, end - System.nanoTime())).plus(LOST_AFTER).plusSeconds(5));
        }
        cpu[1] = server.cpuMs();
        sampler.interrupt();
        players.forEach(Thread::interrupt);
        List<Long> sorted = new ArrayList<>(latencies);
        Collections.sort(sorted);
        int answered = ok.get() + overloaded.get() + other.get();
        double segments = Math.max(1, answered); // the segments sent in the measured window
        Report r = new Report(clients.size(), answered, ok.get(), overloaded.get(), other.get(), lost.get(),
                              pct(sorted, 50), pct(sorted, 95), pct(sorted, 99), maxRss.get(),
                              (cpu[1][0] - cpu[0][0]) / segments, (cpu[1][1] - cpu[0][1]) / segments, false);
        boolean held = r.p95Ms() < o.budget().toMillis() && r.overloadedShare() <= 0.01 && r.lost() == 0
                       && r.otherErrors() == 0 && r.maxRssBytes() <= 0.8 * o.containerBytes();
        r = new Report(r.sessions(), r.answered(), r.ok(), r.overloaded(), r.otherErrors(), r.lost(), r.p50Ms(),
                       r.p95Ms(), r.p99Ms(), r.maxRssBytes(), r.serverCpuMsPerSegment(), r.ffmpegCpuMsPerSegment(),
                       held);
        log.printf(Locale.ROOT, "| %d | %d | %d | %.1f %% | %d | %d | %.0f | %.0f | %.0f | %.0f MiB (%.0f %%) | %.1f |"
                                + " %.1f | %s |%n",
                   r.sessions(), r.answered(), r.ok(), 100 * r.overloadedShare(), r.otherErrors(), r.lost(),
                   r.p50Ms(), r.p95Ms(), r.p99Ms(), r.maxRssBytes() / 1048576.0,
                   100.0 * r.maxRssBytes() / o.containerBytes(), r.serverCpuMsPerSegment(),
                   r.ffmpegCpuMsPerSegment(), r.held() ? "held" : "NOT held");
        return r;
    }

    /** The table header for {@link #run}'s line. */
    static String header() {
        return "| sessions | answered | ok | overloaded | other errors | lost | p50 ms | p95 ms | p99 ms | max RSS |"
               + " server CPU ms/seg | FFmpeg CPU ms/seg | verdict |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|";
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long wait = nanoTime - System.nanoTime();
        if (wait > 0) {
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
        }
    }

    private static double pct(List<Long> sorted, int p) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    /** VmRSS of a process, from /proc/PID/status. */
    static long rssBytes(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", "")) * 1024;
            }
        }
        return 0;
    }
}
