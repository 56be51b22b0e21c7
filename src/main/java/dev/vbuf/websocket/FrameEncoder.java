package dev.vbuf.websocket;

import java.nio.charset.StandardCharsets;

/**
 * Encodes server frames (RFC 6455 section 5): final, unmasked. Small frames come as one array ready for one socket
 * write; a large payload (a reply's audio, up to the output cap) is never copied: only the bytes in front of it are
 * encoded ({@link #textThenBinaryHead}), and the connection writes them and then the payload, under its lock. It knows
 * nothing of the connection, so the bytes can be checked alone.
 */
final class FrameEncoder {
    /** A close frame's payload is at most 125 bytes: the 2-byte code and up to 123 bytes of reason. */
    static final int MAX_CLOSE_REASON_BYTES = 123;

    private FrameEncoder() {
    }

    /** One frame with this opcode and payload. */
    static byte[] frame(int opcode, byte[] payload) {
        int h = headerLength(payload.length);
        byte[] f = new byte[h + payload.length];
        writeHeader(f, 0, opcode, payload.length);
        System.arraycopy(payload, 0, f, h, payload.length);
        return f;
    }

    /**
     * What goes in front of a binary payload of {@code dataLength} bytes for a text message and then that binary message:
     * the whole text frame, then the binary frame's header. The payload itself follows as it is.
     */
    static byte[] textThenBinaryHead(String text, int dataLength) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int th = headerLength(t.length);
        byte[] head = new byte[th + t.length + headerLength(dataLength)];
        writeHeader(head, 0, Opcodes.TEXT, t.length);
        System.arraycopy(t, 0, head, th, t.length);
        writeHeader(head, th + t.length, Opcodes.BINARY, dataLength);
        return head;
    }

    /** The header of a frame with this opcode and a payload of {@code length} bytes (which follows as it is). */
    static byte[] header(int opcode, int length) {
        byte[] h = new byte[headerLength(length)];
        writeHeader(h, 0, opcode, length);
        return h;
    }

    /** A close frame: the code, then the reason cut to {@link #MAX_CLOSE_REASON_BYTES} at a character boundary. */
    static byte[] close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_CLOSE_REASON_BYTES);
        while (n < r.length && n > 0 && (r[n] & 0xC0) == 0x80) {
            n--; // never cut a UTF-8 sequence in two
        }
        byte[] payload = new byte[2 + n];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, n);
        return frame(Opcodes.CLOSE, payload);
    }

    private static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
    }

    /** A final, unmasked server frame header. */
    private static void writeHeader(byte[] b, int at, int opcode, int length) {
        b[at] = (byte) (0x80 | opcode);
        if (length < 126) {
            b[at + 1] = (byte) length;
        } else if (length < 65536) {
            b[at + 1] = 126;
            b[at + 2] = (byte) (length >>> 8);
            b[at + 3] = (byte) length;
        } else {
            b[at + 1] = 127;
            for (int i = 0; i < 8; i++) {
                b[at + 2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
        }
    }
}
