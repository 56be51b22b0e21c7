package dev.vbuf.api;

import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * The global budget for segments in flight: a segment that arrives while it is spent is read, dropped and answered
 * {@code overloaded} with a retry-after; once memory is free again the same segment goes through; nothing leaks.
 */
class SegmentMemoryTest {
    @Test
    void aSegmentArrivingWhileTheBudgetIsSpentIsAnsweredOverloadedAndNothingLeaks() throws Exception {
        byte[] big = TestMedia.segment(TestMedia.Kind.TS_AAC, 6.0, true);
        // the limit and the budget: the buffer size the hog's half-sent message takes, so it spends all of it
        int limit = Integer.highestOneBit(big.length - 1000) * 2;
        assertThat("the whole segment fits the limit", big.length <= limit, is(true));
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_SEGMENT_BYTES, String.valueOf(limit),
                                                         Setting.MEMORY_BUDGET_BYTES, String.valueOf(limit)));
             RawWebSocket hog = RawWebSocket.open(server.port(), "format=aac");
             SegmentClient other = SegmentClient.connect(server.port(), "format=aac")) {
            hog.send(false, 0x2, Arrays.copyOf(big, big.length - 1000)); // all but the last frame
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.buffers().inUseBytes() < limit && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(server.buffers().inUseBytes(), is((long) limit));

            byte[] small = TestMedia.segment(TestMedia.Kind.TS_AAC, 1.0);
            other.send(small);
            SegmentClient.Reply refused = other.reply(Duration.ofSeconds(30));
            assertThat(refused.toString(), refused.code(), is(ErrorCode.OVERLOADED.wireName()));
            assertThat(refused.toString(), refused.json().path("message").asText(), containsString("memory"));
            assertThat(refused.json().path("retryAfterMs").asLong(), greaterThanOrEqualTo(1L));

            hog.send(true, 0x0, Arrays.copyOfRange(big, big.length - 1000, big.length)); // its last frame
            RawWebSocket.Frame result = hog.read();
            assertThat(result.text(), containsString("\"type\":\"result\""));
            hog.read(); // its audio

            other.send(small); // memory is free again: the same segment goes through
            SegmentClient.Reply after = other.reply(Duration.ofSeconds(30));
            assertThat(after.toString(), after.type(), is("result"));
            end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.buffers().inUseBytes() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat("every buffer came back", server.buffers().inUseBytes(), is(0L));
        }
    }

    @Test
    void aClientVanishingMidMessageGivesItsBufferBack() throws Exception {
        try (VbufServer server = TestServer.start()) {
            byte[] big = TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0);
            try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
                ws.send(false, 0x2, Arrays.copyOf(big, big.length / 2));
                long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (server.buffers().inUseBytes() == 0 && System.nanoTime() < end) {
                    Thread.sleep(10);
                }
                assertThat("the stalled segment holds budget memory", server.buffers().inUseBytes() > 0, is(true));
            } // the socket closes mid-message
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (server.buffers().inUseBytes() > 0 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(server.buffers().inUseBytes(), is(0L));
        }
    }
}
