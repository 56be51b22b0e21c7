package dev.vbuf.websocket;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The frame encoder's bytes against RFC 6455 5.2: final, unmasked, the shortest length encoding. */
class FrameEncoderTest {

    private static byte[] filled(int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 7);
        }
        return b;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** Header bytes for each length encoding's boundaries: 7-bit up to 125, 16-bit up to 65535, 64-bit beyond. */
    @ParameterizedTest(name = "{0} bytes")
    @CsvSource({
        "0, 82 00",
        "125, 82 7D",
        "126, 82 7E 00 7E",
        "65535, 82 7E FF FF",
        "65536, 82 7F 00 00 00 00 00 01 00 00",
        "2000000, 82 7F 00 00 00 00 00 1E 84 80",
    })
    void aBinaryFrameHasAFinalUnmaskedHeaderWithTheShortestLength(int length, String header) {
        String[] hex = header.split(" ");
        byte[] expected = new byte[hex.length];
        for (int i = 0; i < hex.length; i++) {
            expected[i] = (byte) Integer.parseInt(hex[i], 16);
        }
        byte[] payload = filled(length);
        byte[] frame = FrameEncoder.frame(Opcodes.BINARY, payload);
        assertThat("header for " + length + " bytes", Arrays.copyOf(frame, expected.length), is(expected));
        assertThat("the payload as given, unmasked", Arrays.copyOfRange(frame, expected.length, frame.length),
                   is(payload));
    }

    @Test
    void aPongCarriesThePingsPayload() {
        assertThat("pong frame", FrameEncoder.frame(Opcodes.PONG, bytes('h', 'i')), is(bytes(0x8A, 2, 'h', 'i')));
    }

    @Test
    void aTextThenABinaryFrameAreTheTextFrameAndTheBinaryHeaderThenThePayloadAsItIs() {
        byte[] data = filled(300);
        byte[] both = concat(FrameEncoder.textThenBinaryHead("{\"é\":1}", data.length), data);
        byte[] text = "{\"é\":1}".getBytes(StandardCharsets.UTF_8);
        byte[] expected = new byte[2 + text.length + 4 + data.length];
        expected[0] = (byte) 0x81;
        expected[1] = (byte) text.length;
        System.arraycopy(text, 0, expected, 2, text.length);
        int at = 2 + text.length;
        System.arraycopy(bytes(0x82, 126, 300 >>> 8, 300 & 0xFF), 0, expected, at, 4);
        System.arraycopy(data, 0, expected, at + 4, data.length);
        assertThat("a UTF-8 text frame, then a 16-bit-length binary frame", both, is(expected));
        assertThat("the same bytes as the two frames apart", both,
                   is(concat(FrameEncoder.frame(Opcodes.TEXT, text), FrameEncoder.frame(Opcodes.BINARY, data))));
        assertThat("a header alone, then its payload, is the frame",
                   concat(FrameEncoder.header(Opcodes.BINARY, data.length), data),
                   is(FrameEncoder.frame(Opcodes.BINARY, data)));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void aCloseFrameIsItsCodeThenItsReason() {
        assertThat("1000 'bye'", FrameEncoder.close(1000, "bye"), is(bytes(0x88, 5, 0x03, 0xE8, 'b', 'y', 'e')));
        assertThat("1002 without a reason", FrameEncoder.close(1002, ""), is(bytes(0x88, 2, 0x03, 0xEA)));
    }

    @Test
    void aLongCloseReasonIsCutTo123BytesNeverInsideACharacter() {
        String ascii = "x".repeat(200);
        byte[] cut = FrameEncoder.close(1011, ascii);
        assertThat("a 125-byte payload, the most a control frame may carry", cut.length, is(2 + 125));
        assertThat("length byte", cut[1] & 0xFF, is(125));
        String accented = "x".repeat(122) + "é"; // 'é' would take bytes 122-123: it is left out whole
        byte[] kept = FrameEncoder.close(1011, accented);
        assertThat("the reason cut before the character", new String(kept, 4, kept.length - 4, StandardCharsets.UTF_8),
                   is("x".repeat(122)));
        String fits = "x".repeat(121) + "é"; // exactly 123 bytes: kept whole
        byte[] whole = FrameEncoder.close(1011, fits);
        assertThat("a reason of exactly 123 bytes kept whole",
                   new String(whole, 4, whole.length - 4, StandardCharsets.UTF_8), is(fits));
    }
}
