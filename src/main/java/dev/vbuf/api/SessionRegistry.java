package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
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
    /** Each session's maximum age is this, less a random part of up to a tenth, so a fleet does not reconnect at once. */
    static final double MAX_AGE_JITTER = 0.1;

    private final Duration idleTimeout;
    private final Duration maxAge;

    /**
     * @param idleTimeout a session with no message (and nothing in progress) for this long is closed
     * @param maxAge      a session this old (less its jitter) is told to go away, answers what it holds and closes
     */
    public SessionRegistry(Duration idleTimeout, Duration maxAge) {
        this.idleTimeout = idleTimeout;
        this.maxAge = maxAge;
        this.sweeper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "vbuf-idle-sweep");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(50, Math.min(1_000, Math.min(idleTimeout.toMillis(), maxAge.toMillis()) / 4));
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

    /** One session's maximum age: {@code maxAge} less a random part of up to {@link #MAX_AGE_JITTER}. */
    Duration jitteredMaxAge() {
        return Duration.ofNanos(Math.round(maxAge.toNanos()
                                           * (1 - MAX_AGE_JITTER * ThreadLocalRandom.current().nextDouble())));
    }

    /**
     * The drain has begun: every v1.1 session is told to go away ({@code goaway}, reason {@code shutting_down}),
     * answers what it holds and closes with 1001; v1 sessions have no such message and are closed by
     * {@link #closeAll}.
     */
    public void goawayAll() {
        for (SessionLiveness s : snapshot()) {
            if (s.v11()) {
                s.goaway(Protocol.Goaway.SHUTTING_DOWN, "server shutting down");
            }
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
            s.checkAge(now);
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
