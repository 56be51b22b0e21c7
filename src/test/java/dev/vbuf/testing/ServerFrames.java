package dev.vbuf.testing;

import java.nio.charset.StandardCharsets;

/**
 * Where the binary messages end in what a WebSocket server sends (its HTTP 101 answer, then unmasked frames), read
 * chunk by chunk as a proxy forwards it: the places where {@link FaultProxy} may put a message of its own without
 * splitting one of the server's (a vbuf result is a text message, then its binary audio; the place after the audio
 * is between two replies).
 */
final class ServerFrames {
    private static final byte[] END_OF_HEAD = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final int BINARY = 0x2;
    private static final int CONTINUATION = 0x0;

    private boolean inHead = true;
    private int headMatched;
    private final byte[] header = new byte[14];
    private int headerBytes;
    private long payloadLeft = -1; // -1: reading a frame header
    private boolean fin;
    private int opcode;
    private int messageOpcode;

    /**
     * Reads {@code b[from, to)} on from where the last call stopped; returns the offset just after the first binary
     * message that ends in it, or -1 when none does (everything was read).
     */
    int messageEnd(byte[] b, int from, int to) {
        int i = from;
        while (i < to) {
            if (inHead) {
                byte c = b[i++];
                headMatched = c == END_OF_HEAD[headMatched] ? headMatched + 1 : c == '\r' ? 1 : 0;
                inHead = headMatched < END_OF_HEAD.length;
            } else if (payloadLeft < 0) {
                header[headerBytes++] = b[i++];
                if (headerBytes >= 2 && headerBytes == headerLength()) {
                    startFrame();
                    if (payloadLeft == 0 && frameDone()) {
                        return i;
                    }
                }
            } else {
                int take = (int) Math.min(payloadLeft, to - i);
                i += take;
                payloadLeft -= take;
                if (payloadLeft == 0 && frameDone()) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** An unmasked text frame, as a server sends one. */
    static byte[] textFrame(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 0xffff) {
            throw new IllegalArgumentException("a text message of at most 64 KiB");
        }
        int head = payload.length <= 125 ? 2 : 4;
        byte[] frame = new byte[head + payload.length];
        frame[0] = (byte) 0x81;
        if (head == 2) {
            frame[1] = (byte) payload.length;
        } else {
            frame[1] = 126;
            frame[2] = (byte) (payload.length >> 8);
            frame[3] = (byte) payload.length;
        }
        System.arraycopy(payload, 0, frame, head, payload.length);
        return frame;
    }

    private int headerLength() {
        int len7 = header[1] & 0x7f;
        return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
    }

    private void startFrame() {
        fin = (header[0] & 0x80) != 0;
        opcode = header[0] & 0x0f;
        int len7 = header[1] & 0x7f;
        long len = len7;
        if (len7 == 126) {
            len = ((header[2] & 0xffL) << 8) | (header[3] & 0xffL);
        } else if (len7 == 127) {
            len = 0;
            for (int k = 2; k < 10; k++) {
                len = (len << 8) | (header[k] & 0xffL);
            }
        }
        if (opcode != CONTINUATION && opcode < 0x8) {
            messageOpcode = opcode;
        }
        payloadLeft = len;
        headerBytes = 0;
    }

    /** The frame just read is over; whether it ended a binary message. */
    private boolean frameDone() {
        payloadLeft = -1;
        return fin && (opcode == BINARY || (opcode == CONTINUATION && messageOpcode == BINARY));
    }
}
