package dev.vbuf.api;

import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.time.Duration;

import dev.vbuf.log.Logs;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.websocket.WsChannel;

/**
 * The sender of one WebSocket session, on a virtual thread of its own: writes the replies, pongs, pings, the goaway
 * and finally the close frame, in the order the session's {@link ReplyQueue} hands them out. The only writer of the
 * session's frames, so a control frame never interleaves with a reply's. Every write is timed
 * ({@link #writingSinceNanos}), which is how {@link SessionLiveness} tells a client that stopped reading. A write
 * that fails means the client is gone.
 */
final class ReplySender {
    /** The session's logger: every log line of a session under one name (the JSON logs' {@code logger}). */
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** After a close frame, how long the client has to answer it before the connection is dropped. */
    static final Duration CLOSE_HANDSHAKE = Duration.ofSeconds(3);

    private final String id;
    private final ReplyQueue replies;
    private final WsChannel channel;
    private final VbufMetrics metrics;
    private final OutputFormat format;
    private final SessionLiveness liveness;
    private volatile Thread thread;
    /** When the write in progress started, or 0 (what {@link SessionLiveness} tells a stalled client by). */
    private volatile long writingSinceNanos;

    ReplySender(String id, ReplyQueue replies, WsChannel channel, VbufMetrics metrics, OutputFormat format,
                SessionLiveness liveness) {
        this.id = id;
        this.replies = replies;
        this.channel = channel;
        this.metrics = metrics;
        this.format = format;
        this.liveness = liveness;
    }

    void start() {
        thread = Thread.ofVirtual().name("ws-send-" + id).start(this::sendLoop);
    }

    /** Stops the sender (from another thread; a socket write it is in closes the socket). */
    void interrupt() {
        Thread t = thread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
        }
    }

    /** When the write in progress started to be written; 0 while none is. */
    long writingSinceNanos() {
        return writingSinceNanos;
    }

    private void sendLoop() {
        try {
            ReplyQueue.Outgoing next;
            while ((next = replies.take()) != null) {
                if (next instanceof ReplyQueue.Close c) {
                    sendClose(c);
                    return;
                }
                writingSinceNanos = System.nanoTime();
                boolean reply = write(next);
                writingSinceNanos = 0;
                if (reply && !replies.written()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            // the session is gone: stop sending
        } catch (UncheckedIOException | IllegalStateException e) {
            // the socket failed, or the connection already sent its close frame (it echoed the client's)
            Logs.log(LOG, Level.DEBUG, id, -1, "send failed, client gone: " + e);
            liveness.gone();
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.ERROR, id, -1, "the session's sender failed; closing with 1011", e);
            failed();
        }
    }

    /** Writes one frame (or a reply's two); true for a reply, which then counts as answered. */
    private boolean write(ReplyQueue.Outgoing next) {
        switch (next) {
            case ReplyQueue.Pong p -> channel.pong(p.payload());
            case ReplyQueue.Ping p -> channel.ping(p.payload());
            case ReplyQueue.Goaway g -> channel.sendText(g.text());
            case ReplyQueue.Reply r -> {
                String text = r.outcome().wsText(r.seq());
                if (r.outcome().ok()) {
                    byte[] audio = r.outcome().audio().bytes();
                    channel.sendTextThenBinary(text, audio);
                    metrics.messageOut(audio.length);
                } else {
                    channel.sendText(text);
                }
                r.outcome().answered(metrics, format, r.arrivalNanos());
                return true;
            }
            case ReplyQueue.Close c -> throw new IllegalArgumentException("the close frame is sent by sendClose");
        }
        return false;
    }

    /** The sender itself failed: nothing more can be written in order, so the session closes with 1011 now. */
    private void failed() {
        try {
            channel.close(CloseCodes.INTERNAL_ERROR, SessionEnd.internalFailure().closeReason());
        } catch (RuntimeException e) {
            // the connection is gone as well
        }
        liveness.gone();
        channel.abort();
    }

    private void sendClose(ReplyQueue.Close c) throws InterruptedException {
        Logs.log(LOG, Level.DEBUG, id, -1, "closing session: " + c.code() + " " + c.reason());
        writingSinceNanos = System.nanoTime();
        try {
            channel.close(c.code(), c.reason());
        } catch (RuntimeException e) {
            liveness.gone();
            return;
        } finally {
            writingSinceNanos = 0;
        }
        // If the client never answers the close frame, drop the connection.
        if (!liveness.awaitEnd(CLOSE_HANDSHAKE)) {
            liveness.gone();
            channel.abort();
        }
    }
}
