package dev.vbuf.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.ServerProcess;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * A client that never reads and sends 125-byte pings as fast as the socket takes them, against the server as its own
 * process (its heap capped as on a 4 GiB instance), beside an honest session that must lose nothing: it is dropped
 * once it passes {@code SessionLiveness.MAX_CONTROL_FRAMES_PER_SECOND}, the server's RSS stays flat and
 * {@code /health} answers 200. (Below that rate a client holds at most one pong, {@code ReplyQueueTest}, and the
 * writes of pongs are timed like replies: {@code SlowReaderTest} shows a stalled writer dropped.)
 */
class PingFloodTest {
    private static final long RSS_GROWTH_BOUND_MIB = 128;
    private static ServerProcess server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerProcess.start(Map.of("JAVA_TOOL_OPTIONS", "-XX:MaxRAM=4g -XX:MaxRAMPercentage=60"));
        server.awaitReady(Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** What one attack came to: how long until the server dropped it, and what the server's RSS did meanwhile. */
    private record Attack(long pings, long droppedAfterMs, long rssBeforeMib, long rssPeakMib, int healthChecks,
                          int healthy, HonestSession.Report honest) {
        @Override
        public String toString() {
            return pings + " pings sent, dropped after " + droppedAfterMs + " ms; server RSS " + rssBeforeMib
                   + " -> peak " + rssPeakMib + " MiB (+" + (rssPeakMib - rssBeforeMib) + "); /health 200 in "
                   + healthy + "/" + healthChecks + " checks; " + honest;
        }
    }

    @Test
    void aPingFloodIsDroppedAtOnceAndTheServersMemoryStaysFlat() throws Exception {
        Attack a = attack(Duration.ofSeconds(30));
        System.out.println("ping flood, non-reading client, as fast as the socket takes: " + a);
        assertThat("dropped by the server within (ms)", a.droppedAfterMs(), lessThan(2_000L));
        assertThat("RSS growth during the flood (MiB)", a.rssPeakMib() - a.rssBeforeMib(),
                   lessThan(RSS_GROWTH_BOUND_MIB));
        assertThat("/health answered 200 throughout", a.healthy(), is(a.healthChecks()));
        a.honest().assertUnharmed();
    }

    /**
     * A client that never reads sends pings, 512 back to back at a time, until the server drops it or {@code atMost}
     * passes; RSS is sampled every 100 ms, /health every 500 ms.
     */
    private static Attack attack(Duration atMost) throws Exception {
        long pid = server.process().pid();
        HonestSession honest = HonestSession.start(server.port());
        Thread.sleep(1_500); // the honest session under way: the baseline includes its work
        long baseline = rssMib(pid);
        AtomicBoolean attacking = new AtomicBoolean(true);
        AtomicLong pings = new AtomicLong();
        long started = System.nanoTime();
        Thread attacker = Thread.ofPlatform().name("ping-attack").start(() -> {
            byte[] frames = pingBatch(512);
            try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
                while (System.nanoTime() - started < atMost.toNanos()) {
                    ws.sendRawBytes(frames);
                    pings.addAndGet(512);
                }
            } catch (IOException e) {
                // the server dropped the connection: what the test waits for
            } finally {
                attacking.set(false);
            }
        });
        long peak = baseline;
        int checks = 0;
        int healthy = 0;
        for (int tick = 0; attacking.get(); tick++) {
            peak = Math.max(peak, rssMib(pid));
            if (tick % 5 == 0) {
                checks++;
                healthy += server.status("/health") == 200 ? 1 : 0;
            }
            Thread.sleep(100);
        }
        long droppedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
        attacker.join();
        Thread.sleep(500);
        peak = Math.max(peak, rssMib(pid));
        return new Attack(pings.get(), droppedMs, baseline, peak, checks, healthy, honest.stop());
    }

    /** {@code n} masked pings of 125 bytes, back to back. */
    private static byte[] pingBatch(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] payload = new byte[125];
        byte[] mask = new byte[4];
        for (int i = 0; i < n; i++) {
            ThreadLocalRandom.current().nextBytes(mask);
            out.writeBytes(RawWebSocket.clientFrame(0x89, payload, mask));
        }
        return out.toByteArray();
    }

    /** The process's resident set, in MiB. */
    static long rssMib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        throw new IOException("no VmRSS for process " + pid);
    }
}
