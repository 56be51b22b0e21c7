package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;

/**
 * What vbuf's WebSocket connection tells the application, one whole message at a time. All calls come from the
 * connection's reading thread, in order; a call that blocks (e.g. a pipelining limit) stops reading from that
 * connection, which is how a client gets slowed down.
 */
public interface MessageHandler {
    /** The connection is open; {@code channel} writes to it. */
    void onOpen(WsChannel channel);

    /** The largest binary message the handler accepts; a larger one is read to its end, dropped, and reported. */
    long maxMessageBytes();

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
     * The client broke the protocol. Nothing more is read from the connection; the handler answers what it already
     * accepted if it can, then closes with the violation's code ({@link WsChannel#close}). The connection waits for
     * that close frame (or for {@link WsChannel#abort}) before it lets the socket go.
     */
    void onProtocolViolation(ProtocolViolation violation);
}
