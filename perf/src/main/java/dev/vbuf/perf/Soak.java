package dev.vbuf.perf;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.protocol.OutputFormat;

/**
 * Soak: many sessions, opened and closed over and over, send tens of thousands of segments (a share of them bad)
 * to a server in its own process, while its open file descriptors, OS threads, child processes, RSS and heap after GC
 * are sampled. They must end where they started: {@link Report#leaks()} lists what did not.
 *
 * <p>{@code vbuf-perf soak --segments 20000} (perf/soak.sh) is the long run; SoakTest runs a short one.
 */
public final class Soak {
    /** A bad segment every {@code 1 / badShare} segments: garbage, a truncated TS, a segment without audio. */
    public record Options(int segments, int sessions, int segmentsPerSession, double badShare, Duration sampleEvery,
                          long seed) {
    }

    /** Resources of the server process at one moment. */
    public record Sample(double seconds, int segmentsDone, int fds, int threads, int children, long rssKb,
                         long heapAfterGcBytes) {
    }

    /**
     * @param idleBefore the server after a warm-up, with no session open
     * @param idleAfter  the server after the run, with no session open
     * @param samples    during the run
     * @param outcomes   answers by type/code
     * @param unanswered segments sent that never got an answer (must be 0)
     */
    public record Report(Sample idleBefore, Sample idleAfter, List<Sample> samples, Map<String, Integer> outcomes,
                         int unanswered, double seconds) {
        /** Tolerances: a few descriptors (log files, JIT), a few carrier threads may come and go. */
        static final int FD_SLACK = 4;
        static final int THREAD_SLACK = 8;

        public List<String> leaks() {
            List<String> leaks = new ArrayList<>();
            if (idleAfter.children() > 0) {
                leaks.add(idleAfter.children() + " child processes left");
            }
            if (idleAfter.fds() > idleBefore.fds() + FD_SLACK) {
                leaks.add("file descriptors " + idleBefore.fds() + " -> " + idleAfter.fds());
            }
            if (idleAfter.threads() > idleBefore.threads() + THREAD_SLACK) {
                leaks.add("threads " + idleBefore.threads() + " -> " + idleAfter.threads());
            }
            if (unanswered > 0) {
                leaks.add(unanswered + " segments unanswered");
            }
            return leaks;
        }

        public String markdown() {
            StringBuilder md = new StringBuilder();
            md.append(String.format(Locale.ROOT, "%d segments in %.0f s (%.1f/s); outcomes %s%n%n",
                                    outcomes.values().stream().mapToInt(Integer::intValue).sum(), seconds,
                                    outcomes.values().stream().mapToInt(Integer::intValue).sum() / seconds,
                                    outcomes));
            md.append("| when | s | segments | fds | OS threads | children | RSS MiB | heap after GC MiB |\n");
            md.append("|---|---|---|---|---|---|---|---|\n");
            row(md, "idle, before", idleBefore);
            samples.forEach(s -> row(md, "running", s));
            row(md, "idle, after", idleAfter);
            List<String> leaks = leaks();
            md.append('\n').append(leaks.isEmpty() ? "No leaks: descriptors, threads and child processes back to"
                                                     + " their idle level, every segment answered."
                                                   : "LEAKS: " + String.join("; ", leaks)).append('\n');
            return md.toString();
        }

        private static void row(StringBuilder md, String when, Sample s) {
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %d | %d | %d | %d | %.0f | %s |%n", when, s.seconds(),
                                    s.segmentsDone(), s.fds(), s.threads(), s.children(), s.rssKb() / 1024.0,
                                    s.heapAfterGcBytes() < 0 ? "n/a"
                                            : String.format(Locale.ROOT, "%.1f", s.heapAfterGcBytes() / 1048576.0)));
        }
    }

    private static final Pattern HEAP = Pattern.compile("^memory_usedHeap_bytes(?:\\{[^}]*})? (\\S+)$",
                                                        Pattern.MULTILINE);

    private Soak() {
    }

    public static Report run(FfmpegBinary ffmpeg, Options o, PrintStream log) throws Exception {
        List<byte[]> good = List.of(SegmentBench.makeSegment(1, "640x360", true));
        byte[] videoOnly = SegmentBench.makeSegment(1, "640x360", false);
        Map<String, String> env = Map.of(Setting.MAX_SESSIONS.envVar(), String.valueOf(Math.max(100, o.sessions() * 2)),
                                         Setting.TARGET_LATENCY_MS.envVar(), "30000",
                                         Setting.QUEUE_CAPACITY.envVar(), String.valueOf(Math.max(100, o.sessions() * 4)));
        long t0 = System.nanoTime();
        try (ServerUnderTest server = ServerUnderTest.startUnthrottled(env)) {
            // warm-up: every path once, then measure the idle server
            Map<String, Integer> warm = new ConcurrentHashMap<>();
            session(server.port(), OutputFormat.AAC, 20, o.badShare(), new SplittableRandom(o.seed() + 1), good,
                    videoOnly, new AtomicInteger(), warm);
            Sample before = sample(server, t0, 0);
            log.printf(Locale.ROOT, "soak: %d segments over %d concurrent sessions (%d segments each, then a new"
                                    + " session), %.0f%% bad%n", o.segments(), o.sessions(), o.segmentsPerSession(),
                       o.badShare() * 100);

            AtomicInteger done = new AtomicInteger();
            AtomicInteger lost = new AtomicInteger();
            Map<String, Integer> outcomes = new ConcurrentHashMap<>();
            List<Sample> samples = new ArrayList<>();
            AtomicInteger remaining = new AtomicInteger(o.segments());
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> workers = new ArrayList<>();
                OutputFormat[] formats = OutputFormat.values();
                for (int w = 0; w < o.sessions(); w++) {
                    SplittableRandom random = new SplittableRandom(o.seed() * 1000 + w);
                    OutputFormat format = formats[w % formats.length];
                    workers.add(pool.submit(() -> {
                        while (true) {
                            int n = Math.min(o.segmentsPerSession(), remaining.getAndAdd(-o.segmentsPerSession()));
                            if (n <= 0) {
                                return null;
                            }
                            lost.addAndGet(session(server.port(), format, n, o.badShare(), random, good, videoOnly,
                                                   done, outcomes));
                        }
                    }));
                }
                long next = System.nanoTime() + o.sampleEvery().toNanos();
                while (workers.stream().anyMatch(f -> !f.isDone())) {
                    Thread.sleep(100);
                    if (System.nanoTime() >= next) {
                        Sample s = sample(server, t0, done.get());
                        samples.add(s);
                        log.printf(Locale.ROOT, "  %.0f s: %d segments, %d fds, %d threads, %d children, RSS %d MiB%n",
                                   s.seconds(), s.segmentsDone(), s.fds(), s.threads(), s.children(), s.rssKb() / 1024);
                        next += o.sampleEvery().toNanos();
                    }
                }
                for (Future<?> f : workers) {
                    f.get();
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            // let closed sessions' sockets and killed processes settle, then measure idle again
            Sample after = null;
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            do {
                Thread.sleep(250);
                after = sample(server, t0, done.get());
            } while ((after.children() > 0 || after.fds() > before.fds() + Report.FD_SLACK)
                     && System.nanoTime() < end);
            return new Report(before, after, samples, Map.copyOf(outcomes), lost.get(), seconds);
        }
    }

    /** One session: n segments, pipelined two at a time, every answer checked. Returns the segments not answered. */
    private static int session(int port, OutputFormat format, int n, double badShare, SplittableRandom random,
                               List<byte[]> good, byte[] videoOnly, AtomicInteger done, Map<String, Integer> outcomes)
            throws Exception {
        URI uri = URI.create("ws://127.0.0.1:" + port + "/v1/segments?format=" + format.wireName());
        try (SegmentClient client = SegmentClient.connect(uri)) {
            int sent = 0;
            for (int answered = 0; answered < n; answered++) {
                while (sent < n && sent - answered < 2) {
                    client.send(pick(random, badShare, good, videoOnly));
                    sent++;
                }
                SegmentClient.Reply reply;
                try {
                    reply = client.reply(Duration.ofSeconds(60));
                } catch (RuntimeException e) {
                    return n - answered;
                }
                String outcome = "result".equals(reply.type())
                                 ? (reply.audio().length == reply.json().path("bytes").asInt() ? "ok" : "bad_size")
                                 : reply.code();
                outcomes.merge(outcome, 1, Integer::sum);
                done.incrementAndGet();
            }
        }
        return 0;
    }

    private static byte[] pick(SplittableRandom random, double badShare, List<byte[]> good, byte[] videoOnly) {
        byte[] g = good.get(random.nextInt(good.size()));
        if (random.nextDouble() >= badShare) {
            return g;
        }
        return switch (random.nextInt(3)) {
            case 0 -> {
                byte[] noise = new byte[1 + random.nextInt(64 * 1024)];
                random.nextBytes(noise);
                yield noise;
            }
            case 1 -> Arrays.copyOf(g, random.nextInt(g.length));
            default -> videoOnly;
        };
    }

    private static Sample sample(ServerUnderTest server, long t0, int done) throws Exception {
        long pid = server.pid();
        Path proc = Path.of("/proc/" + pid);
        int fds;
        try (var s = Files.list(proc.resolve("fd"))) {
            fds = (int) s.count();
        }
        int threads = 0;
        long rss = 0;
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Threads:")) {
                threads = Integer.parseInt(line.substring(8).strip());
            } else if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.substring(6).replace("kB", "").strip());
            }
        }
        int children = (int) ProcessHandle.of(pid).map(p -> p.children().filter(ProcessHandle::isAlive).count())
                .orElse(0L).longValue();
        return new Sample((System.nanoTime() - t0) / 1e9, done, fds, threads, children, rss, heapAfterGc(server));
    }

    /** Heap in use right after a full GC of the server ({@code jcmd GC.run}), from its own metrics; -1 without jcmd. */
    private static long heapAfterGc(ServerUnderTest server) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return -1;
        }
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(server.pid()), "GC.run")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = HEAP.matcher(metrics.body());
        return m.find() ? (long) Double.parseDouble(m.group(1)) : -1;
    }
}
