package dev.vbuf.api;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the sender of one WebSocket session writes, and in which order. Each accepted segment takes one of
 * {@code perSession} slots from arrival until its reply has been written (the pipelining limit: the connection's
 * reading thread waits in {@link #accept} while all are taken, so a client is slowed by TCP, never buffered without
 * bound). Replies finished out of order wait until every earlier one is out. The session's {@link ReplySender} takes
 * from {@link #take}: a pong, the goaway, a ping, the next reply, and last the close frame.
 * <p>
 * Control frames are bounded: at most the latest pong is pending (RFC 6455 5.5.3 allows answering only the most
 * recent ping), so a client that pings without reading holds one pong, not one per ping; at most one server ping.
 * <p>
 * The end of a session ({@link #end}) is decided once. From then on every segment that arrives is still numbered and
 * answered, with the refusal its {@link Accepted#refusedBy()} names (at most {@value #MAX_REFUSED_WHEN_ENDING} of
 * them), and the close frame goes out only once every accepted segment is answered, and no sooner than
 * {@link #GOAWAY_LINGER_NANOS} after a goaway; a segment read after the close frame was handed to the sender is not
 * accepted (the client sees the close and resends it elsewhere).
 * <p>
 * This is the one owner of the session's count of unanswered segments; it reports every change to the server-wide
 * {@link Unanswered}. One lock, never held during I/O.
 */
final class ReplyQueue {
    /**
     * Segments answered {@code shutting_down} after the end was decided; past these none is accepted, so a client that
     * keeps sending cannot hold the close back (an honest one stops at the goaway and has a few in flight).
     */
    static final int MAX_REFUSED_WHEN_ENDING = 64;
    /**
     * After a goaway, the close frame waits at least this long: segments the client sent before it read the goaway
     * (one round trip) still arrive on an open connection and are answered {@code shutting_down}, not lost.
     */
    static final long GOAWAY_LINGER_NANOS = 500_000_000L;

    /** What the sender writes. */
    sealed interface Outgoing permits Reply, Pong, Ping, Goaway, Close {
    }

    /** One segment's reply and when the segment arrived (its latency is measured to the moment it is written). */
    record Reply(long seq, SegmentOutcome outcome, long arrivalNanos) implements Outgoing {
    }

    /** The answer to a ping (RFC 6455 5.5.2). */
    record Pong(byte[] payload) implements Outgoing {
    }

    /** The server's keep-alive ping. */
    record Ping(byte[] payload) implements Outgoing {
    }

    /** Protocol v1.1's goaway message, ahead of the replies still due. */
    record Goaway(String text) implements Outgoing {
    }

    record Close(int code, String reason) implements Outgoing {
    }

    /**
     * A segment taken in: its number, and when the session's end was decided before it, that end (the segment is
     * then answered at once with a refusal and never processed).
     */
    record Accepted(long seq, SessionEnd refusedBy) {
        /** Nobody is left to answer, or the close frame is on its way: the segment is dropped unanswered. */
        static final Accepted NONE = new Accepted(-1, null);

        boolean taken() {
            return seq >= 0;
        }
    }

    private final int perSession;
    private final Unanswered unanswered;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition slotFree = lock.newCondition();
    private final Condition outgoing = lock.newCondition();
    // guarded by lock
    private final TreeMap<Long, Reply> finished = new TreeMap<>();
    private final Deque<Reply> outbox = new ArrayDeque<>();
    private byte[] pong;
    private byte[] ping;
    private String goaway;
    /** The last thing taken was a control frame: a reply waiting goes next, so pongs cannot starve replies. */
    private boolean controlLast;
    private long nextSeq;
    private long nextToQueue;
    private int pending;
    private SessionEnd ending;
    /** When the goaway was handed to the sender ({@link System#nanoTime()}), or 0 for none. */
    private long goawayNanos;
    private int refusedWhenEnding;
    private boolean closeTaken;
    private boolean gone;

    ReplyQueue(int perSession, Unanswered unanswered) {
        this.perSession = perSession;
        this.unanswered = unanswered;
    }

    /**
     * Waits for a free slot and numbers the next segment. Once the end is decided no slot is waited for: the segment
     * is numbered and refused.
     *
     * @return the segment's number and whether it is refused; {@link Accepted#NONE} when it cannot be answered
     */
    Accepted accept() throws InterruptedException {
        lock.lock();
        try {
            while (!gone && ending == null && pending >= perSession) {
                slotFree.await();
            }
            if (gone || closeTaken || (ending != null && refusedWhenEnding >= MAX_REFUSED_WHEN_ENDING)) {
                return Accepted.NONE;
            }
            if (ending != null) {
                refusedWhenEnding++;
            }
            pending++;
            unanswered.add(1);
            return new Accepted(nextSeq++, ending);
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

    /** A ping arrived: its pong replaces any pong not yet written. */
    void pong(byte[] payload) {
        lock.lock();
        try {
            if (!gone && !closeTaken) {
                pong = payload;
                outgoing.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Queues a server ping unless one is still waiting to be written. */
    void ping(byte[] payload) {
        lock.lock();
        try {
            if (!gone && !closeTaken && ping == null) {
                ping = payload;
                outgoing.signal();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * For the sender: the next thing to write, waiting for one; null once the session is gone. The close frame comes
     * when the end is decided and every accepted segment has been answered.
     */
    Outgoing take() throws InterruptedException {
        lock.lock();
        try {
            while (!gone) {
                Outgoing next = next();
                if (next != null) {
                    controlLast = !(next instanceof Reply);
                    return next;
                }
                long linger = lingerLeftNanos();
                if (linger > 0) {
                    outgoing.awaitNanos(linger);
                } else {
                    outgoing.await();
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private Outgoing next() {
        if (controlLast && !outbox.isEmpty()) {
            return outbox.poll();
        }
        if (pong != null) {
            byte[] p = pong;
            pong = null;
            return new Pong(p);
        }
        if (goaway != null) {
            String g = goaway;
            goaway = null;
            goawayNanos = System.nanoTime() | 1; // never 0
            return new Goaway(g);
        }
        if (ping != null) {
            byte[] p = ping;
            ping = null;
            return new Ping(p);
        }
        if (!outbox.isEmpty()) {
            return outbox.poll();
        }
        if (ending != null && pending == 0 && !closeTaken && goaway == null && lingerLeftNanos() <= 0) {
            closeTaken = true;
            slotFree.signalAll();
            return new Close(ending.closeCode(), ending.closeReason());
        }
        return null;
    }

    /** How much longer the close must wait for segments in flight when the goaway went out; 0 when it need not. */
    private long lingerLeftNanos() {
        return goawayNanos == 0 ? 0 : GOAWAY_LINGER_NANOS - (System.nanoTime() - goawayNanos);
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

    /**
     * Decides how the session ends (the first decision wins): the goaway, when given, goes out next; the close frame
     * once every accepted segment is answered.
     *
     * @param goawayText the v1.1 goaway message, or null (v1, or an end without one)
     * @return true for the call that decided it
     */
    boolean end(SessionEnd end, String goawayText) {
        lock.lock();
        try {
            if (ending != null || gone) {
                return false;
            }
            ending = end;
            goaway = goawayText;
            slotFree.signalAll(); // a reader waiting for a slot now takes the segment as a refusal
            outgoing.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered, without a goaway. */
    void closeWhenAnswered(int code, String reason) {
        end(SessionEnd.closing(code, reason), null);
    }

    /** How the session ends, once decided; null before. */
    SessionEnd ending() {
        lock.lock();
        try {
            return ending;
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
            pong = null;
            ping = null;
            goaway = null;
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
