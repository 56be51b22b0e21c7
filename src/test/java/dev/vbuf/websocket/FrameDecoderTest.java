package dev.vbuf.websocket;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.testing.RawWebSocket;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The frame decoder on bytes as a client sends them (RFC 6455 5.2-5.5), read whole or a few bytes at a time. */
class FrameDecoderTest {
    private static final byte[] MASK = {0x37, (byte) 0xFA, 0x21, 0x3D};
    private static final int MASK_INT = 0x37FA213D;
    private static final long MAX_FRAME = 1 << 20;

    /** A source that hands out {@code bytes} at most {@code chunk} bytes per read, then the end (-1). */
    private static FrameDecoder.Source source(byte[] bytes, int chunk) {
        int[] at = {0};
        return (b, off, len) -> {
            if (at[0] == bytes.length) {
                return -1;
            }
            int n = Math.min(Math.min(len, chunk), bytes.length - at[0]);
            System.arraycopy(bytes, at[0], b, off, n);
            at[0] += n;
            return n;
        };
    }

    private static FrameDecoder decoder(byte[] bytes, int chunk) {
        return new FrameDecoder(source(bytes, chunk), MAX_FRAME, 64);
    }

    private static byte[] masked(int firstByte, byte[] payload) {
        return RawWebSocket.clientFrame(firstByte, payload, MASK);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.write(p, 0, p.length);
        }
        return all.toByteArray();
    }

    private static byte[] payload(int length) {
        byte[] p = new byte[length];
        new Random(length).nextBytes(p);
        return p;
    }

    /** Lengths at each boundary of the 7-bit, 16-bit and 64-bit encodings, larger than the staging buffer too. */
    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 125, 126, 127, 65535, 65536, 70000})
    void aMaskedBinaryFrameIsDecodedAndUnmaskedAtEveryLengthEncoding(int length) throws Exception {
        byte[] sent = payload(length);
        for (int chunk : new int[] {1, 7, 100_000}) {
            FrameDecoder d = decoder(masked(0x80 | Opcodes.BINARY, sent), chunk);
            FrameDecoder.Header h = d.readHeader();
            assertThat("header of " + length + " bytes read " + chunk + " at a time",
                       h, is(new FrameDecoder.Header(true, Opcodes.BINARY, length, MASK_INT)));
            byte[] into = new byte[length + 3];
            d.readPayload(h, into, 3);
            assertThat("payload of " + length + " bytes unmasked at offset 3, read " + chunk + " at a time",
                       Arrays.copyOfRange(into, 3, into.length), is(sent));
        }
    }

    @Test
    void framesFollowingEachOtherAreReadInTurnAndASkippedPayloadIsPassedOver() throws Exception {
        byte[] third = "third".getBytes(StandardCharsets.UTF_8);
        byte[] wire = concat(masked(Opcodes.TEXT, payload(10)), masked(0x80 | Opcodes.CONTINUATION, payload(300)),
                             masked(0x80 | Opcodes.PING, third));
        FrameDecoder d = decoder(wire, 13);
        FrameDecoder.Header first = d.readHeader();
        assertThat("first frame: a text frame with FIN clear", first,
                   is(new FrameDecoder.Header(false, Opcodes.TEXT, 10, MASK_INT)));
        d.skipPayload(first);
        FrameDecoder.Header second = d.readHeader();
        assertThat("second frame: a final continuation", second,
                   is(new FrameDecoder.Header(true, Opcodes.CONTINUATION, 300, MASK_INT)));
        d.skipPayload(second);
        FrameDecoder.Header ping = d.readHeader();
        assertThat("third frame: a ping", ping.opcode(), is(Opcodes.PING));
        assertThat("the ping's payload", d.readControl(ping), is(third));
        assertThrows(EOFException.class, d::readHeader, "the end of the input after the last frame");
    }

    @Test
    void bytesReadBeforeTheDecoderTookOverComeFirst() throws Exception {
        byte[] frame = masked(0x80 | Opcodes.BINARY, payload(40));
        FrameDecoder d = new FrameDecoder(source(Arrays.copyOfRange(frame, 5, frame.length), 3), MAX_FRAME, 64);
        d.prepend(Arrays.copyOf(frame, 5));
        FrameDecoder.Header h = d.readHeader();
        byte[] into = new byte[40];
        d.readPayload(h, into, 0);
        assertThat("the payload, its start prepended and its rest read", into, is(payload(40)));
    }

    @Test
    void theInputEndingInsideAFrameIsAnEndOfFile() throws Exception {
        byte[] frame = masked(0x80 | Opcodes.BINARY, payload(200));
        assertThrows(EOFException.class, () -> decoder(Arrays.copyOf(frame, 3), 64).readHeader(),
                     "input ending inside the header");
        FrameDecoder d = decoder(Arrays.copyOf(frame, 100), 64);
        FrameDecoder.Header h = d.readHeader();
        assertThrows(EOFException.class, () -> d.readPayload(h, new byte[200], 0), "input ending inside the payload");
        FrameDecoder skipping = decoder(Arrays.copyOf(frame, 100), 64);
        FrameDecoder.Header s = skipping.readHeader();
        assertThrows(EOFException.class, () -> skipping.skipPayload(s), "input ending inside a skipped payload");
    }

    private static ProtocolViolation refusal(byte[] wire) {
        return assertThrows(ProtocolViolation.class, () -> decoder(wire, 64).readHeader(), "a refused header");
    }

    private static void assertRefused(String what, byte[] wire, int code, String reason) {
        ProtocolViolation v = refusal(wire);
        assertThat(what + ": close code", v.closeCode(), is(code));
        assertThat(what + ": reason", v.getMessage(), containsString(reason));
    }

    @Test
    void lengthsNotInTheirMinimalEncodingAreRefused() throws Exception {
        byte[] mask = {1, 2, 3, 4};
        // 5 bytes announced in the 16-bit form, 125 in the 16-bit form, 65535 in the 64-bit form (RFC 6455 5.2)
        assertRefused("16-bit length 5", concat(new byte[] {(byte) 0x82, (byte) (0x80 | 126), 0, 5}, mask, payload(5)),
                      CloseCodes.PROTOCOL_ERROR, "minimal encoding");
        assertRefused("16-bit length 125", concat(new byte[] {(byte) 0x82, (byte) (0x80 | 126), 0, 125}, mask),
                      CloseCodes.PROTOCOL_ERROR, "minimal encoding");
        assertRefused("64-bit length 65535", concat(new byte[] {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0,
                                                                (byte) 0xFF, (byte) 0xFF}, mask),
                      CloseCodes.PROTOCOL_ERROR, "minimal encoding");
        // the smallest lengths of each form are accepted
        assertThat(decoder(masked(0x80 | Opcodes.BINARY, payload(126)), 64).readHeader().length(), is(126L));
        assertThat(decoder(masked(0x80 | Opcodes.BINARY, payload(65536)), 64).readHeader().length(), is(65536L));
    }

    @Test
    void eachHeaderRuleIsRefusedWithItsCloseCode() {
        assertRefused("RSV1", masked(0x80 | 0x40 | Opcodes.BINARY, payload(1)), CloseCodes.PROTOCOL_ERROR,
                      "reserved bits");
        assertRefused("RSV3", masked(0x80 | 0x10 | Opcodes.TEXT, payload(1)), CloseCodes.PROTOCOL_ERROR,
                      "reserved bits");
        assertRefused("opcode 0x3", masked(0x80 | 0x3, payload(1)), CloseCodes.PROTOCOL_ERROR, "reserved opcode 0x3");
        assertRefused("opcode 0xB", masked(0x80 | 0xB, payload(0)), CloseCodes.PROTOCOL_ERROR, "reserved opcode 0xb");
        assertRefused("unmasked", RawWebSocket.clientFrame(0x80 | Opcodes.BINARY, payload(4), null),
                      CloseCodes.PROTOCOL_ERROR, "must be masked");
        assertRefused("fragmented ping", masked(Opcodes.PING, payload(1)), CloseCodes.PROTOCOL_ERROR,
                      "must not be fragmented");
        assertRefused("126-byte close", masked(0x80 | Opcodes.CLOSE, payload(126)), CloseCodes.PROTOCOL_ERROR,
                      "over 125 bytes");
        assertRefused("frame over the limit", masked(0x80 | Opcodes.BINARY, payload((int) MAX_FRAME + 1)),
                      CloseCodes.MESSAGE_TOO_BIG, "exceeds the frame limit of " + MAX_FRAME);
        byte[] over63 = {(byte) 0x82, (byte) (0x80 | 127), (byte) 0x80, 0, 0, 0, 0, 0, 0, 0};
        assertRefused("64-bit length with its top bit set", over63, CloseCodes.PROTOCOL_ERROR, "over 2^63");
    }

    @Test
    void aFrameOverTheLimitIsRefusedFromItsHeaderAlone() {
        byte[] header = {(byte) 0x82, (byte) (0x80 | 127), 0, 0, 0, 0, 0, 0x10, 0, 1}; // 2^20 + 1, no mask, no payload
        assertThat("refused before its mask and payload arrive", refusal(header).closeCode(),
                   is(CloseCodes.MESSAGE_TOO_BIG));
    }

    @Test
    void aClosePayloadIsACodeThatMayBeSentAndAUtf8Reason() throws Exception {
        assertThat("an empty close", FrameDecoder.close(new byte[0]),
                   is(new FrameDecoder.Close(CloseCodes.NO_STATUS, "")));
        byte[] reason = "bien reçu".getBytes(StandardCharsets.UTF_8);
        byte[] payload = concat(new byte[] {0x03, (byte) 0xE8}, reason);
        assertThat("1000 with a reason", FrameDecoder.close(payload),
                   is(new FrameDecoder.Close(CloseCodes.NORMAL, "bien reçu")));
        assertThat("an application's code", FrameDecoder.close(new byte[] {0x0F, (byte) 0xA0}).code(), is(4000));
    }

    private static void assertCloseRefused(String what, byte[] payload, int code) {
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> FrameDecoder.close(payload), what);
        assertThat(what + ": " + v.getMessage(), v.closeCode(), is(code));
    }

    @Test
    void aMalformedClosePayloadIsRefused() {
        assertCloseRefused("1-byte payload", new byte[] {3}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("code 1005", new byte[] {0x03, (byte) 0xED}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("code 1006", new byte[] {0x03, (byte) 0xEE}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("code 999", new byte[] {0x03, (byte) 0xE7}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("code 2000", new byte[] {0x07, (byte) 0xD0}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("code 5000", new byte[] {0x13, (byte) 0x88}, CloseCodes.PROTOCOL_ERROR);
        assertCloseRefused("reason not UTF-8", new byte[] {0x03, (byte) 0xE8, (byte) 0xC3, 0x28},
                           CloseCodes.INVALID_PAYLOAD);
    }

    /** The 8-bytes-at-a-time unmask gives what the RFC's byte-by-byte definition gives, at every offset and length. */
    @Test
    void unmaskingMatchesTheDefinitionAtEveryOffsetAndLength() {
        Random random = new Random(3);
        for (int len = 0; len < 40; len++) {
            for (int off = 0; off < 9; off++) {
                byte[] data = new byte[off + len + 5];
                random.nextBytes(data);
                int mask = random.nextInt();
                byte[] expected = data.clone();
                for (int i = 0; i < len; i++) {
                    expected[off + i] ^= (byte) (mask >>> (24 - 8 * (i % 4)));
                }
                FrameDecoder.unmask(data, off, len, mask);
                assertThat("len " + len + " off " + off, data, is(expected));
            }
        }
    }
}
