package dev.vbuf.websocket;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
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
    /** A connection that lets every message through. */
    private static final MessageAggregator.Watch ALWAYS = new MessageAggregator.Watch() {
        @Override
        public void began() {
        }

        @Override
        public boolean mayDeliver() {
            return true;
        }
    };

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
            MessageAggregator aggregator = new MessageAggregator(decoder, handler, ALWAYS);
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
        Recorder r = new Recorder(1_000_000);
        byte[] whole = bytes(150_000, 2);
        new Wire().frame(false, Opcodes.BINARY, Arrays.copyOfRange(whole, 0, 1000))
                .frame(false, Opcodes.CONTINUATION, Arrays.copyOfRange(whole, 1000, 100_000))
                .frame(true, Opcodes.CONTINUATION, Arrays.copyOfRange(whole, 100_000, 150_000))
                .into(r);
        assertThat("one message", r.calls, contains("binary 150000"));
        assertThat("its bytes in order", r.binary, is(whole));
        assertThat("a first buffer of 64 KiB, then twice as large when full; in the final frame no larger than the"
                   + " message", r.acquired, contains(65536, 131072, 150_000));
        assertThat("the outgrown buffers were given back", r.lent, is(empty()));
    }

    @Test
    void memoryIsTakenAsTheBytesArriveNotAsTheHeaderAnnouncesThem() throws Exception {
        Recorder r = new Recorder(1 << 24);
        int announced = 1 << 22;
        byte[] frame = RawWebSocket.clientFrame(0x80 | Opcodes.BINARY, bytes(announced, 13), MASK);
        byte[] arrived = Arrays.copyOf(frame, 14 + 100_000); // the header and 100,000 bytes, then the sender stops
        int[] at = {0};
        FrameDecoder decoder = new FrameDecoder((b, off, len) -> {
            int n = Math.min(len, arrived.length - at[0]);
            System.arraycopy(arrived, at[0], b, off, n);
            at[0] += n;
            return n == 0 ? -1 : n;
        }, Long.MAX_VALUE, 1024);
        MessageAggregator aggregator = new MessageAggregator(decoder, r, ALWAYS);
        assertThrows(EOFException.class, () -> aggregator.add(decoder.readHeader()));
        assertThat("a 4 MiB frame of which 100,000 bytes arrived took buffers of 64 KiB, then 128 KiB",
                   r.acquired, contains(MessageAggregator.FIRST_BUFFER_BYTES, 2 * MessageAggregator.FIRST_BUFFER_BYTES));
        aggregator.abandon();
        assertThat("all given back", r.lent, is(empty()));
    }

    @Test
    void aBinaryMessageOfOneByteFramesFillsOneBufferNotOnePerFrame() throws Exception {
        Recorder r = new Recorder(100_000);
        byte[] whole = bytes(70_000, 14);
        Wire wire = new Wire();
        for (int i = 0; i < whole.length; i++) {
            wire.frame(i == whole.length - 1, i == 0 ? Opcodes.BINARY : Opcodes.CONTINUATION,
                       Arrays.copyOfRange(whole, i, i + 1));
        }
        wire.into(r);
        assertThat(r.calls, contains("binary 70000"));
        assertThat(r.binary, is(whole));
        assertThat("64 KiB, then the message limit: two buffers for 70,000 frames", r.acquired,
                   contains(65536, 100_000));
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
    void aTextMessageOfOneByteFramesAtItsCapIsDeliveredWhole() throws Exception {
        Recorder r = new Recorder(100);
        StringBuilder text = new StringBuilder();
        while (text.length() < MessageHandler.MAX_TEXT_BYTES / 2) {
            text.append('é'); // two bytes each: every other frame ends inside a character
        }
        byte[] utf8 = utf8(text.toString());
        Wire wire = new Wire();
        for (int i = 0; i < utf8.length; i++) {
            wire.frame(i == utf8.length - 1, i == 0 ? Opcodes.TEXT : Opcodes.CONTINUATION,
                       Arrays.copyOfRange(utf8, i, i + 1));
        }
        wire.into(r);
        assertThat("65,536 frames, one message", r.calls, contains("text " + text + " " + utf8.length));
    }

    @Test
    void invalidUtf8IsRefusedAtTheFrameThatMakesItInvalidNotAtTheEnd() throws Exception {
        Recorder r = new Recorder(100);
        byte[] tooHigh = {(byte) 0xF4, (byte) 0x90}; // the start of U+110000, past Unicode's end
        Wire wire = new Wire().frame(false, Opcodes.TEXT, utf8("κόσμε"))
                .frame(false, Opcodes.CONTINUATION, tooHigh)
                .frame(true, Opcodes.CONTINUATION, new byte[] {(byte) 0x80, (byte) 0x80});
        FrameDecoder decoder = wire.decoder();
        MessageAggregator aggregator = new MessageAggregator(decoder, r, ALWAYS);
        aggregator.add(decoder.readHeader());
        FrameDecoder.Header second = decoder.readHeader();
        ProtocolViolation v = assertThrows(ProtocolViolation.class, () -> aggregator.add(second));
        assertThat(v.getMessage(), v.closeCode(), is(CloseCodes.INVALID_PAYLOAD));
        assertThat("nothing delivered", r.calls, is(empty()));
    }

    @Test
    void aTextMessageEndingInsideACharacterIs1007() {
        ProtocolViolation v = violation(new Wire().frame(false, Opcodes.TEXT, utf8("ok"))
                                                .frame(true, Opcodes.CONTINUATION, new byte[] {(byte) 0xC3}),
                                        new Recorder(100));
        assertThat(v.getMessage(), v.closeCode(), is(CloseCodes.INVALID_PAYLOAD));
    }

    @Test
    void aMessageTheConnectionRefusesToDeliverIsDroppedAndItsBufferGivenBack() throws Exception {
        Recorder r = new Recorder(100_000);
        Wire wire = new Wire().frame(true, Opcodes.BINARY, bytes(2000, 15)).frame(true, Opcodes.TEXT, utf8("{}"));
        FrameDecoder decoder = wire.decoder();
        List<String> told = new ArrayList<>();
        MessageAggregator aggregator = new MessageAggregator(decoder, r, new MessageAggregator.Watch() {
            @Override
            public void began() {
                told.add("began");
            }

            @Override
            public boolean mayDeliver() {
                told.add("may deliver?");
                return false;
            }
        });
        aggregator.add(decoder.readHeader());
        aggregator.add(decoder.readHeader());
        assertThat(told, contains("began", "may deliver?", "began", "may deliver?"));
        assertThat("no handler call", r.calls, is(empty()));
        assertThat("the buffer given back", r.lent, is(empty()));
    }

    @Test
    void aTextMessageOverItsCapIsReportedWithoutItsText() throws Exception {
        Recorder r = new Recorder(100);
        int over = MessageHandler.MAX_TEXT_BYTES + 1;
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
        MessageAggregator aggregator = new MessageAggregator(decoder, r, ALWAYS);
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
