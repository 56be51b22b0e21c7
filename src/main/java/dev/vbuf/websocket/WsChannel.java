package dev.vbuf.websocket;

/**
 * Writing to one WebSocket connection. Each method writes whole frames with one socket write, under a lock, so
 * frames from different threads never interleave. All throw {@link java.io.UncheckedIOException} when the
 * connection is gone.
 */
public interface WsChannel {
    /** A text message in one frame. */
    void sendText(String text);

    /** A binary message in one frame. */
    void sendBinary(byte[] data);

    /** A text message and then a binary message, with one write (a reply and its audio). */
    void sendTextThenBinary(String text, byte[] data);

    void pong(byte[] payload);

    /** A ping (at most 125 bytes): the server's keep-alive, which the peer answers with a pong. */
    void ping(byte[] payload);

    /** Sends the close frame; afterwards nothing else may be sent. */
    void close(int code, String reason);

    /** Drops the connection at once (a client that never answered the close, or stopped reading). */
    void abort();

    /** The sub-protocol selected at the upgrade, if any. */
    java.util.Optional<String> subProtocol();
}
