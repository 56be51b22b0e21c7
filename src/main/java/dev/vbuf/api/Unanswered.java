package dev.vbuf.api;

import java.time.Duration;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Segments received (over WebSocket or HTTP) whose reply has not been sent yet, across one server: what a drain waits
 * for. Each session keeps its own count in its {@link ReplyQueue} and reports changes here; the HTTP API reports each
 * request. Waiting is on a condition, not a poll.
 */
public final class Unanswered {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition zero = lock.newCondition();
    private int count;

    void add(int n) {
        lock.lock();
        try {
            count += n;
            if (count == 0) {
                zero.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    public int count() {
        lock.lock();
        try {
            return count;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every received segment has been answered, or the timeout passes; true when none is left. */
    public boolean awaitZero(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        lock.lock();
        try {
            while (count > 0) {
                if (left <= 0) {
                    return false;
                }
                left = zero.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Waits as {@link #awaitZero} does, for callers that have no interruption to pass on. */
    public boolean awaitZeroUninterruptibly(Duration timeout) {
        try {
            return awaitZero(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return count() == 0;
        }
    }

    @Override
    public String toString() {
        return count() + " unanswered";
    }
}
