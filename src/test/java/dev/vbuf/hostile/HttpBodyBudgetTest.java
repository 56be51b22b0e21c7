package dev.vbuf.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.config.Setting;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.PrometheusText;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * Many slow, concurrent 16 MB uploads to {@code POST /v1/segments}, against the server as its own process sized as an
 * instance ({@code -XX:MaxRAM=4g -XX:MaxRAMPercentage=60}): HTTP bodies are read into the segment memory budget as
 * they arrive, at most {@code limits.max-http-segments} at once, and refused with 503 and {@code Retry-After} beyond
 * that or when the budget is spent; the server's RSS grows by less than the budget plus 128 MiB.
 */
class HttpBodyBudgetTest {
    private static final int UPLOADS = 60;
    private static final int BODY_BYTES = 16 * 1024 * 1024;
    private static final long SLACK = 128L << 20;
    /** Each upload's pace: 64 KiB every 32 ms, 2 MB/s. */
    private static final int CHUNK = 64 * 1024;
    private static final long CHUNK_MILLIS = 32;

    private static ServerProcess start(Map<String, String> more) throws Exception {
        Map<String, String> env = new TreeMap<>(more);
        env.put("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=4g -XX:MaxRAMPercentage=60");
        ServerProcess server = ServerProcess.start(env);
        server.awaitReady(Duration.ofSeconds(60));
        return server;
    }

    /** The segment memory budget the server resolved (the default: a quarter of its heap), from its readiness. */
    private static long budget(ServerProcess server) throws Exception {
        return new ObjectMapper().readTree(server.body("/observe/health")).findValue("segmentMemoryBudgetBytes")
                .asLong();
    }

    /** The segment memory in use, as the server's gauge says. */
    private static long gauge(ServerProcess server) {
        try {
            return (long) PrometheusText.value(server.body("/observe/metrics"), MetricNames.SEGMENT_MEMORY_BYTES);
        } catch (Exception e) {
            return 0;
        }
    }

    /** The server's resident set, from /proc. */
    private static long rss(ServerProcess server) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + server.process().pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return 0;
    }

    /**
     * One slow upload: the headers, then the body at 2 MB/s until it is all sent or the server answers early. Its
     * answer's status, or -1 when the server ended the connection without one reaching the client.
     */
    private static int slowUpload(int port) {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(60_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            out.write(("POST " + Protocol.PATH + "?format=aac HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
                       + BODY_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] chunk = new byte[CHUNK];
            try {
                for (int sent = 0; sent < BODY_BYTES && in.available() == 0; sent += CHUNK) {
                    Thread.sleep(CHUNK_MILLIS);
                    out.write(chunk);
                    out.flush();
                }
            } catch (IOException e) {
                // refused while sending: the answer may still be there to read
            }
            byte[] head = in.readNBytes(12);
            return head.length == 12 ? Integer.parseInt(new String(head, 9, 3, StandardCharsets.US_ASCII)) : -1;
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** Runs the uploads at once; the count of each answer (-1: the connection ended without one). */
    private static Map<Integer, Integer> flood(int port) throws Exception {
        Map<Integer, Integer> statuses = new TreeMap<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> uploads = new ArrayList<>();
            for (int i = 0; i < UPLOADS; i++) {
                uploads.add(pool.submit(() -> slowUpload(port)));
            }
            for (Future<Integer> f : uploads) {
                statuses.merge(f.get(), 1, Integer::sum);
            }
        }
        return statuses;
    }

    @Test
    void slowUploadsBeyondTheHttpCapAreRefused503AndRssStaysWithinTheBudget() throws Exception {
        try (ServerProcess server = start(Map.of())) {
            long budget = budget(server);
            long before = rss(server);
            HonestSession honest = HonestSession.start(server.port());
            Map<Integer, Integer> statuses;
            long peak;
            try (MeasuredBound.Peak rss = new MeasuredBound.Peak(() -> rss(server))) {
                statuses = flood(server.port());
                peak = rss.max();
            }
            HonestSession.Report r = honest.stop();
            int cap = Integer.parseInt(Setting.MAX_HTTP_SEGMENTS.defaultValue());
            MeasuredBound.report(UPLOADS + " concurrent 16 MB uploads at 2 MB/s (limits.max-http-segments " + cap + ")",
                                 "answers " + statuses + "; server RSS " + MeasuredBound.mib(before) + " -> peak "
                                 + MeasuredBound.mib(peak) + ", growth " + MeasuredBound.mib(peak - before)
                                 + " (bound: budget " + MeasuredBound.mib(budget) + " + 128 MiB); " + r);
            assertThat("uploads over the cap refused 503 before their bodies", statuses.getOrDefault(503, 0),
                       greaterThan(0));
            assertThat("the ones let in read whole and answered (zeros are not media: 422)",
                       statuses.getOrDefault(422, 0), is(cap));
            assertThat("RSS growth", peak - before, lessThan(budget + SLACK));
            MeasuredBound.assertUndisturbed(r);
        }
    }

    /**
     * With the cap lifted, the budget alone bounds what the uploads hold: the server's own count of segment memory
     * never passes it, and uploads that would are refused 503 mid-body. (RSS is printed, not bounded here: the JVM
     * reuses garbage only after a collection, so RSS follows the allocation rate as well as what is held.)
     */
    @Test
    void withoutTheCapTheBudgetAloneBoundsWhatTheUploadsHold() throws Exception {
        try (ServerProcess server = start(Map.of(Setting.MAX_HTTP_SEGMENTS.envVar(), String.valueOf(UPLOADS)))) {
            long budget = budget(server);
            long before = rss(server);
            Map<Integer, Integer> statuses;
            long peak;
            long held;
            try (MeasuredBound.Peak rss = new MeasuredBound.Peak(() -> rss(server));
                 MeasuredBound.Peak memory = new MeasuredBound.Peak(() -> gauge(server))) {
                statuses = flood(server.port());
                peak = rss.max();
                held = memory.max();
            }
            MeasuredBound.report(UPLOADS + " concurrent 16 MB uploads at 2 MB/s, all let in (" + UPLOADS * 16
                                 + " MB in all)", "answers " + statuses + "; segment memory held at most "
                                 + MeasuredBound.mib(held) + " (budget " + MeasuredBound.mib(budget) + "); server RSS "
                                 + MeasuredBound.mib(before) + " -> peak " + MeasuredBound.mib(peak));
            assertThat("some read whole", statuses.getOrDefault(422, 0), greaterThan(0));
            assertThat("others refused for memory", statuses.getOrDefault(503, 0), greaterThan(0));
            assertThat("segment memory held", held, lessThanOrEqualTo(budget));
        }
    }

    /** A body that stops arriving holds its memory only until the arrival deadline: then its connection is closed. */
    @Test
    void aStalledBodyIsCutAtTheDeadlineAndItsMemoryReturned() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MESSAGE_DEADLINE_SECONDS, "1"));
             MeasuredBound.Peak peak = new MeasuredBound.Peak(() -> server.buffers().inUseBytes());
             Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST " + Protocol.PATH + "?format=aac HTTP/1.1\r\nHost: localhost\r\n"
                                       + "Content-Length: " + BODY_BYTES + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(new byte[300_000]); // then nothing
            s.getOutputStream().flush();
            long t0 = System.nanoTime();
            long end = t0 + Duration.ofSeconds(5).toNanos();
            while (server.buffers().inUseBytes() == 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            int read;
            try {
                read = s.getInputStream().read(); // the connection ends: no answer to a body that never came
            } catch (IOException e) {
                read = -1;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (server.buffers().inUseBytes() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            long held = peak.max();
            MeasuredBound.report("an HTTP body stalled after 300,000 of " + BODY_BYTES + " bytes",
                                 "held " + MeasuredBound.mib(held) + " of segment memory, connection closed " + ms
                                 + " ms later (deadline 1 s), " + MeasuredBound.mib(server.buffers().inUseBytes())
                                 + " held afterwards");
            assertThat("held about what arrived", held, lessThanOrEqualTo(2L * 300_000 + 65536));
            assertThat("the connection ended", read, is(-1));
            assertThat("within the deadline and a little", ms, lessThan(3_000L));
            assertThat(server.buffers().inUseBytes(), is(0L));
        }
    }
}
