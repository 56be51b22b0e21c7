package dev.vbuf.segment;

import dev.vbuf.core.SegmentException;
import dev.vbuf.protocol.ErrorCode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.vbuf.admission.SegmentGate;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.NoFfmpegLeftBehind;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** FFmpeg deadlines, output caps, FFmpeg dying, and clients vanishing: each answered or cleaned up. */
class FaultTest {

    private final SegmentGate gate = new SegmentGate(2, 10, Duration.ofMillis(100));

    private SegmentProcessor processor(Duration timeout, int maxOutput) {
        VbufMetrics metrics = new VbufMetrics("test", new VbufMetrics.Sources(gate::running, gate::queued, () -> 0,
                                                                              () -> true, () -> 0L));
        return new SegmentProcessor(TestMedia.FFMPEG, gate, Duration.ofSeconds(30), timeout, 16 << 20, maxOutput,
                                    metrics);
    }

    @Test
    void ffmpegPastItsDeadlineIsKilledAndAnsweredTimeout() {
        SegmentProcessor p = processor(Duration.ofMillis(5), 32 << 20);
        SegmentException e = assertThrows(SegmentException.class,
                () -> p.process(TestMedia.segment(Kind.TS_AAC, 6.0, true), OutputFormat.WEBM, System.nanoTime()));
        assertThat(e.code(), is(ErrorCode.TIMEOUT));
        assertThat(e.getMessage(), containsString("5 ms"));
        assertThat(NoFfmpegLeftBehind.ffmpegChildren(), is(List.of()));
        assertThat(gate.running(), is(0));
    }

    /** A real FFmpeg that hangs (stopped with SIGSTOP mid-segment) is killed at its deadline; the session goes on. */
    @Test
    void hangingFfmpegIsKilledAtItsDeadlineAndTheSessionGoesOn() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_CONCURRENT, "1",
                                                         Setting.FFMPEG_TIMEOUT_MS, "2000"));
             SegmentClient client = SegmentClient.connect(server.port(), "format=webm")) {
            client.send(TestMedia.segment(Kind.TS_AUDIO_ONLY, 300.0)); // seconds of Opus encoding
            List<ProcessHandle> running = awaitFfmpeg();
            assertThat(running, not(empty()));
            Process stop = new ProcessBuilder("kill", "-STOP", String.valueOf(running.get(0).pid())).start();
            assertThat(stop.waitFor(), is(0));
            SegmentClient.Reply r = client.reply(Duration.ofSeconds(30));
            assertThat(r.toString(), r.code(), is(ErrorCode.TIMEOUT.wireName()));
            awaitNoFfmpeg(Duration.ofSeconds(3));
            assertThat(server.gate().running(), is(0));
            client.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            assertThat(client.reply(Duration.ofSeconds(30)).type(), is("result"));
        }
    }

    @Test
    void outputOverTheCapIsKilledAndAnsweredTooLarge() {
        SegmentProcessor p = processor(Duration.ofSeconds(10), 10_000);
        SegmentException e = assertThrows(SegmentException.class,
                () -> p.process(TestMedia.segment(Kind.TS_AAC, 2.0), OutputFormat.PCM, System.nanoTime()));
        assertThat(e.code(), is(ErrorCode.TOO_LARGE));
        assertThat(NoFfmpegLeftBehind.ffmpegChildren(), is(List.of()));
    }

    @Test
    void ffmpegKilledFromOutsideIsAnsweredInternalAndTheSessionGoesOn() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_CONCURRENT, "1"));
             SegmentClient client = SegmentClient.connect(server.port(), "format=webm")) {
            byte[] slow = TestMedia.segment(Kind.TS_AAC, 30.0);
            client.send(slow);
            List<ProcessHandle> running = awaitFfmpeg();
            running.forEach(ProcessHandle::destroyForcibly); // SIGKILL from outside
            SegmentClient.Reply r = client.reply();
            assertThat(r.toString(), r.code(), is(ErrorCode.INTERNAL.wireName()));
            assertThat(r.json().path("message").asText(), containsString("signal 9"));
            client.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            assertThat(client.reply().type(), is("result"));
        }
    }

    @Test
    void clientVanishingMidProcessingKillsItsFfmpegAndReturnsThePermit() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_CONCURRENT, "1"))) {
            SegmentClient client = SegmentClient.connect(server.port(), "format=webm");
            client.send(TestMedia.segment(Kind.TS_AUDIO_ONLY, 300.0)); // several seconds of Opus encoding
            assertThat(awaitFfmpeg(), not(empty()));
            client.abort(); // TCP gone, no close frame
            awaitNoFfmpeg(Duration.ofSeconds(3));
            // the FFmpeg process is reaped a moment before its worker thread unwinds and closes the permit
            awaitGateIdle(server.gate(), Duration.ofSeconds(3));
            // the permit came back: the single worker serves the next client at once
            try (SegmentClient next = SegmentClient.connect(server.port(), "format=aac")) {
                next.send(TestMedia.segment(Kind.TS_AAC, 1.0));
                SegmentClient.Reply r = next.reply();
                assertThat(r.toString(), r.type(), is("result"));
                assertThat("queued under 500 ms", r.json().path("queuedMs").asLong() < 500, is(true));
            }
        }
    }

    @Test
    void clientVanishingMidMessageLeavesNothingBehind() throws Exception {
        try (VbufServer server = TestServer.start()) {
            SegmentClient client = SegmentClient.connect(server.port(), "format=aac");
            byte[] half = java.util.Arrays.copyOf(TestMedia.segment(Kind.TS_AAC, 1.0), 100_000);
            client.webSocket().sendBinary(ByteBuffer.wrap(half), false).join(); // first frame of a message
            client.abort();
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (server.sessionCount() > 0 && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat("sessions after the client vanished", server.sessionCount(), is(0));
            assertThat(server.unanswered(), is(0));
        }
    }

    /**
     * A client that vanishes while its reply is being written: it reads the start of a ~1 MB reply through a tiny
     * receive buffer, then resets the connection. The session goes away cleanly and the next client is served.
     */
    @Test
    void clientVanishingMidReplyLeavesTheServerClean() throws Exception {
        try (VbufServer server = TestServer.start()) {
            byte[] segment = TestMedia.segment(Kind.TS_AUDIO_ONLY, 30.0); // ~1 MB of PCM back
            for (int attempt = 0; attempt < 3; attempt++) {
                java.net.Socket raw = tinyWindowPcmSession(server.port());
                var out = raw.getOutputStream();
                out.write(maskedBinaryFrame(segment));
                out.flush();
                var in = raw.getInputStream();
                byte[] some = new byte[16 * 1024 * (attempt + 1)];
                int got = 0;
                while (got < some.length) { // the 101, the result text and the start of the audio
                    int n = in.read(some, got, some.length - got);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                }
                assertThat("the reply had started", got, is(some.length));
                raw.setSoLinger(true, 0); // reset, not a close handshake
                raw.close();
            }
            long end = System.nanoTime() + Duration.ofSeconds(40).toNanos();
            while ((server.sessionCount() > 0 || server.unanswered() > 0) && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat("sessions after the clients vanished", server.sessionCount(), is(0));
            assertThat(server.unanswered(), is(0));
            assertThat(server.gate().running(), is(0));
            awaitNoFfmpeg(Duration.ofSeconds(3));
            try (SegmentClient next = SegmentClient.connect(server.port(), "format=aac")) {
                next.send(TestMedia.segment(Kind.TS_AAC, 1.0));
                assertThat(next.reply().type(), is("result"));
            }
        }
    }

    /**
     * A client that keeps its connection open but never reads: its replies fill the socket and the server's write
     * blocks. Only that session may be affected: another client is served at once, and a drain still ends on time.
     */
    @Test
    void clientThatStopsReadingBlocksOnlyItself() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SHUTDOWN_GRACE_MS, "1000"))) {
            byte[] segment = TestMedia.segment(Kind.TS_AUDIO_ONLY, 30.0); // ~1 MB of PCM back per segment
            java.net.Socket raw = tinyWindowPcmSession(server.port());
            var out = raw.getOutputStream();
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        out.write(maskedBinaryFrame(segment)); // blocks once the server stops reading us
                    }
                } catch (java.io.IOException expected) {
                    // the server dropped us
                }
            });
            // wait until replies are stuck: the server has accepted segments it cannot answer
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (server.unanswered() < 2 && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            Thread.sleep(2000);
            assertThat("replies are stuck behind the non-reading client", server.unanswered() >= 1, is(true));

            try (SegmentClient other = SegmentClient.connect(server.port(), "format=aac")) {
                other.send(TestMedia.segment(Kind.TS_AAC, 1.0));
                assertThat(other.reply(Duration.ofSeconds(10)).type(), is("result"));
            }

            long start = System.nanoTime();
            Thread drain = Thread.ofVirtual().start(server::drainAndStop);
            drain.join(Duration.ofSeconds(10));
            assertThat("drain finished", drain.isAlive(), is(false));
            assertThat("within grace + a few seconds", (System.nanoTime() - start) / 1_000_000 < 8000, is(true));
            raw.close();
            writer.join(Duration.ofSeconds(10));
        }
    }

    /** One client-to-server binary frame, masked with a zero key (valid; the payload is unchanged). */
    private static byte[] maskedBinaryFrame(byte[] payload) {
        java.io.ByteArrayOutputStream f = new java.io.ByteArrayOutputStream();
        f.write(0x82);
        f.write(0x80 | 127);
        for (int i = 7; i >= 0; i--) {
            f.write((int) ((long) payload.length >>> (8 * i)) & 0xFF);
        }
        f.writeBytes(new byte[4]);
        f.writeBytes(payload);
        return f.toByteArray();
    }

    /**
     * A raw socket that has sent a WebSocket upgrade for {@code format=pcm} (large replies) and reads through a 4 KiB
     * receive buffer, so the server's writes to it back up quickly.
     */
    private static java.net.Socket tinyWindowPcmSession(int port) throws java.io.IOException {
        java.net.Socket raw = new java.net.Socket();
        raw.setReceiveBufferSize(4096);
        raw.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port));
        raw.getOutputStream().write(("GET /v1/segments?format=pcm HTTP/1.1\r\nHost: localhost\r\n"
                                     + "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                     + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
                                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return raw;
    }

    private static List<ProcessHandle> awaitFfmpeg() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end) {
            List<ProcessHandle> found = NoFfmpegLeftBehind.ffmpegChildren();
            if (!found.isEmpty()) {
                return found;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no FFmpeg process started");
    }

    private static void awaitGateIdle(SegmentGate gate, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (gate.running() > 0 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertThat("permits still held " + timeout + " after the FFmpeg process was gone", gate.running(), is(0));
    }

    private static void awaitNoFfmpeg(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (NoFfmpegLeftBehind.ffmpegChildren().isEmpty()) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("FFmpeg still running " + timeout + " after its client vanished: "
                                 + NoFfmpegLeftBehind.ffmpegChildren());
    }
}
