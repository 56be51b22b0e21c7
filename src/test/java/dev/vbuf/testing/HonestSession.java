package dev.vbuf.testing;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.protocol.Protocol;

/**
 * An honest protocol v1.1 player running beside a hostile client: one segment at a time, one every
 * {@code interval}, each reply awaited before the next is sent. What a hostile-client test asserts about it: every
 * segment answered with audio (nothing lost, no error) and a p95 latency within the budget.
 */
public final class HonestSession implements AutoCloseable {
    /** The latency budget an honest session must keep while another client misbehaves (p95). */
    public static final Duration BUDGET = Duration.ofSeconds(1);

    /** What the session saw: every segment sent, and how each ended. */
    public record Report(int sent, int answered, List<String> failures, List<Long> latenciesMs) {
        public long p95Ms() {
            if (latenciesMs.isEmpty()) {
                return Long.MAX_VALUE;
            }
            List<Long> sorted = new ArrayList<>(latenciesMs);
            Collections.sort(sorted);
            return sorted.get(Math.max(0, (int) Math.ceil(sorted.size() * 0.95) - 1));
        }

        @Override
        public String toString() {
            return "honest session: " + sent + " sent, " + answered + " answered with audio, p95 " + p95Ms() + " ms"
                   + (failures.isEmpty() ? "" : ", failures " + failures);
        }
    }

    private final URI uri;
    private final byte[] segment;
    private final Duration interval;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private volatile int sent;
    private volatile int answered;

    private HonestSession(int port, byte[] segment, Duration interval) {
        this.uri = URI.create("ws://localhost:" + port + Protocol.PATH + "?format=aac");
        this.segment = segment;
        this.interval = interval;
        this.thread = Thread.ofPlatform().name("honest-session").daemon().unstarted(this::run);
    }

    /** Starts one on the server at {@code port}: a 2-s MPEG-TS segment every 500 ms. */
    public static HonestSession start(int port) {
        return start(port, TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0), Duration.ofMillis(500));
    }

    public static HonestSession start(int port, byte[] segment, Duration interval) {
        HonestSession s = new HonestSession(port, segment, interval);
        s.thread.start();
        return s;
    }

    private void run() {
        try (SegmentClient c = SegmentClient.connect(uri, Map.of(), List.of(Protocol.SUBPROTOCOL_V11))) {
            while (!stop.get()) {
                long t0 = System.nanoTime();
                c.sendText("{\"type\":\"segment\",\"id\":\"honest-" + sent + "\"}");
                c.send(segment);
                sent++;
                SegmentClient.Reply r = c.reply(Duration.ofSeconds(30));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                if (r.audio() != null && r.audio().length > 0) {
                    answered++;
                    latencies.add(ms);
                } else {
                    failures.add(String.valueOf(r.json()));
                }
                long rest = interval.toMillis() - ms;
                if (rest > 0) {
                    Thread.sleep(rest);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failures.add("session failed after " + sent + " segments: " + e);
        }
    }

    /** Stops after the segment in flight and reports. */
    public Report stop() throws InterruptedException {
        stop.set(true);
        thread.join(Duration.ofSeconds(40).toMillis());
        if (thread.isAlive()) {
            failures.add("no reply within 40 s of stopping");
            thread.interrupt();
        }
        return new Report(sent, answered, List.copyOf(failures), List.copyOf(latencies));
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }
}
