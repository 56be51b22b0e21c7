package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Assembles data frames into whole messages for the {@link MessageHandler} (RFC 6455 5.4): a message begins with a
 * text or binary frame and goes on with continuations until a final frame; control frames in between are the
 * connection's. A binary message is read from the decoder straight into the handler's buffer; a text message's frames
 * are joined once, at its end, and must be UTF-8. A message over its cap (the handler's for binary,
 * {@link #MAX_TEXT_BYTES} for text), or one no buffer can be had for, is read and dropped as it arrives and reported
 * by size. Used by the connection's reading thread only.
 */
final class MessageAggregator {
    /** Text messages longer than this are dropped and reported by size (vbuf's text messages are small JSON). */
    static final int MAX_TEXT_BYTES = 64 * 1024;

    private final FrameDecoder decoder;
    private final MessageHandler handler;
    /** The state of the message being read; {@code inMessage} false between messages. */
    private boolean inMessage;
    private boolean text;
    private long limit;
    /** Text: its frames, joined at the end (text messages are small). */
    private final List<byte[]> parts = new ArrayList<>(1);
    /** Binary: the handler's buffer, read into directly; it grows (rarely) by moving to a larger one. */
    private byte[] buffer;
    private long size;
    private boolean tooLarge;
    private boolean refused;
    /** The size of the last binary message, to size the next one's buffer. */
    private long lastBinaryBytes;

    MessageAggregator(FrameDecoder decoder, MessageHandler handler) {
        this.decoder = decoder;
        this.handler = handler;
    }

    /** The connection ended: what the message in progress holds goes back. */
    void abandon() {
        if (inMessage) {
            inMessage = false;
            drop();
        }
    }

    /**
     * Reads one data frame: a text or binary frame begins a message, a continuation goes on with the message begun;
     * after its final frame the message is delivered. Called for every data frame, so the JIT compiles it by count.
     */
    void add(FrameDecoder.Header h) throws IOException, ProtocolViolation {
        if (h.opcode() != Opcodes.CONTINUATION) {
            begin(h.opcode() == Opcodes.TEXT);
        } else if (!inMessage) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "continuation frame without a message to continue");
        }
        if (!tooLarge && !refused && size + h.length() > limit) {
            tooLarge = true;
            drop();
        }
        if (tooLarge || refused) {
            decoder.skipPayload(h);
        } else if (text) {
            if (h.length() > 0) {
                byte[] part = new byte[(int) h.length()];
                decoder.readPayload(h, part, 0);
                parts.add(part);
            }
        } else if (room(h)) {
            decoder.readPayload(h, buffer, (int) size);
        } else {
            refused = true;
            drop();
            decoder.skipPayload(h);
        }
        size += h.length();
        if (h.fin()) {
            inMessage = false;
            deliver();
        }
    }

    /** A text or binary frame: a message begins (unless one is still going on, RFC 6455 5.4). */
    private void begin(boolean isText) throws ProtocolViolation {
        if (inMessage) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "a new message began inside a fragmented one");
        }
        inMessage = true;
        text = isText;
        limit = isText ? MAX_TEXT_BYTES : handler.maxMessageBytes();
        size = 0;
        tooLarge = false;
        refused = false;
    }

    /**
     * Makes room in the buffer for this frame. A message's first buffer is sized for the whole message when this is
     * its only frame, else for the last message this connection sent (players send segments of similar size), so a
     * fragmented segment is read without moving it.
     */
    private boolean room(FrameDecoder.Header h) {
        long need = size + h.length();
        if (buffer != null && buffer.length >= need) {
            return true;
        }
        long want = buffer == null && !h.fin() ? Math.max(need, lastBinaryBytes) : need;
        if (buffer != null) {
            want = Math.max(need, 2L * buffer.length);
        }
        byte[] bigger = handler.acquireBuffer((int) Math.min(want, limit));
        if (bigger == null || bigger.length < need) {
            if (bigger != null) {
                handler.releaseBuffer(bigger);
            }
            return false;
        }
        if (buffer != null) {
            System.arraycopy(buffer, 0, bigger, 0, (int) size);
            handler.releaseBuffer(buffer);
        }
        buffer = bigger;
        return true;
    }

    /** Gives back what the message holds (it is being dropped, or the connection ended). */
    private void drop() {
        parts.clear();
        if (buffer != null) {
            handler.releaseBuffer(buffer);
            buffer = null;
        }
    }

    private void deliver() throws ProtocolViolation {
        if (!text) {
            lastBinaryBytes = size;
        }
        if (tooLarge) {
            if (text) {
                handler.onText(null, size);
            } else {
                handler.onTooLarge(size);
            }
        } else if (refused) {
            handler.onRefused(size);
        } else if (text) {
            byte[] whole = join();
            parts.clear();
            String s = StrictUtf8.decode(whole, 0, whole.length).orElseThrow(
                    () -> new ProtocolViolation(CloseCodes.INVALID_PAYLOAD, "text message is not valid UTF-8"));
            handler.onText(s, size);
        } else {
            byte[] b = buffer != null ? buffer : handler.acquireBuffer(0);
            buffer = null;
            if (b == null) { // an empty message with no buffer to be had
                handler.onRefused(0);
            } else {
                handler.onBinary(b, (int) size);
            }
        }
    }

    private byte[] join() {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        byte[] whole = new byte[(int) size];
        int off = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, whole, off, p.length);
            off += p.length;
        }
        return whole;
    }
}
