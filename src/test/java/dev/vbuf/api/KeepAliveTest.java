package dev.vbuf.api;

import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.both;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The server's keep-alive ({@code session.ping-interval-seconds}, here 1 s): it pings every interval; any frame from
 * the client counts as a sign of life, and a client that sends none for two intervals is dropped. Pongs are not
 * messages: a client that only answers pings is still closed for idleness.
 */
class KeepAliveTest {
    private static final int PING = 0x9;
    private static final int PONG = 0xA;

    @Test
    void aClientThatSendsNoFrameIsPingedThenDroppedAfterTwoIntervals() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_PING_INTERVAL_SECONDS, "1"));
             RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            long opened = System.nanoTime();
            List<Long> pingsMs = new ArrayList<>();
            try {
                RawWebSocket.Frame f;
                while ((f = ws.read()) != null) {
                    assertThat("only pings come to a silent client", f.opcode(), is(PING));
                    pingsMs.add(Duration.ofNanos(System.nanoTime() - opened).toMillis());
                }
            } catch (SocketException e) {
                // reset: dropped all the same
            }
            long droppedMs = Duration.ofNanos(System.nanoTime() - opened).toMillis();
            System.out.println("ping interval 1 s, a client that sends nothing: pinged at " + pingsMs
                               + " ms, dropped after " + droppedMs + " ms");
            assertThat("pinged at least once", pingsMs.size(), greaterThanOrEqualTo(1));
            assertThat("the first ping after about one interval (ms)", pingsMs.get(0),
                       both(greaterThanOrEqualTo(900L)).and(lessThan(2_500L)));
            assertThat("dropped after two intervals without a frame, plus the sweep (ms)", droppedMs,
                       both(greaterThanOrEqualTo(2_000L)).and(lessThan(4_500L)));
            awaitSessions(server, 0);
        }
    }

    /** Pongs keep a client alive past two intervals, but do not make it active: the idle timeout (6 s) still ends it. */
    @Test
    void aClientThatOnlyAnswersPingsStaysPastTwoIntervalsButIsClosedWhenIdle() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_PING_INTERVAL_SECONDS, "1",
                                                         Setting.SESSION_TIMEOUT_MINUTES, "0.1"));
             RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            long opened = System.nanoTime();
            int pongs = 0;
            RawWebSocket.Frame close = null;
            while (close == null) {
                RawWebSocket.Frame f = ws.read();
                assertThat("the connection stays until the idle close", f, notNullValue());
                if (f.opcode() == PING) {
                    ws.send(true, PONG, f.payload());
                    pongs++;
                } else {
                    assertThat(f.opcode(), is(0x8));
                    close = f;
                }
            }
            long closedMs = Duration.ofNanos(System.nanoTime() - opened).toMillis();
            System.out.println("ping interval 1 s, idle timeout 6 s, a client that only answers pings: " + pongs
                               + " pongs, closed " + close.closeCode() + " after " + closedMs + " ms");
            assertThat("alive well past two intervals: pongs count as frames", pongs, greaterThanOrEqualTo(4));
            assertThat(close.closeReason(), close.closeCode(), is(CloseCodes.GOING_AWAY));
            assertThat("closed for idleness, pongs aside (ms)", closedMs,
                       both(greaterThanOrEqualTo(5_500L)).and(lessThan(9_000L)));
            ws.sendClose(CloseCodes.GOING_AWAY, new byte[0]);
        } catch (IOException e) {
            throw new AssertionError("the connection broke instead of closing for idleness", e);
        }
    }

    private static void awaitSessions(VbufServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.sessionCount() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat("open sessions", server.sessionCount(), is(expected));
    }
}
