package dev.vbuf.api;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.stream.LongStream;


/**
 * The open WebSocket sessions of one server (the one owner of that count: the metrics gauge and the session cap read
 * it here), the sweep that ends idle and aged sessions and notices vanished, stalled or silent clients, and the slots:
 * at the cap, the longest-idle session with nothing in progress yields its slot to a new upgrade. Each session is held
 * by its {@link SessionLiveness}, which answers the sweep.
 */
public final class SessionRegistry implements AutoCloseable {
    /** The sweep runs at least this often, and at most every {@value #MIN_SWEEP_MS} ms. */
    static final long MAX_SWEEP_MS = 1_000;
    static final long MIN_SWEEP_MS = 50;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition empty = lock.newCondition();
    private final Set<SessionLiveness> sessions = new HashSet<>();
    private final ScheduledExecutorService sweeper;
    private final SessionPolicy policy;

    public SessionRegistry(SessionPolicy policy) {
        this.policy = policy;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vbuf-session-sweep");
            t.setDaemon(true);
            return t;
        });
        long period = sweepMillis(policy);
        sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** A quarter of the shortest time the sweep watches for, within [{@value #MIN_SWEEP_MS}, {@value #MAX_SWEEP_MS}] ms. */
    static long sweepMillis(SessionPolicy c) {
        long shortest = LongStream.of(c.idleTimeout().toMillis(), c.sendStall().toMillis(), c.pingInterval().toMillis(),
                                      c.maxAge().toMillis())
                .filter(ms -> ms > 0).min().orElse(MAX_SWEEP_MS * 4);
        return Math.max(MIN_SWEEP_MS, Math.min(MAX_SWEEP_MS, shortest / 4));
    }

    SessionPolicy policy() {
        return policy;
    }

    /** Adds a session; returns the number of sessions that count against the cap now, this one included. */
    int add(SessionLiveness s) {
        lock.lock();
        try {
            sessions.add(s);
            return holding();
        } finally {
            lock.unlock();
        }
    }

    void remove(SessionLiveness s) {
        lock.lock();
        try {
            if (sessions.remove(s) && sessions.isEmpty()) {
                empty.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Open sessions, those on their way out included. */
    public int size() {
        lock.lock();
        try {
            return sessions.size();
        } finally {
            lock.unlock();
        }
    }

    private int holding() {
        return (int) sessions.stream().filter(s -> !s.yielded()).count();
    }

    /**
     * For an upgrade: whether a session slot is free under {@code maxSessions}. At the cap, the longest-idle session
     * that may yield ({@code session.yield-idle-seconds}, nothing in progress) gives its slot up and ends when
     * {@code take} is set; the upgrade then takes it. Without {@code take} nothing changes (a check).
     */
    boolean roomFor(int maxSessions, boolean take) {
        lock.lock();
        try {
            if (holding() < maxSessions) {
                return true;
            }
            if (!policy.yields()) {
                return false;
            }
            long now = System.nanoTime();
            SessionLiveness longest = null;
            for (SessionLiveness s : sessions) {
                if (s.mayYield(now, policy.yieldIdle())
                    && (longest == null || s.idleNanos(now) > longest.idleNanos(now))) {
                    longest = s;
                }
            }
            if (longest != null && take) {
                longest.yieldSlot(now);
            }
            return longest != null;
        } finally {
            lock.unlock();
        }
    }

    private List<SessionLiveness> snapshot() {
        lock.lock();
        try {
            return List.copyOf(sessions);
        } finally {
            lock.unlock();
        }
    }

    /** Ends every open session the same way (each gets its own {@link SessionEnd}, e.g. its own reconnect delay). */
    public void endAll(Supplier<SessionEnd> end) {
        for (SessionLiveness s : snapshot()) {
            s.end(end.get());
        }
    }

    /** SIGTERM: every session is told (v1.1: goaway {@code shutting_down}) and closes with 1001 once answered. */
    public void drainAll() {
        endAll(SessionEnd::draining);
    }

    /** Waits until no session is open, or the timeout passes; true when none is. */
    public boolean awaitEmpty(Duration timeout) {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (!sessions.isEmpty()) {
                if (left <= 0) {
                    return false;
                }
                left = empty.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return sessions.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        Duration idleTimeout = policy.idleTimeout();
        for (SessionLiveness s : snapshot()) {
            try {
                s.checkConnection(now);
                if (s.idleNanos(now) > idleTimeout.toNanos() && !s.ending()) {
                    s.end(SessionEnd.idle("idle for more than " + idleTimeout.toSeconds() + " s"));
                }
            } catch (RuntimeException e) { // one session's failure must not stop the sweep of all the others
                s.failed("the session sweep", e);
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
