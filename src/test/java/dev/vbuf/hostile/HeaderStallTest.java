package dev.vbuf.hostile;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.PrometheusText;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.notNullValue;

/**
 * Sessions that send only the 14-byte header of a 16 MiB frame, then nothing: memory is taken as bytes arrive, so each
 * holds its first buffer (64 KiB), not the 16 MiB it announced; at the message deadline each is closed with 1008 and
 * its memory returned. An honest session beside them loses nothing.
 */
class HeaderStallTest {
    private static final int STALLS = 60;
    private static final long ANNOUNCED = 16L << 20;
    private static final long BOUND = 64L << 20;
    private static final int DEADLINE_SECONDS = 3;

    /** A binary frame's header announcing {@code length} bytes (64-bit length, a mask), and no payload. */
    static byte[] header(long length) {
        byte[] h = new byte[14];
        h[0] = (byte) 0x82;
        h[1] = (byte) (0x80 | 127);
        for (int i = 0; i < 8; i++) {
            h[2 + i] = (byte) (length >>> (56 - 8 * i));
        }
        h[10] = 0x12;
        h[11] = 0x34;
        h[12] = 0x56;
        h[13] = 0x78;
        return h;
    }

    @Test
    void headerOnlyStallsHoldTheirFirstBufferAndAreClosed1008AtTheDeadline() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MESSAGE_DEADLINE_SECONDS,
                                                         String.valueOf(DEADLINE_SECONDS)));
             MeasuredBound.Peak held = new MeasuredBound.Peak(() -> server.buffers().inUseBytes())) {
            HonestSession honest = HonestSession.start(server.port());
            List<RawWebSocket> stalls = new ArrayList<>();
            List<Long> sentAt = new ArrayList<>();
            long metric;
            long worstCloseMs = 0;
            try {
                for (int i = 0; i < STALLS; i++) {
                    RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac");
                    ws.sendRawBytes(header(ANNOUNCED));
                    stalls.add(ws);
                    sentAt.add(System.nanoTime());
                }
                long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (server.buffers().inUseBytes() < STALLS * 65536L && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                metric = (long) PrometheusText.value(metrics(server.port()), MetricNames.SEGMENT_MEMORY_BYTES);
                for (int i = 0; i < STALLS; i++) {
                    RawWebSocket.Frame close = stalls.get(i).readUntilClose();
                    long ms = (System.nanoTime() - sentAt.get(i)) / 1_000_000;
                    worstCloseMs = Math.max(worstCloseMs, ms);
                    assertThat("stall " + i + ": a close frame", close, notNullValue());
                    assertThat("stall " + i + ": " + close.closeReason(), close.closeCode(), is(1008));
                    assertThat(close.closeReason(), containsString("within " + DEADLINE_SECONDS + " s"));
                    assertThat("stall " + i + " closed no earlier than the deadline", ms,
                               org.hamcrest.Matchers.greaterThanOrEqualTo(DEADLINE_SECONDS * 1000L - 50));
                }
            } finally {
                for (RawWebSocket ws : stalls) {
                    ws.close();
                }
            }
            HonestSession.Report r = honest.stop();
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (server.buffers().inUseBytes() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            long after = server.buffers().inUseBytes();
            MeasuredBound.report(STALLS + " header-only stalls of a 16 MiB frame", "segment memory held at most "
                    + MeasuredBound.mib(held.max()) + " (vbuf_segment_memory_bytes " + MeasuredBound.mib(metric)
                    + "; announced " + MeasuredBound.mib(STALLS * ANNOUNCED) + ", bound " + MeasuredBound.mib(BOUND)
                    + "), each closed 1008 within " + worstCloseMs + " ms of its header (deadline "
                    + DEADLINE_SECONDS + " s), " + MeasuredBound.mib(after) + " held afterwards; " + r);
            assertThat("the segment memory the stalls held", held.max(), lessThan(BOUND));
            assertThat("the gauge says the same", metric, lessThan(BOUND));
            assertThat("closed soon after the deadline", worstCloseMs,
                       lessThanOrEqualTo(DEADLINE_SECONDS * 1000L + 2000));
            assertThat("every buffer came back", after, is(0L));
            MeasuredBound.assertUndisturbed(r);
        }
    }

    private static String metrics(int port) throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
