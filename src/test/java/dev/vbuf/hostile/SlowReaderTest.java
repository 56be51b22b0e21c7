package dev.vbuf.hostile;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.config.Setting;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.NoFfmpegLeftBehind;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * Clients that do not read their replies, beside an honest session that must lose nothing: every write to a client is
 * timed, and one that does not finish within {@code session.send-stall-seconds} (2 s here) drops the connection,
 * stops the session's segments (their FFmpeg processes are killed) and gives back its slots, its unanswered count and
 * its segment memory. A client that never reads is dropped; so is one reading 1 KiB a second, slower than one reply
 * per stall time.
 */
class SlowReaderTest {
    private static final Duration STALL = Duration.ofSeconds(2);
    /** 30 s of audio: each reply is ~960 KB of pcm, so a few of them fill any socket buffers. */
    private static final byte[] LONG_AUDIO = TestMedia.segment(TestMedia.Kind.TS_AUDIO_ONLY, 30.0);
    private static final int SEGMENTS = 8;

    @Test
    void aClientThatNeverReadsIsDroppedWhenItsRepliesStall() throws Exception {
        measure("never reads", 0);
    }

    @Test
    void aClientReadingOneKibASecondIsDroppedWhenAReplyStalls() throws Exception {
        measure("reads 1 KiB/s", 1024);
    }

    /**
     * One client sends {@link #SEGMENTS} segments and reads {@code bytesPerSecond} of the replies (0: nothing);
     * returns once the server has dropped it, asserting the bounds.
     */
    private static void measure(String what, int bytesPerSecond) throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_SEND_STALL_SECONDS,
                                                         String.valueOf(STALL.toSeconds())))) {
            HonestSession honest = HonestSession.start(server.port());
            Thread.sleep(500);
            AtomicInteger sent = new AtomicInteger();
            AtomicLong read = new AtomicLong();
            long started = System.nanoTime();
            try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=pcm")) {
                ws.socket().setReceiveBufferSize(4096);
                Thread sender = Thread.ofVirtual().start(() -> {
                    try {
                        for (int i = 0; i < SEGMENTS; i++) {
                            ws.send(true, 0x2, LONG_AUDIO);
                            sent.incrementAndGet();
                        }
                    } catch (IOException e) {
                        // dropped while sending
                    }
                });
                Thread reader = Thread.ofVirtual().start(() -> slowRead(ws, bytesPerSecond, read));
                long until = started + Duration.ofSeconds(60).toNanos();
                while (server.sessionCount() < 2 && System.nanoTime() < until) {
                    Thread.sleep(5); // both sessions registered (just after their 101)
                }
                while (server.sessionCount() > 1 && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                long droppedMs = Duration.ofNanos(System.nanoTime() - started).toMillis();
                assertThat("dropped (ms)", droppedMs, lessThan(60_000L));
                sender.join(5_000);
                reader.interrupt();
                HonestSession.Report report = honest.stop(); // then nothing else is in flight
                awaitZero(server);
                System.out.println("slow reader (" + what + "), send stall " + STALL.toSeconds() + " s: " + sent.get()
                                   + " segments sent, " + read.get() + " bytes of replies read, dropped after "
                                   + droppedMs + " ms; then unanswered " + server.unanswered()
                                   + ", segment memory in use " + server.buffers().inUseBytes() + " B, FFmpeg "
                                   + NoFfmpegLeftBehind.ffmpegChildren().size() + "; " + report);
                assertThat("dropped within a reply's processing, the stall time and the sweep (ms)", droppedMs,
                           lessThan(STALL.toMillis() + 8_000));
                assertThat("its segments stop counting as unanswered", server.unanswered(), is(0));
                assertThat("its segment memory is back", server.buffers().inUseBytes(), is(0L));
                assertThat("no FFmpeg process of its segments is left", NoFfmpegLeftBehind.ffmpegChildren(), empty());
                report.assertUnharmed();
            }
        }
    }

    /** Reads {@code bytesPerSecond} a second (in 256-byte steps), or nothing when it is 0, until the connection ends. */
    private static void slowRead(RawWebSocket ws, int bytesPerSecond, AtomicLong read) {
        if (bytesPerSecond == 0) {
            return;
        }
        byte[] step = new byte[256];
        try {
            var in = ws.socket().getInputStream();
            while (true) {
                int n = in.read(step);
                if (n < 0) {
                    return;
                }
                read.addAndGet(n);
                Thread.sleep(1000L * n / bytesPerSecond);
            }
        } catch (IOException | InterruptedException e) {
            // dropped, or the test is over
        }
    }

    private static void awaitZero(VbufServer server) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((server.unanswered() > 0 || server.buffers().inUseBytes() > 0
                || !NoFfmpegLeftBehind.ffmpegChildren().isEmpty()) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
    }
}
