package dev.vbuf.hostile;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * Messages in 1-byte fragments, the most frames a message can cost: a binary segment and a 64 KiB text message (the
 * text cap). Each is read into one buffer that grows by doubling, not into one array per frame, so the segment memory
 * it holds stays that of its size; the segment is answered, and an honest session beside it loses nothing.
 */
class FragmentFloodTest {
    private static final int BINARY = 0x2;
    private static final int TEXT = 0x1;
    private static final int CONTINUATION = 0x0;
    private static final byte[] MASK = {0x0B, 0x1C, 0x2D, 0x3E};
    /** Attacks in a row, so the honest session beside them sends several segments meanwhile. */
    private static final int ROUNDS = 16;

    private static VbufServer server;
    private static byte[] segment;

    @BeforeAll
    static void start() {
        server = TestServer.start();
        segment = TestMedia.segment(TestMedia.Kind.TS_AAC, 1.0);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** A message as 1-byte frames, the bytes of them all. */
    static byte[] oneByteFrames(int opcode, byte[] message) {
        ByteArrayOutputStream all = new ByteArrayOutputStream(message.length * 7);
        for (int i = 0; i < message.length; i++) {
            byte[] f = RawWebSocket.clientFrame((i == message.length - 1 ? 0x80 : 0) | (i == 0 ? opcode : CONTINUATION),
                                                Arrays.copyOfRange(message, i, i + 1), MASK);
            all.write(f, 0, f.length);
        }
        return all.toByteArray();
    }

    /** The buffer a message of this size is read into at most: its power-of-two size class, from 64 KiB. */
    static long sizeClass(long bytes) {
        long c = 64 * 1024;
        while (c < bytes) {
            c *= 2;
        }
        return c;
    }

    /** Sends the bytes in 64 KiB writes, as a client streaming them would. */
    private static void stream(RawWebSocket ws, byte[] wire) throws Exception {
        for (int at = 0; at < wire.length; at += 65536) {
            ws.sendRawBytes(Arrays.copyOfRange(wire, at, Math.min(wire.length, at + 65536)));
        }
    }

    private static RawWebSocket v11() throws Exception {
        RawWebSocket ws = RawWebSocket.request(server.port(), "GET", Protocol.PATH + "?format=aac",
                                               "Upgrade: websocket", "Connection: Upgrade",
                                               "Sec-WebSocket-Key: " + RawWebSocket.newKey(),
                                               "Sec-WebSocket-Version: 13",
                                               "Sec-WebSocket-Protocol: " + Protocol.SUBPROTOCOL_V11);
        assertThat(ws.head(), ws.status(), is(101));
        return ws;
    }

    @Test
    void aSegmentInOneByteFramesIsAnsweredFromOneBuffer() throws Exception {
        byte[] wire = oneByteFrames(BINARY, segment);
        HonestSession honest = HonestSession.start(server.port());
        long ms = 0;
        long held;
        try (MeasuredBound.Peak peak = new MeasuredBound.Peak(() -> server.buffers().inUseBytes())) {
            for (int round = 0; round < ROUNDS; round++) {
                try (RawWebSocket ws = v11()) {
                    long t0 = System.nanoTime();
                    stream(ws, wire);
                    RawWebSocket.Frame result = ws.read();
                    ms = Math.max(ms, (System.nanoTime() - t0) / 1_000_000);
                    assertThat(result.text(), containsString("\"type\":\"result\""));
                    RawWebSocket.Frame audio = ws.read();
                    assertThat("its audio", audio.opcode(), is(BINARY));
                    assertThat(audio.payload().length, greaterThan(0));
                }
            }
            held = peak.max();
        }
        HonestSession.Report r = honest.stop();
        long bound = sizeClass(segment.length) + sizeClass(TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0).length);
        MeasuredBound.report("a " + segment.length + "-byte segment in " + segment.length + " 1-byte frames ("
                             + wire.length + " bytes on the wire)", "answered at most " + ms
                             + " ms after its first byte (" + ROUNDS + " rounds);"
                             + " segment memory held at most " + MeasuredBound.mib(held) + " (bound: its own size"
                             + " class and the honest session's, " + MeasuredBound.mib(bound) + "); " + r);
        assertThat("one buffer for the fragmented segment, not one per frame", held, lessThanOrEqualTo(bound));
        MeasuredBound.assertUndisturbed(r);
    }

    @Test
    void aTextMessageOf64KiBInOneByteFramesIsOneMessageAndTheSegmentItDescribesIsAnswered() throws Exception {
        // a v1.1 segment message at the text cap: JSON with whitespace up to 64 KiB
        String start = "{\"type\":\"segment\",\"id\":\"padded\"";
        String text = start + " ".repeat(64 * 1024 - start.length() - 1) + "}";
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        assertThat(utf8.length, is(64 * 1024));
        byte[] wire = oneByteFrames(TEXT, utf8);
        HonestSession honest = HonestSession.start(server.port());
        long ms = 0;
        for (int round = 0; round < ROUNDS; round++) {
            try (RawWebSocket ws = v11()) {
                long t0 = System.nanoTime();
                stream(ws, wire);
                ws.send(true, BINARY, segment);
                RawWebSocket.Frame result = ws.read();
                ms = Math.max(ms, (System.nanoTime() - t0) / 1_000_000);
                assertThat("the segment message was read whole: its id comes back", result.text(),
                           containsString("\"id\":\"padded\""));
                assertThat(result.text(), containsString("\"type\":\"result\""));
                assertThat(ws.read().opcode(), is(BINARY));
            }
        }
        HonestSession.Report r = honest.stop();
        MeasuredBound.report("a 64 KiB text message in 65,536 1-byte frames (" + wire.length + " bytes)",
                             "read as one message into one buffer (1 KiB doubled to 64 KiB), checked as UTF-8 as it"
                             + " arrived; it and its segment answered in at most " + ms + " ms (" + ROUNDS
                             + " rounds); " + r);
        MeasuredBound.assertUndisturbed(r);
    }
}
