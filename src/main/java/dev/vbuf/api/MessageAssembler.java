package dev.vbuf.api;

import java.io.ByteArrayOutputStream;

import io.helidon.common.buffers.BufferData;

/**
 * Collects the frames of one WebSocket binary message into one segment (Helidon hands each frame over on its own) and
 * enforces the segment size limit: past it, the rest of the message is read and dropped, and the message is reported
 * as too large with its full size. Used by the connection's reading thread only.
 */
final class MessageAssembler {
    private final long maxBytes;
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();
    private long size;

    /** A whole message: its bytes, or null when it was over the limit (then {@code size} says how big it was). */
    record Message(byte[] bytes, long size) {
        boolean tooLarge() {
            return bytes == null;
        }
    }

    MessageAssembler(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Takes one frame of the message.
     *
     * @return the message once its last frame is in, else null
     */
    Message add(BufferData frame, boolean last) {
        int n = frame.available();
        boolean first = size == 0;
        size += n;
        if (first && last && size <= maxBytes) { // the common case, a message in one frame: one copy
            size = 0;
            return new Message(frame.readBytes(), n);
        }
        if (size <= maxBytes) {
            byte[] chunk = new byte[n];
            frame.read(chunk);
            message.writeBytes(chunk);
        } else {
            frame.skip(n);
            if (message.size() > 0) {
                message.reset(); // over the limit: keep reading to the end, keep nothing
            }
        }
        if (!last) {
            return null;
        }
        Message m = new Message(size <= maxBytes ? message.toByteArray() : null, size);
        message.reset();
        size = 0;
        return m;
    }
}
