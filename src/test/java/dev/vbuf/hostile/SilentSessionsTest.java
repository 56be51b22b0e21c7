package dev.vbuf.hostile;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import dev.vbuf.config.Setting;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * 100 connections that upgrade and then send nothing fill an instance's session slots ({@code limits.max-sessions},
 * here 101 with an honest session in the last slot): a new upgrade is refused 503 at first, and succeeds once a slot
 * is freed — by the silence drop (no frame for two ping intervals) for connections that do not even answer pings, by
 * the idle slot yielding at the cap for connections that answer pings but send nothing. The intervals are seconds
 * here; {@code SessionDefaultsTest} shows the defaults free a slot within 75 s. The honest session loses nothing.
 */
class SilentSessionsTest {
    private static final int SILENT = 100;
    private static final byte[] SEGMENT = TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0);

    @Test
    void silentConnectionsThatAnswerNoPingAreDroppedAndFreeTheirSlots() throws Exception {
        Map<Setting, String> settings = Map.of(Setting.MAX_SESSIONS, String.valueOf(SILENT + 1),
                                               Setting.SESSION_PING_INTERVAL_SECONDS, "1",
                                               Setting.SESSION_YIELD_IDLE_SECONDS, "0");
        long ms = timeUntilAnHonestUpgrade(settings, false);
        assertThat("an honest upgrade within two ping intervals, the sweep and a retry (ms)", ms, lessThan(5_000L));
    }

    @Test
    void silentConnectionsThatAnswerPingsYieldTheirSlotsAtTheCap() throws Exception {
        Map<Setting, String> settings = Map.of(Setting.MAX_SESSIONS, String.valueOf(SILENT + 1),
                                               Setting.SESSION_PING_INTERVAL_SECONDS, "1",
                                               Setting.SESSION_YIELD_IDLE_SECONDS, "2");
        long ms = timeUntilAnHonestUpgrade(settings, true);
        assertThat("an honest upgrade once a silent session was idle for the yield time, and a retry (ms)", ms,
                   lessThan(4_000L));
    }

    /**
     * Fills the slots with silent connections (answering pings, or not), then retries an upgrade every 200 ms until
     * one succeeds and its segment is answered; returns the time from the last silent connection to that upgrade.
     */
    private static long timeUntilAnHonestUpgrade(Map<Setting, String> settings, boolean answerPings)
            throws Exception {
        List<RawWebSocket> silent = new ArrayList<>();
        ExecutorService pongs = Executors.newVirtualThreadPerTaskExecutor();
        try (VbufServer server = TestServer.start(settings)) {
            HonestSession honest = HonestSession.start(server.port());
            Thread.sleep(300); // its session holds a slot
            for (int i = 0; i < SILENT; i++) {
                RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac");
                silent.add(ws);
                if (answerPings) {
                    pongs.submit(() -> answerPings(ws));
                }
            }
            long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.sessionCount() < SILENT + 1 && System.nanoTime() < until) {
                Thread.sleep(10); // each session registers as its connection opens, just after the 101
            }
            long filled = System.nanoTime();
            IOException refused = null;
            try (RawWebSocket early = RawWebSocket.open(server.port(), "format=aac")) {
                early.close();
            } catch (IOException e) {
                refused = e;
            }
            assertThat("at the cap an upgrade is refused at first", String.valueOf(refused), containsString("503"));
            RawWebSocket upgraded = null;
            while (upgraded == null && System.nanoTime() - filled < Duration.ofSeconds(60).toNanos()) {
                try {
                    upgraded = RawWebSocket.open(server.port(), "format=aac");
                } catch (IOException e) {
                    Thread.sleep(200);
                }
            }
            long ms = Duration.ofNanos(System.nanoTime() - filled).toMillis();
            assertThat("an upgrade succeeded within 60 s", upgraded != null, is(true));
            try (RawWebSocket ws = upgraded) {
                ws.send(true, 0x2, SEGMENT);
                RawWebSocket.Frame reply = ws.read();
                assertThat("the new session is served", reply.text(), containsString("\"type\":\"result\""));
            }
            HonestSession.Report report = honest.stop();
            System.out.println(SILENT + " silent connections " + (answerPings ? "answering pings" : "answering nothing")
                               + " at max-sessions " + (SILENT + 1) + ", ping interval 1 s, yield idle "
                               + settings.get(Setting.SESSION_YIELD_IDLE_SECONDS) + " s: an honest upgrade succeeded"
                               + " after " + ms + " ms; " + report);
            report.assertUnharmed();
            return ms;
        } finally {
            for (RawWebSocket ws : silent) {
                ws.close();
            }
            pongs.shutdownNow();
        }
    }

    /** A connection that sends nothing of its own but answers every ping (as a WebSocket library does). */
    private static void answerPings(RawWebSocket ws) {
        try {
            RawWebSocket.Frame f;
            while ((f = ws.read()) != null && f.opcode() != 0x8) {
                if (f.opcode() == 0x9) {
                    ws.send(true, 0xA, f.payload());
                }
            }
        } catch (IOException e) {
            // closed
        }
    }
}
