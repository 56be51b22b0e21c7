package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Reads client frames (RFC 6455 section 5) from a byte source and checks every rule a server must: RSV bits clear,
 * known opcodes, masked, minimal control frames (final, at most 125 bytes), lengths that fit. Headers and small
 * payloads come from a staging buffer filled by large reads; a large payload is read from the socket straight into
 * the caller's array and unmasked there, eight bytes at a time.
 */
final class FrameReader {
    static final int OP_CONTINUATION = 0x0;
    static final int OP_TEXT = 0x1;
    static final int OP_BINARY = 0x2;
    static final int OP_CLOSE = 0x8;
    static final int OP_PING = 0x9;
    static final int OP_PONG = 0xA;
    private static final int MAX_CONTROL_PAYLOAD = 125;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** Where bytes come from: the socket (a blocking read of up to {@code len} bytes; -1 at the end). */
    interface Source {
        int read(byte[] b, int off, int len) throws IOException;
    }

    /** One frame's header. The mask is the 4-byte masking key as a big-endian int. */
    record Header(boolean fin, int opcode, long length, int mask) {
        boolean control() {
            return (opcode & 0x8) != 0;
        }
    }

    private final Source source;
    private final long maxFrameLength;
    private final byte[] staging;
    private int pos;
    private int limit;

    FrameReader(Source source, long maxFrameLength, int stagingBytes) {
        this.source = source;
        this.maxFrameLength = maxFrameLength;
        this.staging = new byte[stagingBytes];
    }

    /** Bytes already read from the connection before this reader took over (e.g. with the upgrade request). */
    void prepend(byte[] bytes) {
        if (bytes.length > staging.length - limit) {
            throw new IllegalStateException("more early bytes than the staging buffer holds");
        }
        System.arraycopy(bytes, 0, staging, limit, bytes.length);
        limit += bytes.length;
    }

    /**
     * Reads and checks the next frame header.
     *
     * @throws ProtocolViolation the header breaks the protocol (1002), or announces a frame over the limit (1009)
     * @throws EOFException      the connection ended
     */
    Header readHeader() throws IOException, ProtocolViolation {
        int b0 = nextByte();
        int b1 = nextByte();
        boolean fin = (b0 & 0x80) != 0;
        if ((b0 & 0x70) != 0) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "reserved bits set in a frame header (no"
                                                                   + " extension was negotiated)");
        }
        int opcode = b0 & 0x0F;
        switch (opcode) {
            case OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG -> { }
            default -> throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "reserved opcode 0x"
                                                                              + Integer.toHexString(opcode));
        }
        if ((b1 & 0x80) == 0) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "client frames must be masked");
        }
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (nextByte() << 8) | nextByte();
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | nextByte();
            }
            if (length < 0) {
                throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "frame length over 2^63");
            }
        }
        boolean control = (opcode & 0x8) != 0;
        if (control && !fin) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "control frames must not be fragmented");
        }
        if (control && length > MAX_CONTROL_PAYLOAD) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "control frame payload over 125 bytes");
        }
        if (length > maxFrameLength) {
            throw new ProtocolViolation(CloseCodes.MESSAGE_TOO_BIG, "frame of " + length + " bytes exceeds the"
                                                                    + " frame limit of " + maxFrameLength + " bytes");
        }
        int mask = (nextByte() << 24) | (nextByte() << 16) | (nextByte() << 8) | nextByte();
        return new Header(fin, opcode, length, mask);
    }

    /** Reads a frame's whole payload into {@code dest[off, off + length)} and unmasks it there. */
    void readPayload(Header h, byte[] dest, int off) throws IOException {
        int len = (int) h.length();
        int fromStaging = Math.min(len, limit - pos);
        System.arraycopy(staging, pos, dest, off, fromStaging);
        pos += fromStaging;
        int done = fromStaging;
        while (done < len) {
            int n = source.read(dest, off + done, len - done);
            if (n < 0) {
                throw new EOFException("the connection ended inside a frame");
            }
            done += n;
        }
        unmask(dest, off, len, h.mask());
    }

    /** Reads and drops a frame's payload (a message over the segment limit). */
    void skipPayload(Header h) throws IOException {
        long left = h.length();
        int fromStaging = (int) Math.min(left, limit - pos);
        pos += fromStaging;
        left -= fromStaging;
        while (left > 0) {
            int n = source.read(staging, 0, (int) Math.min(left, staging.length));
            if (n < 0) {
                throw new EOFException("the connection ended inside a frame");
            }
            left -= n;
        }
    }

    private int nextByte() throws IOException {
        if (pos == limit) {
            pos = 0;
            limit = 0;
            int n = source.read(staging, 0, staging.length);
            if (n < 0) {
                throw new EOFException("the connection ended");
            }
            limit = n;
        }
        return staging[pos++] & 0xFF;
    }

    /** XORs {@code b[off, off + len)} with the repeating 4-byte mask, starting at the mask's first byte. */
    static void unmask(byte[] b, int off, int len, int mask) {
        long m = ((mask & 0xFFFFFFFFL) << 32) | (mask & 0xFFFFFFFFL);
        int i = 0;
        for (; i + 8 <= len; i += 8) {
            LONGS.set(b, off + i, (long) LONGS.get(b, off + i) ^ m);
        }
        for (; i < len; i++) {
            b[off + i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
        }
    }
}
