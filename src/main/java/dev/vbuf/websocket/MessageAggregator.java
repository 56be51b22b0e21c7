package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Assembles data frames into whole messages for the {@link MessageHandler} (RFC 6455 5.4): a message begins with a
 * text or binary frame and goes on with continuations until a final frame; control frames in between are the
 * connection's. Each message is read into one buffer, however many frames it comes in: a binary message into the
 * handler's ({@link MessageHandler#acquireBuffer}), a text message into this aggregator's own, checked as UTF-8 as it
 * arrives so invalid text is refused at the frame that makes it invalid.
 *
 * <p>Memory is taken as the bytes arrive, not as a header announces them: a message's first buffer holds at most
 * {@link #FIRST_BUFFER_BYTES} (or the message, if smaller), and a full buffer is swapped for one twice its size, so a
 * message never holds more than about twice what has arrived of it, and a message of many tiny frames fills one
 * buffer, not one per frame. A client that sends the 14-byte header of a 16 MiB
 * frame and then nothing holds 64 KiB, not 16 MiB. The price is copying a message once more in all (the halves moved
 * at each doubling add up to less than its size: ~2 MB copied for a 2 MB segment in one frame).
 *
 * <p>A message over its cap (the handler's {@link MessageHandler#maxMessageBytes() binary} or
 * {@link MessageHandler#maxTextBytes() text} limit), or one no buffer can be had for, is read and dropped as it arrives
 * and reported by size. Used by the connection's reading thread only.
 */
final class MessageAggregator {
    /** A binary message's first buffer at most; then twice as large each time it is full. */
    static final int FIRST_BUFFER_BYTES = 64 * 1024;
    /** A text message's first buffer (vbuf's text messages are small JSON); kept between messages. */
    static final int FIRST_TEXT_BYTES = 1024;

    /** What the connection is told about each message, and asked before it is delivered. */
    interface Watch {
        /** A message began: its first frame's header is in. */
        void began();

        /** The message is complete; false when it must be dropped unseen (its deadline passed, or the close was sent). */
        boolean mayDeliver();
    }

    private final FrameDecoder decoder;
    private final MessageHandler handler;
    private final Watch watch;
    private final Utf8Check utf8 = new Utf8Check();
    /** The state of the message being read; {@code inMessage} false between messages. */
    private boolean inMessage;
    private boolean text;
    private long limit;
    /** Bytes of the message so far (read, or dropped). */
    private long size;
    private boolean tooLarge;
    private boolean refused;
    /** The message's buffer: the handler's for binary, {@link #textBuffer} (or a larger one) for text. */
    private byte[] buffer;
    /** The small buffer text messages start in, kept for the next one. */
    private byte[] textBuffer;

    MessageAggregator(FrameDecoder decoder, MessageHandler handler, Watch watch) {
        this.decoder = decoder;
        this.handler = handler;
        this.watch = watch;
    }

    /** The connection ended: what the message in progress holds goes back. */
    void abandon() {
        if (inMessage) {
            inMessage = false;
            drop();
        }
    }

    /**
     * A data frame after the close frame was sent: only the client's close matters now (RFC 6455 5.5.1), so the
     * message in progress is dropped (its buffer goes back) and this frame's payload skipped, with no handler call.
     */
    void discard(FrameDecoder.Header h) throws IOException {
        abandon();
        decoder.skipPayload(h);
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
        if (!tooLarge && size + h.length() > limit) { // also after a refusal: retrying would not help it
            tooLarge = true;
            drop();
        }
        if (tooLarge || refused) {
            decoder.skipPayload(h);
            size += h.length();
        } else {
            read(h);
        }
        if (text && !tooLarge && h.fin() && !utf8.end(buffer, (int) size)) {
            throw notUtf8();
        }
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
        limit = isText ? handler.maxTextBytes() : handler.maxMessageBytes();
        size = 0;
        tooLarge = false;
        refused = false;
        if (isText) {
            utf8.reset();
        }
        watch.began();
    }

    /** Reads a frame's payload into the message's buffer, growing it as the bytes arrive. */
    private void read(FrameDecoder.Header h) throws IOException, ProtocolViolation {
        long at = 0;
        while (at < h.length()) {
            if (!room(h.length() - at, h.fin())) {
                refused = true;
                drop();
                decoder.skipPayload(h, at);
                size += h.length() - at;
                return;
            }
            int n = (int) Math.min(h.length() - at, buffer.length - size);
            decoder.readPayload(h, at, buffer, (int) size, n);
            at += n;
            size += n;
            if (text && !utf8.more(buffer, (int) size)) {
                throw notUtf8();
            }
        }
    }

    private static ProtocolViolation notUtf8() {
        return new ProtocolViolation(CloseCodes.INVALID_PAYLOAD, "text message is not valid UTF-8");
    }

    /**
     * Makes room for at least one more byte of a frame with {@code frameLeft} bytes still to come: the first buffer
     * holds up to {@link #FIRST_BUFFER_BYTES} (text: {@link #FIRST_TEXT_BYTES}), a full one is swapped for one twice its
     * size, within the message's limit; in the message's final frame, no larger than the message will be. False when
     * the handler has no buffer to give.
     */
    private boolean room(long frameLeft, boolean fin) {
        if (buffer != null && buffer.length > size) {
            return true;
        }
        long want = buffer == null ? (text ? FIRST_TEXT_BYTES : FIRST_BUFFER_BYTES) : 2L * buffer.length;
        want = Math.min(want, fin ? size + frameLeft : limit);
        byte[] bigger;
        if (text) {
            bigger = textBuffer(want);
            if (buffer != null) {
                System.arraycopy(buffer, 0, bigger, 0, (int) size);
            }
        } else {
            bigger = buffer == null ? handler.acquireBuffer((int) want)
                    : handler.growBuffer(buffer, (int) size, (int) want);
        }
        if (bigger == null) {
            return false;
        }
        buffer = bigger;
        return true;
    }

    /** A text buffer of at least {@code want} bytes: the kept small one while it is enough, else a new one. */
    private byte[] textBuffer(long want) {
        if (want <= FIRST_TEXT_BYTES) {
            if (textBuffer == null) {
                textBuffer = new byte[FIRST_TEXT_BYTES];
            }
            return textBuffer;
        }
        return new byte[(int) want];
    }

    private void giveBack(byte[] b) {
        if (!text) {
            handler.releaseBuffer(b);
        }
    }

    /** Gives back what the message holds (it is being dropped, or the connection ended). */
    private void drop() {
        if (buffer != null) {
            giveBack(buffer);
            buffer = null;
        }
    }

    private void deliver() {
        if (!watch.mayDeliver()) {
            drop();
            return;
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
            String s = size == 0 ? "" : new String(buffer, 0, (int) size, StandardCharsets.UTF_8); // checked above
            buffer = null;
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
}
