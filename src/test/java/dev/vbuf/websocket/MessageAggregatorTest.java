package dev.vbuf.websocket;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.testing.RawWebSocket;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The message aggregator on client frames (RFC 6455 5.4 fragmentation), with a handler that records what it is told. */
class MessageAggregatorTest {
    private static final byte[] MASK = {0x11, 0x22, 0x33, 0x44};

    /** Records the calls, lends buffers (of at most {@code bufferCap} bytes; none while {@code refuse}). */
    private static final class Recorder implements MessageHandler {
        final long maxMessage;
        int bufferCap = Integer.MAX_VALUE;
        boolean refuse;
        final List<String> calls = new ArrayList<>();
        final List<Integer> acquired = new ArrayList<>();
        final List<byte[]> lent = new ArrayList<>();
        byte[] binary;

        Recorder(long maxMessage) {
            this.maxMessage = maxMessage;
        }

        @Override
        public void onOpen(WsChannel channel) {
        }

        @Override
        public long maxMessageBytes() {
            return maxMessage;
        }

        @Override
        public byte[] acquireBuffer(int minBytes) {
            acquired.add(minBytes);
            if (refuse || minBytes > bufferCap) {
                return null;
            }
            byte[] b = new byte[minBytes];
            lent.add(b);
            return b;
        }

        @Override
        public void releaseBuffer(byte[] buffer) {
            lent.removeIf(b -> b == buffer);
        }

        @Override
        public void onBinary(byte[] buffer, int length) {
            lent.removeIf(b -> b == buffer);
            binary = Arrays.copyOf(buffer, length);
            calls.add("binary " + length);
        }

        @Override
        public void onTooLarge(long size) {
            calls.add("too large " + size);
        }

        @Override
        public void onRefused(long size) {
            calls.add("refused " + size);
        }

        @Override
        public void onText(String text, long size) {
            calls.add("text " + text + " " + size);
        }

        @Override
        public void onPing(byte[] payload) {
            calls.add("ping");
        }

        @Override
        public void onClose(int code, String reason) {
            calls.add("close " + code);
        }

        @Override
        public void onProtocolViolation(ProtocolViolation violation) {
            calls.add("violation " + violation.closeCode());
        }
    }

    /** Client frames on the wire, each given as (FIN, opcode, payload). */
    private static final class Wire {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private int frames;

        Wire frame(boolean fin, int opcode, byte[] payload) {
            byte[] f = RawWebSocket.clientFrame((fin ? 0x80 : 0) | opcode, payload, MASK);
            bytes.write(f, 0, f.length);
            frames++;
            return this;
        }

        /** A decoder reading these frames, then the end of the input. */
        FrameDecoder decoder() {
            byte[] all = bytes.toByteArray();
            int[] at = {0};
            return new FrameDecoder((b, off, len) -> {
                int n = Math.min(len, all.length - at[0]);
                System.arraycopy(all, at[0], b, off, n);
                at[0] += n;
                return n == 0 ? -1 : n;
            }, Long.MAX_VALUE, 1024);
        }

        /** Feeds every frame to an aggregator over {@code handler}, as the connection does for data frames. */
        void into(MessageHandler handler) throws Exception {
            FrameDecoder decoder = decoder();
            MessageAggregator aggregator = new MessageAggregator(decoder, handler);
            for (int i = 0; i < frames; i++) {
                aggregator.add(decoder.readHeader());
            }
            aggregator.abandon();
        }
    }

    private static byte[] bytes(int length, int seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSingleFrameBinaryMessageIsReadIntoABufferOfItsSize() throws Exception {
        Recorder r = new Recorder(10_000);
        new Wire().frame(true, Opcodes.BINARY, bytes(3000, 1)).into(r);
        assertThat("delivered whole", r.calls, contains("binary 3000"));
        assertThat("its bytes unmasked", r.binary, is(bytes(3000, 1)));
        assertThat("one buffer of the message's size", r.acquired, contains(3000));
    }

    @Test
    void aFragmentedBinaryMessageIsJoinedInItsBufferWhichGrowsByMoving() throws Exception {
        Recorder r = new Recorder(100_000);
        byte[] whole = bytes(7000, 2);
        new Wire().frame(false, Opcodes.BINARY, Arrays.copyOfRange(whole, 0, 1000))
                .frame(false, Opcodes.CONTINUATION, Arrays.copyOfRange(whole, 1000, 1500))
                .frame(true, Opcodes.CONTINUATION, Arrays.copyOfRange(whole, 1500, 7000))
                .into(r);
        assertThat("one message", r.calls, contains("binary 7000"));
        assertThat("its bytes in order", r.binary, is(whole));
        assertThat("first sized for its first frame, then doubled, then what the last frame needs", r.acquired,
                   contains(1000, 2000, 7000));
        assertThat("the outgrown buffers were given back", r.lent, is(empty()));
    }

    @Test
    void theNextFragmentedMessageGetsABufferTheSizeOfTheLastOne() throws Exception {
        Recorder r = new Recorder(100_000);
        new Wire().frame(true, Opcodes.BINARY, bytes(6000, 3))
                .frame(false, Opcodes.BINARY, bytes(1000, 4))
                .frame(true, Opcodes.CONTINUATION, bytes(4000, 5))
                .into(r);
        assertThat("two messages", r.calls, contains("binary 6000", "binary 5000"));
        assertThat("the second's buffer sized by the first message: no move", r.acquired, contains(6000, 6000));
    }

    @Test
    void aBinaryMessageOverTheLimitIsDroppedAndReportedBySize() throws Exception {
        Recorder r = new Recorder(5000);
        new Wire().frame(false, Opcodes.BINARY, bytes(4000, 6))
                .frame(true, Opcodes.CONTINUATION, bytes(4000, 7))
                .frame(true, Opcodes.BINARY, bytes(10, 8))
                .into(r);
        assertThat("reported by size, then the next message delivered", r.calls, contains("too large 8000", "binary 10"));
        assertThat("the dropped message's buffer given back", r.lent, is(empty()));
        assertThat("the next message intact", r.binary, is(bytes(10, 8)));
    }

    @Test
    void aBinaryMessageNoBufferCanBeHadForIsDroppedAndReportedBySize() throws Exception {
        Recorder r = new Recorder(100_000);
        r.bufferCap = 1500;
        new Wire().frame(false, Opcodes.BINARY, bytes(1000, 9))
                .frame(true, Opcodes.CONTINUATION, bytes(2000, 10))
                .into(r);
        assertThat("refused by size", r.calls, contains("refused 3000"));
        assertThat("the first buffer given back", r.lent, is(empty()));
    }

    @Test
    void anEmptyBinaryMessageGetsAnEmptyBufferOrIsRefused() throws Exception {
        Recorder r = new Recorder(100);
        new Wire().frame(true, Opcodes.BINARY, new byte[0]).into(r);
        Recorder none = new Recorder(100);
        none.refuse = true;
        new Wire().frame(true, Opcodes.BINARY, new byte[0]).into(none);
        assertThat("an empty message in an empty buffer", r.calls, contains("binary 0"));
        assertThat("no buffer to be had", none.calls, contains("refused 0"));
    }

    @Test
    void aFragmentedTextMessageIsJoinedEvenWithACharacterSplitAcrossFrames() throws Exception {
        Recorder r = new Recorder(100);
        byte[] text = utf8("{\"ok\":\"é\"}");
        int split = 8; // between the two bytes of 'é' (0xC3 0xA9), which begins at byte 7
        new Wire().frame(false, Opcodes.TEXT, Arrays.copyOfRange(text, 0, split))
                .frame(false, Opcodes.CONTINUATION, new byte[0])
                .frame(true, Opcodes.CONTINUATION, Arrays.copyOfRange(text, split, text.length))
                .into(r);
        assertThat("one text message", r.calls, contains("text {\"ok\":\"é\"} " + text.length));
    }

    @Test
    void aTextMessageOverItsCapIsReportedWithoutItsText() throws Exception {
        Recorder r = new Recorder(100);
        int over = MessageAggregator.MAX_TEXT_BYTES + 1;
        byte[] big = new byte[over];
        Arrays.fill(big, (byte) 'a');
        new Wire().frame(true, Opcodes.TEXT, big).frame(true, Opcodes.TEXT, utf8("{}")).into(r);
        assertThat("null with its size, then the next text", r.calls, contains("text null " + over, "text {} 2"));
    }

    private static ProtocolViolation violation(Wire wire, Recorder r) {
        return assertThrows(ProtocolViolation.class, () -> wire.into(r), "a refused sequence of frames");
    }

    @Test
    void aTextMessageThatIsNotUtf8Is1007() {
        ProtocolViolation v = violation(new Wire().frame(true, Opcodes.TEXT, new byte[] {(byte) 0xFF, (byte) 0xFE}),
                                        new Recorder(100));
        assertThat(v.getMessage(), v.closeCode(), is(CloseCodes.INVALID_PAYLOAD));
    }

    @Test
    void aContinuationWithoutAMessageIs1002() {
        ProtocolViolation v = violation(new Wire().frame(true, Opcodes.CONTINUATION, bytes(5, 11)), new Recorder(100));
        assertThat(v.getMessage(), v.closeCode(), is(CloseCodes.PROTOCOL_ERROR));
        assertThat("reason", v.getMessage(), is("continuation frame without a message to continue"));
    }

    @Test
    void aNewMessageInsideAFragmentedOneIs1002AndItsBufferGoesBackWhenAbandoned() throws Exception {
        Recorder r = new Recorder(100_000);
        Wire wire = new Wire().frame(false, Opcodes.BINARY, bytes(500, 12)).frame(true, Opcodes.TEXT, utf8("{}"));
        FrameDecoder decoder = wire.decoder();
        MessageAggregator aggregator = new MessageAggregator(decoder, r);
        aggregator.add(decoder.readHeader());
        FrameDecoder.Header second = decoder.readHeader();
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> aggregator.add(second), "a text frame");
        assertThat(v.getMessage(), v.closeCode(), is(CloseCodes.PROTOCOL_ERROR));
        assertThat("reason", v.getMessage(), is("a new message began inside a fragmented one"));
        assertThat("the first message's buffer still held", r.lent.size(), is(1));
        aggregator.abandon();
        assertThat("given back when the connection ends", r.lent, is(empty()));
        assertThat("nothing delivered", r.calls, is(empty()));
    }
}
