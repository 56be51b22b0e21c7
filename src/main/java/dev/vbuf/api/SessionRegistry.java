package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The open WebSocket sessions of one server (the one owner of that count: the metrics gauge and the session cap read
 * it here), and the sweep that closes idle sessions and notices vanished or stalled clients. Each session is held by
 * its {@link SessionLiveness}, which answers the sweep.
 */
public final class SessionRegistry implements AutoCloseable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition empty = lock.newCondition();
    private final Set<SessionLiveness> sessions = new HashSet<>();
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

    /** Adds a session; returns the number of sessions open now, this one included. */
    int add(SessionLiveness s) {
        lock.lock();
        try {
            sessions.add(s);
            return sessions.size();
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

    public int size() {
        lock.lock();
        try {
            return sessions.size();
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

    /** Asks every session to close with the given code once its accepted segments are answered. */
    public void closeAll(int code, String reason) {
        for (SessionLiveness s : snapshot()) {
            s.closeWhenAnswered(code, reason);
        }
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
        for (SessionLiveness s : snapshot()) {
            s.checkConnection(now);
            if (s.idleNanos(now) > idleTimeout.toNanos()) {
                s.closeWhenAnswered(CloseCodes.GOING_AWAY, "idle for more than " + idleTimeout.toSeconds() + " s");
            }
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
    }
}
