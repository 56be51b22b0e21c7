package dev.vbuf.websocket;

import java.util.Arrays;

import dev.vbuf.protocol.CloseCodes;

import io.helidon.websocket.WsListener;

/**
 * A test-only {@link MessageHandler} on vbuf's own WebSocket connection that echoes every message, as the Autobahn
 * test suite's servers do: text as text, binary as binary, each ping answered with a pong; a violation closes with its
 * code at once. Messages up to {@link #MAX_MESSAGE_BYTES}, text too (Autobahn's large-message cases send 16 MiB).
 */
class EchoHandler implements WsListener, MessageHandler {
    /** Autobahn's largest message. */
    static final int MAX_MESSAGE_BYTES = 16 << 20;

    private WsChannel channel;

    @Override
    public void onOpen(WsChannel channel) {
        this.channel = channel;
    }

    @Override
    public long maxMessageBytes() {
        return MAX_MESSAGE_BYTES;
    }

    @Override
    public int maxTextBytes() {
        return MAX_MESSAGE_BYTES;
    }

    @Override
    public void onBinary(byte[] buffer, int length) {
        channel.sendBinary(Arrays.copyOf(buffer, length));
    }

    @Override
    public void onTooLarge(long size) {
        channel.close(CloseCodes.MESSAGE_TOO_BIG, "message too large to echo");
    }

    @Override
    public void onRefused(long size) {
        onTooLarge(size);
    }

    @Override
    public void onText(String text, long size) {
        if (text == null) {
            onTooLarge(size);
        } else {
            channel.sendText(text);
        }
    }

    @Override
    public void onPing(byte[] payload) {
        channel.pong(payload);
    }

    @Override
    public void onClose(int code, String reason) {
    }

    @Override
    public void onProtocolViolation(ProtocolViolation violation) {
        channel.close(violation.closeCode(), violation.getMessage());
    }
}
