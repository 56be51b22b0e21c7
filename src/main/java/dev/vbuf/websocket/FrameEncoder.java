package dev.vbuf.websocket;

import java.nio.charset.StandardCharsets;

/**
 * Encodes server frames (RFC 6455 section 5): final, unmasked, each call one array ready for one socket write (the
 * connection writes it under its lock). It knows nothing of the connection, so the bytes can be checked alone.
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

    /** A text frame and then a binary frame in one array (a reply and its audio, written together). */
    static byte[] textThenBinary(String text, byte[] data) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int th = headerLength(t.length);
        int bh = headerLength(data.length);
        byte[] both = new byte[th + t.length + bh + data.length];
        writeHeader(both, 0, Opcodes.TEXT, t.length);
        System.arraycopy(t, 0, both, th, t.length);
        writeHeader(both, th + t.length, Opcodes.BINARY, data.length);
        System.arraycopy(data, 0, both, th + t.length + bh, data.length);
        return both;
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
