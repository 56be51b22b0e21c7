package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.EOFException;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes client frames (RFC 6455 section 5) from a byte source and checks every rule a server must: RSV bits clear,
 * known opcodes, masked, minimal control frames (final, at most 125 bytes), lengths in their shortest encoding that
 * fit the frame limit, a well-formed close payload. A refusal is a {@link ProtocolViolation}. Headers and small
 * payloads come from a staging buffer filled by large reads; a large payload is read from the socket straight into
 * the caller's array, in as many pieces as the caller likes, and unmasked there, eight bytes at a time. It knows
 * nothing of messages ({@link MessageAggregator}) or of the connection.
 */
final class FrameDecoder {
    private static final int MAX_CONTROL_PAYLOAD = 125;
    private static final int MASK_BYTES = 4;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** Where bytes come from: the socket (a blocking read of up to {@code len} bytes; -1 at the end). */
    interface Source {
        int read(byte[] b, int off, int len) throws IOException;
    }

    /** One frame's header. The mask is the 4-byte masking key as a big-endian int. */
    record Header(boolean fin, int opcode, long length, int mask) {
    }

    /** A client's close frame: its code ({@link CloseCodes#NO_STATUS} when it had none) and reason. */
    record Close(int code, String reason) {
    }

    private final Source source;
    private final long maxFrameLength;
    private final byte[] staging;
    private int pos;
    private int limit;

    FrameDecoder(Source source, long maxFrameLength, int stagingBytes) {
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
            case Opcodes.CONTINUATION, Opcodes.TEXT, Opcodes.BINARY, Opcodes.CLOSE, Opcodes.PING, Opcodes.PONG -> { }
            default -> throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "reserved opcode 0x"
                                                                              + Integer.toHexString(opcode));
        }
        if ((b1 & 0x80) == 0) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "client frames must be masked");
        }
        long length = b1 & 0x7F;
        if (length == 126) {
            length = (nextByte() << 8) | nextByte();
            if (length < 126) { // RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the length"
                throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "a length of " + length + " sent in 16 bits"
                                                                       + " (the shortest encoding is required)");
            }
        } else if (length == 127) {
            length = 0;
            for (int i = 0; i < 8; i++) {
                length = (length << 8) | nextByte();
            }
            if (length < 0) {
                throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "frame length over 2^63");
            }
            if (length < 65536) {
                throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "a length of " + length + " sent in 64 bits"
                                                                       + " (the shortest encoding is required)");
            }
        }
        boolean control = Opcodes.control(opcode);
        if (control && !fin) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "control frames must not be fragmented");
        }
        if (control && length > MAX_CONTROL_PAYLOAD) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "control frame payload over 125 bytes");
        }
        if (length > maxFrameLength) {
            throw new ProtocolViolation(CloseCodes.MESSAGE_TOO_BIG, "frame of " + length + " bytes exceeds the"
                                                                    + " frame limit of " + maxFrameLength + " bytes",
                                        MASK_BYTES + length); // the mask, then the payload
        }
        int mask = (nextByte() << 24) | (nextByte() << 16) | (nextByte() << 8) | nextByte();
        return new Header(fin, opcode, length, mask);
    }

    /** Reads a frame's whole payload into {@code dest[off, off + length)} and unmasks it there. */
    void readPayload(Header h, byte[] dest, int off) throws IOException {
        readPayload(h, 0, dest, off, (int) h.length());
    }

    /**
     * Reads {@code len} bytes of a frame's payload, from byte {@code at} of it, into {@code dest[off, off + len)} and
     * unmasks them there (the mask goes on from where byte {@code at} falls in it): a payload can be read in pieces,
     * as memory for it is taken.
     */
    void readPayload(Header h, long at, byte[] dest, int off, int len) throws IOException {
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
        unmask(dest, off, len, Integer.rotateLeft(h.mask(), 8 * (int) (at & 3)));
    }

    /** Reads a control frame's payload (at most 125 bytes, checked by {@link #readHeader}) into an array of its own. */
    byte[] readControl(Header h) throws IOException {
        byte[] payload = new byte[(int) h.length()];
        readPayload(h, payload, 0);
        return payload;
    }

    /**
     * Decodes a close frame's payload (RFC 6455 5.5.1): empty, or a code that may be sent and a UTF-8 reason.
     *
     * @throws ProtocolViolation a 1-byte payload or a code that may not be sent (1002), a reason that is not UTF-8 (1007)
     */
    static Close close(byte[] payload) throws ProtocolViolation {
        if (payload.length == 0) {
            return new Close(CloseCodes.NO_STATUS, "");
        }
        if (payload.length == 1) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "close frame with a 1-byte payload");
        }
        int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
        if (!CloseCodes.validOnTheWire(code)) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "close code " + code + " may not be sent");
        }
        String reason = StrictUtf8.decode(payload, 2, payload.length - 2)
                .orElseThrow(() -> new ProtocolViolation(CloseCodes.INVALID_PAYLOAD, "close reason is not valid UTF-8"));
        return new Close(code, reason);
    }

    /** Reads and drops a frame's payload (a message over the segment limit). */
    void skipPayload(Header h) throws IOException {
        skipPayload(h, 0);
    }

    /** Reads and drops the rest of a frame's payload, from byte {@code at} of it. */
    void skipPayload(Header h, long at) throws IOException {
        skip(h.length() - at);
    }

    /** Reads and drops the next {@code n} bytes of the connection. */
    void skip(long count) throws IOException {
        long left = count;
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
