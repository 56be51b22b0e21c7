package dev.vbuf.api;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The open WebSocket sessions of one server, the count of segments accepted but not yet answered (what a drain waits
 * for), and the idle-timeout sweep.
 */
public final class SessionRegistry implements AutoCloseable {
    private final Set<SegmentSocket> sessions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger unanswered = new AtomicInteger();
    private final ScheduledExecutorService sweeper;
    private final Duration idleTimeout;

    public SessionRegistry(Duration idleTimeout) {
        this.idleTimeout = idleTimeout;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vbuf-idle-sweep");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, Math.min(1_000, idleTimeout.toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    void add(SegmentSocket s) {
        sessions.add(s);
    }

    void remove(SegmentSocket s) {
        sessions.remove(s);
    }

    void accepted() {
        unanswered.incrementAndGet();
    }

    void answered(int n) {
        unanswered.addAndGet(-n);
    }

    /** Segments received (over WebSocket or HTTP) whose reply has not been sent yet. */
    public int unanswered() {
        return unanswered.get();
    }

    public int size() {
        return sessions.size();
    }

    /** Asks every session to close with the given code once its accepted segments are answered. */
    public void closeAll(int code, String reason) {
        for (SegmentSocket s : List.copyOf(sessions)) {
            s.closeWhenAnswered(code, reason);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        for (SegmentSocket s : List.copyOf(sessions)) {
            s.checkConnection(now);
            if (s.idleNanos(now) > idleTimeout.toNanos()) {
                s.closeWhenAnswered(Protocol.CLOSE_GOING_AWAY, "idle for more than " + idleTimeout.toSeconds() + " s");
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
