package dev.vbuf.api;

import java.lang.System.Logger.Level;
import java.time.Duration;

import dev.vbuf.log.Logs;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.websocket.WsChannel;

/**
 * The sender of one WebSocket session, on a virtual thread of its own: writes the replies, pongs, notices and finally
 * the close frame, in the order the session's {@link ReplyQueue} hands them out. The only writer of the session's replies, so
 * a pong never interleaves with a reply's frames. A write that fails means the client is gone.
 */
final class ReplySender {
    /** The session's logger: every log line of a session under one name (the JSON logs' {@code logger}). */
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** After a close frame, how long the client has to answer it before the connection is dropped. */
    private static final Duration CLOSE_HANDSHAKE = Duration.ofSeconds(3);

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

    /** When the reply being written started to be written; 0 while none is. */
    long writingSinceNanos() {
        return writingSinceNanos;
    }

    private void sendLoop() {
        try {
            ReplyQueue.Outgoing next;
            while ((next = replies.take()) != null) {
                switch (next) {
                    case ReplyQueue.Close c -> {
                        sendClose(c);
                        return;
                    }
                    case ReplyQueue.Pong p -> channel.pong(p.payload());
                    case ReplyQueue.Notice n -> channel.sendText(n.text());
                    case ReplyQueue.Reply r -> {
                        writingSinceNanos = System.nanoTime();
                        String text = r.outcome().wsText(r.seq());
                        if (r.outcome().ok()) {
                            byte[] audio = r.outcome().audio().bytes();
                            channel.sendTextThenBinary(text, audio);
                            metrics.messageOut(audio.length);
                        } else {
                            channel.sendText(text);
                        }
                        writingSinceNanos = 0;
                        r.outcome().answered(metrics, format, r.arrivalNanos());
                        if (!replies.written()) {
                            return;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            // the session is gone: stop sending
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.DEBUG, id, -1, "send failed, client gone: " + e);
            liveness.gone();
        }
    }

    private void sendClose(ReplyQueue.Close c) throws InterruptedException {
        Logs.log(LOG, Level.DEBUG, id, -1, "closing session: " + c.code() + " " + c.reason());
        try {
            channel.close(c.code(), c.reason());
        } catch (RuntimeException e) {
            liveness.gone();
            return;
        }
        // If the client never answers the close frame, drop the connection.
        if (!liveness.awaitEnd(CLOSE_HANDSHAKE)) {
            channel.abort();
        }
    }
}
