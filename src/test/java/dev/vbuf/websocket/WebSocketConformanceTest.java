package dev.vbuf.websocket;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.NoFfmpegLeftBehind;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;

/**
 * RFC 6455 from a hostile client's side, with raw frames over a socket: every violation gets its close code (1002, 1007,
 * 1009) with a short reason of vbuf's own, never an HTTP response or library text on the upgraded connection; segments
 * accepted before the violation are answered first; meanwhile another session goes on undisturbed, and afterwards
 * the server is ready and no FFmpeg is left.
 */
class WebSocketConformanceTest {
    private static final int CONTINUATION = 0x0;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;

    private static VbufServer server;
    /** A well-behaved session open through the whole test. */
    private static SegmentClient bystander;
    private static byte[] segment;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        bystander = SegmentClient.connect(server.port(), "format=aac");
        segment = TestMedia.segment(TestMedia.Kind.TS_AAC, 1.0);
        bystanderStillWorks();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            bystanderStillWorks();
            assertThat("ready after the whole suite", server.gate().draining(), is(false));
            assertThat(NoFfmpegLeftBehind.ffmpegChildren(), is(List.of()));
        } finally {
            bystander.close();
            server.close();
        }
    }

    private static void bystanderStillWorks() throws Exception {
        bystander.send(segment);
        assertThat(bystander.reply().type(), is("result"));
    }

    /** What a malformed sequence of frames is, and how it must be answered. */
    interface Violation {
        void send(RawWebSocket ws) throws Exception;
    }

    static Stream<Arguments> violations() {
        return Stream.of(
                Arguments.of("reserved opcode 0x3", 1002, (Violation) ws -> ws.send(true, 0x3, new byte[4])),
                Arguments.of("reserved opcode 0xB (control)", 1002, (Violation) ws -> ws.send(true, 0xB, new byte[0])),
                Arguments.of("close frame with a 1-byte payload", 1002,
                             (Violation) ws -> ws.send(true, CLOSE, new byte[]{3})),
                Arguments.of("close code 1005, which must never be sent", 1002,
                             (Violation) ws -> ws.sendClose(1005, new byte[0])),
                Arguments.of("close code 999", 1002, (Violation) ws -> ws.sendClose(999, new byte[0])),
                Arguments.of("close code 2000 (unassigned)", 1002, (Violation) ws -> ws.sendClose(2000, new byte[0])),
                Arguments.of("close reason that is not UTF-8", 1007,
                             (Violation) ws -> ws.sendClose(1000, new byte[]{(byte) 0xC3, (byte) 0x28})),
                Arguments.of("ping with a 200-byte payload", 1002, (Violation) ws -> ws.send(true, PING, new byte[200])),
                Arguments.of("ping with FIN clear", 1002, (Violation) ws -> ws.send(false, PING, new byte[]{1})),
                Arguments.of("a new binary frame inside a fragmented binary message", 1002, (Violation) ws -> {
                    ws.send(false, BINARY, Arrays.copyOf(segment, 1000));
                    ws.send(true, BINARY, Arrays.copyOfRange(segment, 1000, segment.length));
                }),
                Arguments.of("a continuation without a message to continue", 1002,
                             (Violation) ws -> ws.send(true, CONTINUATION, segment)),
                Arguments.of("an unmasked client frame", 1002,
                             (Violation) ws -> ws.sendRaw(0x80 | BINARY, segment, false)),
                Arguments.of("RSV1 set without a negotiated extension", 1002,
                             (Violation) ws -> ws.sendRaw(0x80 | 0x40 | BINARY, segment, true)),
                Arguments.of("a text message that is not UTF-8", 1007,
                             (Violation) ws -> ws.send(true, TEXT, new byte[]{(byte) 0xFF, (byte) 0xFE})));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("violations")
    void violationIsClosedWithItsCodeAfterTheAcceptedSegmentIsAnswered(String what, int code, Violation violation)
            throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            ws.send(true, BINARY, segment); // accepted before the violation: answered before the close
            violation.send(ws);
            RawWebSocket.Frame result = ws.read();
            assertThat(what + ": the accepted segment's answer comes first", result, notNullValue());
            assertThat(what + ": a WebSocket text frame, not an HTTP response", result.opcode(), is(TEXT));
            assertThat(result.text(), containsString("\"type\":\"result\""));
            assertThat(what + ": its audio", ws.read().opcode(), is(BINARY));
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat(what + ": a close frame", close, notNullValue());
            assertThat(what + ": " + close.closeReason(), close.closeCode(), is(code));
            assertOwnWords(what, close.closeReason());
            assertThat(what + ": the server ends the connection", ws.endedByServer(), is(true));
        }
    }

    private static void assertOwnWords(String what, String reason) {
        assertThat(what + ": a reason is given", reason.isBlank(), is(false));
        assertThat(what + ": fits a close frame", reason.getBytes(StandardCharsets.UTF_8).length,
                   lessThanOrEqualTo(123));
        for (String leak : List.of("Exception", "exception", "buffer", "java.", "io.helidon", "HTTP/1.1")) {
            assertThat(what + ": no library text in '" + reason + "'", reason, not(containsString(leak)));
        }
    }

    @Test
    void aFrameOverTheFrameLimitIsClosedWith1009BeforeItsPayloadIsRead() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            long announced = server.config().segments().maxFrameBytes() + 1L;
            byte[] header = new byte[14];
            header[0] = (byte) (0x80 | BINARY);
            header[1] = (byte) (0x80 | 127);
            for (int i = 0; i < 8; i++) {
                header[2 + i] = (byte) (announced >>> (56 - 8 * i));
            }
            ws.sendRawBytes(header);
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat(close.closeCode(), is(1009));
            assertOwnWords("oversize frame", close.closeReason());
        }
    }

    @Test
    void aPingBetweenTheFramesOfASegmentGetsItsPongAndTheSegmentItsAnswer() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            ws.send(false, BINARY, Arrays.copyOf(segment, 5000));
            ws.send(true, PING, "are you there".getBytes(StandardCharsets.UTF_8));
            ws.send(true, CONTINUATION, Arrays.copyOfRange(segment, 5000, segment.length));
            RawWebSocket.Frame pong = ws.read();
            assertThat(pong.opcode(), is(0xA));
            assertThat(pong.text(), is("are you there"));
            RawWebSocket.Frame result = ws.read();
            assertThat(result.text(), containsString("\"type\":\"result\""));
            assertThat(ws.read().opcode(), is(BINARY));
        }
    }

    @Test
    void aTextMessageGets1003AfterThePendingReplies() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            ws.send(true, BINARY, segment);
            ws.send(true, TEXT, "hello".getBytes(StandardCharsets.UTF_8));
            assertThat(ws.read().text(), containsString("\"type\":\"result\""));
            assertThat(ws.read().opcode(), is(BINARY));
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat(close.closeCode(), is(1003));
        }
    }

    @Test
    void aNormalCloseIsEchoed() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            ws.sendClose(1000, "done".getBytes(StandardCharsets.UTF_8));
            RawWebSocket.Frame close = ws.readUntilClose();
            assertThat("the client's code echoed", close.closeCode(), is(1000));
            assertThat("the server ends the connection after its close frame", ws.endedByServer(), is(true));
        }
    }
}
