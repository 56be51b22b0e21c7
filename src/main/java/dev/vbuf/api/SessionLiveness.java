package dev.vbuf.api;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import java.util.concurrent.ThreadLocalRandom;

import dev.vbuf.log.Logs;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.websocket.WsChannel;

/**
 * Whether one WebSocket session's client is still there, and the end of the session when it is not. The server's
 * {@link SessionRegistry} holds one per open session and asks it, on each sweep, about a client that vanished (its
 * connection ended without a close frame), a client that stopped reading (a reply that cannot be written) and
 * idleness. When the client is gone, nobody is left to answer: every segment of the session stops (which kills its
 * FFmpeg), the sender stops, and the session leaves the registry.
 */
final class SessionLiveness {
    /** The session's logger: every log line of a session under one name (the JSON logs' {@code logger}). */
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** A reply that cannot be written for this long means the client stopped reading: the session is dropped. */
    static final Duration SEND_STALL = Duration.ofSeconds(30);
    /**
     * How long a client told to go away (or answered {@code shutting_down}) waits at most before it connects again:
     * each goaway says a random time below it, so a fleet of sessions does not reconnect at once.
     */
    static final long RECONNECT_AFTER_MS = 1_000;

    private final String id;
    private final ReplyQueue replies;
    /** The session's segment workers (the intake's), interrupted when the client goes away. */
    private final Set<Thread> workers;
    private final SessionRegistry registry;
    /** Released when the session ends for whatever reason; the close handshake waits on it. */
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile WsChannel channel;
    private volatile ReplySender sender;
    /** The connection's own (virtual) thread; it ends when the connection does, even if no close frame came. */
    private volatile Thread connectionThread;
    private volatile long lastMessageNanos = System.nanoTime();
    /** Protocol v1.1: the session is told why it ends ({@code goaway}) before its close. */
    private volatile boolean v11;
    /** When the session reaches its maximum age ({@link System#nanoTime()}); set when it opens. */
    private volatile long maxAgeAtNanos = Long.MAX_VALUE;

    SessionLiveness(String id, ReplyQueue replies, Set<Thread> workers, SessionRegistry registry) {
        this.id = id;
        this.replies = replies;
        this.workers = workers;
        this.registry = registry;
    }

    /** The connection is open: called on its reading thread, whose end means the connection ended. */
    void opened(WsChannel channel, ReplySender sender, boolean v11) {
        this.channel = channel;
        this.connectionThread = Thread.currentThread();
        this.sender = sender;
        this.v11 = v11;
        this.maxAgeAtNanos = System.nanoTime() + registry.jitteredMaxAge().toNanos();
    }

    boolean v11() {
        return v11;
    }

    /**
     * Ends the session soon: a v1.1 client is told why ({@code goaway}, with a jittered {@code reconnectAfterMs});
     * every segment accepted is answered, then the session closes with 1001.
     */
    void goaway(String reason, String closeReason) {
        if (!v11) {
            replies.closeWhenAnswered(CloseCodes.GOING_AWAY, closeReason);
            return;
        }
        long after = ThreadLocalRandom.current().nextLong(RECONNECT_AFTER_MS / 10, RECONNECT_AFTER_MS + 1);
        replies.noticeThenClose(Protocol.json(new Protocol.Goaway(reason, after)), CloseCodes.GOING_AWAY, closeReason);
    }

    /** Called by the registry's sweep: a session past its maximum age is told to go away. */
    void checkAge(long now) {
        if (now - maxAgeAtNanos >= 0) {
            maxAgeAtNanos = Long.MAX_VALUE;
            Logs.log(LOG, Level.DEBUG, id, -1, "session reached its maximum age: goaway");
            goaway(Protocol.Goaway.MAX_AGE, "session reached its maximum age; reconnect");
        }
    }

    /** A message from the client arrived (the session is not idle). */
    void messageArrived(long nanos) {
        lastMessageNanos = nanos;
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    void closeWhenAnswered(int code, String reason) {
        replies.closeWhenAnswered(code, reason);
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

    /** Called by the registry's sweep: notices vanished clients and clients that stopped reading. */
    void checkConnection(long now) {
        Thread t = connectionThread;
        if (t != null && !t.isAlive()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "connection ended without a close frame");
            gone();
            return;
        }
        ReplySender s = sender;
        long started = s == null ? 0 : s.writingSinceNanos();
        if (started != 0 && now - started > SEND_STALL.toNanos()) {
            Logs.log(LOG, Level.INFO, id, -1, "client stopped reading: a reply could not be written for "
                                              + SEND_STALL.toSeconds() + " s; dropping the session");
            gone();
            channel.abort();
        }
    }

    /** How long the session has been idle: 0 while a segment is in progress. */
    long idleNanos(long now) {
        return replies.pending() > 0 ? 0 : now - lastMessageNanos;
    }
}
