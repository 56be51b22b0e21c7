package dev.vbuf.api;

import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Collectors;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.segment.SegmentProcessor;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.SegmentFuzzer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;

/**
 * A client can send any number of crafted segments: the server's log must not grow with them. Each kind of fault is
 * logged once per session (later ones at DEBUG), and a client's fault at WARNING carries no stack trace.
 */
class SessionLogTest {

    /** Captures the records of vbuf's loggers at WARNING and above. */
    private static final class Captured extends Handler {
        final List<LogRecord> records = new CopyOnWriteArrayList<>();

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
                records.add(r);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFaultLogLogsEachKindOncePerSessionAndAClientsFaultWithoutATrace() {
        Captured captured = new Captured();
        Logger jul = Logger.getLogger(SessionLogTest.class.getName());
        jul.addHandler(captured);
        try {
            System.Logger logger = System.getLogger(SessionLogTest.class.getName());
            SegmentProcessor.FaultLog log = new SegmentProcessor.FaultLog("s1");
            for (int i = 0; i < 50; i++) {
                log.clientFault(logger, "crafted input", new IllegalArgumentException("bad box " + i));
                log.serverFault(logger, i, "a bug", new IllegalStateException("state " + i));
            }
            new SegmentProcessor.FaultLog("s2").clientFault(logger, "crafted input", new IllegalArgumentException());
            List<String> lines = captured.records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
            assertThat(lines.toString(), captured.records.size(), is(3));
            LogRecord client = captured.records.get(0);
            assertThat(client.getLevel(), is(Level.WARNING));
            assertThat("a client's fault has no trace", client.getThrown(), nullValue());
            LogRecord server = captured.records.get(1);
            assertThat(server.getLevel(), is(Level.SEVERE));
            assertThat("a server's fault keeps its trace", server.getThrown() != null, is(true));
            assertThat("another session logs its own first one", captured.records.get(2).getMessage().contains("s2"),
                       is(true));
        } finally {
            jul.removeHandler(captured);
        }
    }

    /**
     * 200 mutated segments over one v1.1 session, every other one with a crafted carry: at most one WARNING or ERROR
     * per kind, none with a client's trace.
     */
    @Test
    void craftedSegmentsInOneSessionLeaveAtMostOneLinePerKind() throws Exception {
        List<Kind> kinds = List.of(Kind.TS_AAC, Kind.FMP4_AAC, Kind.TS_MP2, Kind.TS_AC3_SURROUND);
        List<SegmentFuzzer.Input> inputs = new SegmentFuzzer(20261207L, kinds.stream().map(Kind::name).toList(),
                                                             kinds.stream().map(k -> TestMedia.segment(k, 1.0))
                                                                     .toList()).generate(200);
        Captured captured = new Captured();
        Logger vbuf = Logger.getLogger("dev.vbuf");
        vbuf.addHandler(captured);
        Map<Setting, String> settings = Map.of(Setting.SESSION_RATE, "100000", Setting.SESSION_BURST, "100000",
                                               Setting.TARGET_LATENCY_MS, "60000", Setting.QUEUE_CAPACITY, "1000");
        try (VbufServer server = TestServer.start(settings);
             SegmentClient c = SegmentClient.connect(URI.create("ws://127.0.0.1:" + server.port() + Protocol.PATH
                                                                + "?format=pcm"), Map.of(),
                                                     List.of(Protocol.SUBPROTOCOL_V11))) {
            for (SegmentFuzzer.Input in : inputs) {
                if (in.index() % 2 == 0) {
                    String carry = Base64.getEncoder().encodeToString(
                            Arrays.copyOf(in.bytes(), Math.min(in.bytes().length, 600)));
                    c.sendText("{\"type\":\"segment\",\"id\":\"f" + in.index() + "\",\"carry\":\"" + carry + "\"}");
                }
                c.send(in.bytes());
                c.reply(Duration.ofSeconds(60));
            }
        } finally {
            vbuf.removeHandler(captured);
        }
        Map<String, Long> byKind = captured.records.stream()
                .filter(r -> r.getLoggerName().startsWith("dev.vbuf.segment") || r.getLoggerName().startsWith("dev.vbuf.api"))
                .collect(Collectors.groupingBy(r -> r.getMessage().replaceAll(": .*", ""), Collectors.counting()));
        System.out.println("200 crafted v1.1 segments in one session: WARNING/ERROR lines by kind " + byKind);
        byKind.forEach((kind, n) -> assertThat(kind, n, lessThanOrEqualTo(1L)));
        assertThat("no WARNING with a stack trace", captured.records.stream()
                .filter(r -> r.getLevel() == Level.WARNING && r.getThrown() != null)
                .map(LogRecord::getMessage).toList(), empty());
    }
}
