package dev.vbuf.api;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The replies of one WebSocket session, in segment order. Each accepted segment takes one of {@code perSession} slots
 * from arrival until its reply has been written (the pipelining limit: the connection's reading thread waits in
 * {@link #accept} while all are taken, so a client is slowed by TCP, never buffered without bound). Replies finished
 * out of order wait until every earlier one is out; the session's {@link ReplySender} takes them, pongs, notices
 * (v1.1's {@code goaway}) and the final close frame from {@link #take} in that order.
 * <p>
 * The close is decided first ({@link #closeWhenAnswered}) and handed out only once nothing is pending: a segment that
 * arrives in between is still accepted (the caller sees {@link #closing} and answers it {@code shutting_down}), so
 * every segment read before the close frame goes out is answered; once it is out, {@link #accept} takes none.
 * <p>
 * This is the one owner of the session's count of unanswered segments; it reports every change to the server-wide
 * {@link Unanswered}. One lock, never held during I/O.
 */
final class ReplyQueue {
    /** What the sender writes: a reply, a pong, or the close frame. */
    sealed interface Outgoing permits Reply, Pong, Notice, Close {
    }

    /** One segment's reply and when the segment arrived (its latency is measured to the moment it is written). */
    record Reply(long seq, SegmentOutcome outcome, long arrivalNanos) implements Outgoing {
    }

    /** The answer to a ping (RFC 6455 5.5.2). */
    record Pong(byte[] payload) implements Outgoing {
    }

    /** A text message of the session's own, e.g. v1.1's {@code goaway}. */
    record Notice(String text) implements Outgoing {
    }

    record Close(int code, String reason) implements Outgoing {
    }

    /**
     * After a notice, how long the close waits at least: segments the client sent before it read the notice still
     * arrive, and are answered ({@code shutting_down}) rather than met by a close frame.
     */
    static final long NOTICE_LINGER_NANOS = 500_000_000L;

    private final int perSession;
    private final Unanswered unanswered;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition slotFree = lock.newCondition();
    private final Condition outgoing = lock.newCondition();
    // guarded by lock
    private final TreeMap<Long, Reply> finished = new TreeMap<>();
    private final Deque<Outgoing> outbox = new ArrayDeque<>();
    private long nextSeq;
    private long nextToQueue;
    private int pending;
    private Close closeWanted;
    private boolean closeTaken;
    /** A notice is queued and the close waits {@link #NOTICE_LINGER_NANOS} after it; set when it is taken. */
    private boolean noticeQueued;
    private long closeNotBeforeNanos = System.nanoTime();
    private boolean gone;

    ReplyQueue(int perSession, Unanswered unanswered) {
        this.perSession = perSession;
        this.unanswered = unanswered;
    }

    /**
     * Waits for a free slot and numbers the next segment.
     *
     * @return its sequence number, or -1 when the session is gone (nobody to answer) or its close frame is out
     */
    long accept() throws InterruptedException {
        lock.lock();
        try {
            while (!gone && !closeTaken && pending >= perSession) {
                slotFree.await();
            }
            if (gone || closeTaken) {
                return -1;
            }
            pending++;
            unanswered.add(1);
            return nextSeq++;
        } finally {
            lock.unlock();
        }
    }

    /** Files the reply of one segment and queues, in order, every reply that is now next. */
    void complete(Reply reply) {
        lock.lock();
        try {
            if (gone) {
                return;
            }
            finished.put(reply.seq(), reply);
            while (!finished.isEmpty() && finished.firstKey() == nextToQueue) {
                outbox.add(finished.pollFirstEntry().getValue());
                nextToQueue++;
            }
            outgoing.signal();
        } finally {
            lock.unlock();
        }
    }

    void pong(byte[] payload) {
        lock.lock();
        try {
            if (!gone) {
                outbox.add(new Pong(payload));
                outgoing.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends {@code text} next (between replies), then closes as {@link #closeWhenAnswered} does; nothing when a close
     * was decided already (the first reason wins, and a notice says why the session ends).
     */
    void noticeThenClose(String text, int code, String reason) {
        lock.lock();
        try {
            if (gone || closeWanted != null) {
                return;
            }
            outbox.add(new Notice(text));
            noticeQueued = true;
            closeWanted = new Close(code, reason);
            outgoing.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the sender: the next thing to write, waiting for one; the close once nothing else is left and nothing is
     * pending; null once the session is gone.
     */
    Outgoing take() throws InterruptedException {
        lock.lock();
        try {
            while (!gone && outbox.isEmpty() && !closeDue()) {
                long linger = closeNotBeforeNanos - System.nanoTime();
                if (closeWanted != null && !noticeQueued && pending == 0 && linger > 0) {
                    outgoing.awaitNanos(linger);
                } else {
                    outgoing.await();
                }
            }
            if (gone) {
                return null;
            }
            if (!outbox.isEmpty()) {
                Outgoing next = outbox.poll();
                if (next instanceof Notice) {
                    noticeQueued = false;
                    closeNotBeforeNanos = System.nanoTime() + NOTICE_LINGER_NANOS;
                }
                return next;
            }
            closeTaken = true;
            slotFree.signalAll(); // a reader waiting for a slot takes no segment now
            return closeWanted;
        } finally {
            lock.unlock();
        }
    }

    private boolean closeDue() {
        return closeWanted != null && !closeTaken && pending == 0 && !noticeQueued
               && System.nanoTime() - closeNotBeforeNanos >= 0;
    }

    /**
     * For the sender: a reply has been written, so its segment is answered and its slot free.
     *
     * @return false when the session went away meanwhile
     */
    boolean written() {
        lock.lock();
        try {
            if (gone) {
                return false;
            }
            pending--;
            unanswered.add(-1);
            slotFree.signal();
            outgoing.signal(); // the close may be due now
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered (first call wins). */
    void closeWhenAnswered(int code, String reason) {
        lock.lock();
        try {
            if (closeWanted == null) {
                closeWanted = new Close(code, reason);
            }
            outgoing.signal();
        } finally {
            lock.unlock();
        }
    }

    /** The close is decided: a segment accepted now is answered {@code shutting_down}, not processed. */
    boolean closing() {
        lock.lock();
        try {
            return closeWanted != null;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The client went away: nothing more is answered; every unanswered segment stops counting and every waiter is
     * released.
     *
     * @return true for the call that marked it, false when it was gone already
     */
    boolean markGone() {
        lock.lock();
        try {
            if (gone) {
                return false;
            }
            gone = true;
            unanswered.add(-pending);
            pending = 0;
            finished.clear();
            outbox.clear();
            slotFree.signalAll();
            outgoing.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    boolean gone() {
        lock.lock();
        try {
            return gone;
        } finally {
            lock.unlock();
        }
    }

    /** Segments accepted and not yet answered. */
    int pending() {
        lock.lock();
        try {
            return pending;
        } finally {
            lock.unlock();
        }
    }
}
