package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.time.Duration;
import java.util.Optional;

/**
 * What vbuf's WebSocket connection tells the application, one whole message at a time. Calls come one at a time, in
 * order, from the connection's reading thread (or, for a message past its {@link #messageDeadline() deadline}, from
 * the connection's watchdog while the reading thread waits for bytes); a call that blocks (e.g. a pipelining limit)
 * stops reading from that connection, which is how a client gets slowed down.
 */
public interface MessageHandler {
    /** The default text message cap: vbuf's text messages are small JSON. */
    int MAX_TEXT_BYTES = 64 * 1024;

    /** The connection is open; {@code channel} writes to it. */
    void onOpen(WsChannel channel);

    /** The largest binary message the handler accepts; a larger one is read to its end, dropped, and reported. */
    long maxMessageBytes();

    /** The largest text message the handler accepts; a larger one is read to its end, dropped, and reported. */
    default int maxTextBytes() {
        return MAX_TEXT_BYTES;
    }

    /**
     * How long a message may take from its first frame's header to its last byte; past it the connection reports a
     * 1008 {@link #onProtocolViolation violation} and, once the handler's close frame is out, drops the connection
     * (which gives the message's memory back). Empty (the default): no deadline.
     */
    default Optional<Duration> messageDeadline() {
        return Optional.empty();
    }

    /**
     * A buffer of at least {@code minBytes} to read a binary message into, or null when none can be had now (the
     * message is then read and dropped, and {@link #onRefused} reports it). The default allocates.
     */
    default byte[] acquireBuffer(int minBytes) {
        return new byte[minBytes];
    }

    /** Gives back a buffer from {@link #acquireBuffer} that holds no message (the connection ended mid-message). */
    default void releaseBuffer(byte[] buffer) {
    }

    /**
     * A message has filled {@code buffer} (from {@link #acquireBuffer} or here): a buffer of at least {@code minBytes}
     * holding {@code buffer[0, used)}, with {@code buffer} given back; or null when none can be had ({@code buffer} is
     * then still the connection's, which gives it back). The default takes a new one and gives the old one back.
     */
    default byte[] growBuffer(byte[] buffer, int used, int minBytes) {
        byte[] bigger = acquireBuffer(minBytes);
        if (bigger != null) {
            System.arraycopy(buffer, 0, bigger, 0, used);
            releaseBuffer(buffer);
        }
        return bigger;
    }

    /**
     * A whole binary message (its frames joined and unmasked): {@code buffer[0, length)}. The buffer came from
     * {@link #acquireBuffer} and is now the handler's, to give back when it is done with the message.
     */
    void onBinary(byte[] buffer, int length);

    /** A binary message over {@link #maxMessageBytes()}: its size; its bytes were dropped as they arrived. */
    void onTooLarge(long size);

    /** A binary message no buffer could be had for ({@link #acquireBuffer} said no): its size; it was dropped. */
    void onRefused(long size);

    /**
     * A whole text message, or null with its size when it was over the text limit (its bytes were dropped).
     */
    void onText(String text, long size);

    /**
     * A frame header arrived (any frame, data or control, before its payload is read): the peer is alive. Called on
     * the reading thread for every frame, so it must be cheap.
     */
    default void onFrame(long nanos) {
    }

    /** A pong (the answer to a {@link WsChannel#ping}, or an unsolicited one): its payload. */
    default void onPong(byte[] payload) {
    }

    /** A ping; the handler answers it with {@link WsChannel#pong}. */
    void onPing(byte[] payload);

    /**
     * The session is over from the client's side: it sent a close frame (its code and reason), or the connection
     * ended without one ({@link CloseCodes#ABNORMAL}). No further calls follow.
     */
    void onClose(int code, String reason);

    /**
     * The client broke the protocol, or a message missed its {@link #messageDeadline() deadline} (1008). Nothing more is
     * read from the connection; the handler answers what it already accepted if it can, then closes with the
     * violation's code ({@link WsChannel#close}). The connection waits for that close frame (or for
     * {@link WsChannel#abort}) before it lets the socket go.
     */
    void onProtocolViolation(ProtocolViolation violation);
}
