package dev.vbuf.api;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vbuf.log.Logs;
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

    SessionLiveness(String id, ReplyQueue replies, Set<Thread> workers, SessionRegistry registry) {
        this.id = id;
        this.replies = replies;
        this.workers = workers;
        this.registry = registry;
    }

    /** The connection is open: called on its reading thread, whose end means the connection ended. */
    void opened(WsChannel channel, ReplySender sender) {
        this.channel = channel;
        this.connectionThread = Thread.currentThread();
        this.sender = sender;
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
