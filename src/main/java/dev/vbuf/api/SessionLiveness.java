package dev.vbuf.api;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vbuf.log.Logs;
import dev.vbuf.websocket.WsChannel;

/**
 * Whether one WebSocket session's client is still there, and the end of the session. The server's
 * {@link SessionRegistry} holds one per open session and asks it, on each sweep, about a client that vanished (its
 * connection ended without a close frame), a client that stopped reading (a write that does not finish within
 * {@code session.send-stall-seconds}), a client that went silent (no frame of any kind for two ping intervals, while
 * the server pings every {@code session.ping-interval-seconds}), its {@link SessionDeadline} and idleness.
 * <p>
 * The server ends a session with {@link #end}: v1.1 is told with a goaway, every accepted segment is answered, then
 * the close frame goes out. When the client is gone, nobody is left to answer: every segment of the session stops
 * (which kills its FFmpeg), the sender stops, and the session leaves the registry.
 */
final class SessionLiveness {
    /** The session's logger: every log line of a session under one name (the JSON logs' {@code logger}). */
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /**
     * Pings and pongs a client may send in one second. A keep-alive is one every few seconds; a client sending more
     * than this is flooding (each one read costs the server an allocation), and is dropped.
     */
    static final int MAX_CONTROL_FRAMES_PER_SECOND = 100;

    private final String id;
    private final ReplyQueue replies;
    /** The session's segment workers (the intake's), interrupted when the client goes away. */
    private final Set<Thread> workers;
    private final SessionRegistry registry;
    private final SessionPolicy policy;
    /** Released when the session ends for whatever reason; the close handshake waits on it. */
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile WsChannel channel;
    private volatile ReplySender sender;
    private volatile boolean v11;
    private volatile SessionDeadline deadline = SessionDeadline.NEVER;
    /** The connection's own (virtual) thread; it ends when the connection does, even if no close frame came. */
    private volatile Thread connectionThread;
    private volatile long lastMessageNanos = System.nanoTime();
    private volatile long lastFrameNanos = lastMessageNanos;
    private volatile long lastPingNanos = lastMessageNanos;
    /** Its slot went to a new session (at the cap): it no longer counts against the cap. */
    private volatile boolean yielded;
    private long pings; // sweep thread only
    // connection thread only: control frames in the current one-second window
    private long controlWindowNanos;
    private int controlFrames;

    SessionLiveness(String id, ReplyQueue replies, Set<Thread> workers, SessionRegistry registry,
                    SessionPolicy policy) {
        this.id = id;
        this.replies = replies;
        this.workers = workers;
        this.registry = registry;
        this.policy = policy;
    }

    /** The connection is open: called on its reading thread, whose end means the connection ended. */
    void opened(WsChannel channel, ReplySender sender, boolean v11, SessionDeadline deadline) {
        this.channel = channel;
        this.connectionThread = Thread.currentThread();
        this.sender = sender;
        this.v11 = v11;
        this.deadline = deadline;
    }

    /** A message from the client arrived (the session is not idle). */
    void messageArrived(long nanos) {
        lastMessageNanos = nanos;
    }

    /** A frame of any kind arrived (data, ping, pong, close): the client is there. */
    void frameArrived(long nanos) {
        lastFrameNanos = nanos;
    }

    /**
     * A ping or a pong arrived (connection thread). Past {@link #MAX_CONTROL_FRAMES_PER_SECOND} in a second the client
     * is flooding: the connection is dropped at once, so the server stops reading it.
     *
     * @return false when the connection was dropped
     */
    boolean controlFrameArrived(long nanos) {
        if (nanos - controlWindowNanos > 1_000_000_000L) {
            controlWindowNanos = nanos;
            controlFrames = 0;
        }
        if (++controlFrames <= MAX_CONTROL_FRAMES_PER_SECOND) {
            return true;
        }
        drop("the client sent more than " + MAX_CONTROL_FRAMES_PER_SECOND + " pings and pongs in a second");
        return false;
    }

    /**
     * Ends the session (the first decision wins): v1.1 gets the goaway now; every segment accepted so far is
     * answered, later ones are refused; then the close frame.
     *
     * @return true for the call that decided it
     */
    boolean end(SessionEnd end) {
        boolean decided = replies.end(end, v11 ? end.goawayText() : null);
        if (decided) {
            Logs.log(LOG, Level.DEBUG, id, -1, "ending the session: " + end.closeCode() + " " + end.closeReason()
                                               + (v11 && end.goawayReason() != null
                                                       ? " (goaway " + end.goawayReason() + ")" : ""));
        }
        return decided;
    }

    /**
     * Something failed inside the server in one of this session's code paths: logged once with its trace (a server
     * fault), and the session ends with 1011 once what it accepted is answered.
     */
    void failed(String where, RuntimeException e) {
        if (end(SessionEnd.internalFailure())) {
            Logs.log(LOG, Level.ERROR, id, -1, where + " failed; closing the session with 1011", e);
        } else {
            Logs.log(LOG, Level.DEBUG, id, -1, where + " failed again: " + e);
        }
    }

    /** Whether the session's end has been decided. */
    boolean ending() {
        return replies.ending() != null;
    }

    /** For the close handshake: waits until the session has ended, at most {@code timeout}; false when it has not. */
    boolean awaitEnd(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * The client went away (or stopped reading): nobody to answer, so stop every segment of this session (which kills
     * its FFmpeg), stop the sender (interrupting a socket write closes the socket), and let the reading thread go.
     */
    void gone() {
        if (!replies.markGone()) {
            return;
        }
        ended.countDown();
        for (Thread w : workers) {
            w.interrupt();
        }
        ReplySender s = sender;
        if (s != null) {
            s.interrupt();
        }
        registry.remove(this);
    }

    /** Called by the registry's sweep: vanished, stalled and silent clients, pings due, the session's deadline. */
    void checkConnection(long now) {
        Thread t = connectionThread;
        if (t != null && !t.isAlive()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "connection ended without a close frame");
            gone();
            return;
        }
        ReplySender s = sender;
        long started = s == null ? 0 : s.writingSinceNanos();
        if (started != 0 && now - started > policy.sendStall().toNanos()) {
            drop("client stopped reading: a write to it did not finish within " + policy.sendStall().toSeconds()
                 + " s");
            return;
        }
        if (s == null || !policy.pings()) {
            checkDeadline(now);
            return;
        }
        long interval = policy.pingInterval().toNanos();
        if (now - lastFrameNanos > 2 * interval) {
            drop("no frame from the client for " + 2 * policy.pingInterval().toSeconds() + " s (pinged every "
                 + policy.pingInterval().toSeconds() + " s)");
            return;
        }
        if (now - lastPingNanos >= interval) {
            lastPingNanos = now;
            replies.ping(ByteBuffer.allocate(Long.BYTES).putLong(++pings).array());
        }
        checkDeadline(now);
    }

    private void checkDeadline(long now) {
        SessionDeadline d = deadline;
        if (d.passed(now) && !ending()) {
            end(SessionEnd.maxAge(d.why()));
        }
    }

    /** Drops the connection at once (logged once, at INFO): nothing more can be written to, or read from, it. */
    private void drop(String why) {
        if (replies.gone()) {
            return;
        }
        Logs.log(LOG, Level.INFO, id, -1, why + "; dropping the connection");
        gone();
        channel.abort();
    }

    /** How long the session has been idle: 0 while a segment is in progress. */
    long idleNanos(long now) {
        return replies.pending() > 0 ? 0 : now - lastMessageNanos;
    }

    /** At the cap: whether this session may give its slot to a new one (idle long enough, nothing in progress). */
    boolean mayYield(long now, Duration minIdle) {
        return !yielded && !ending() && replies.pending() == 0 && now - lastMessageNanos >= minIdle.toNanos();
    }

    /** Its slot goes to a new session: it stops counting against the cap and ends (v1.1: goaway, then 1001). */
    void yieldSlot(long now) {
        yielded = true;
        end(SessionEnd.idle("idle for " + Duration.ofNanos(now - lastMessageNanos).toSeconds()
                            + " s; the instance's session slots are full"));
    }

    boolean yielded() {
        return yielded;
    }

    ReplyQueue replies() {
        return replies;
    }
}
