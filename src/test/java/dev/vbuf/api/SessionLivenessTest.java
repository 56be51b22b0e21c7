package dev.vbuf.api;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Idleness, and the end of a session whose client went away: its segments stop and it leaves the registry. */
class SessionLivenessTest {

    @Test
    void aSessionIsNotIdleWhileASegmentIsInProgress() throws Exception {
        try (SessionRegistry registry = new SessionRegistry(Duration.ofMinutes(1), Duration.ofHours(1))) {
            ReplyQueue replies = new ReplyQueue(2, new Unanswered());
            SessionLiveness liveness = new SessionLiveness("t", replies, ConcurrentHashMap.newKeySet(), registry);
            long arrival = System.nanoTime();
            liveness.messageArrived(arrival);
            assertThat("idle since the last message", liveness.idleNanos(arrival + 5_000), is(5_000L));
            replies.accept();
            assertThat("not idle with a segment unanswered", liveness.idleNanos(arrival + 5_000), is(0L));
        }
    }

    @Test
    void goneStopsTheWorkersReleasesTheQueueAndLeavesTheRegistry() throws Exception {
        try (SessionRegistry registry = new SessionRegistry(Duration.ofMinutes(1), Duration.ofHours(1))) {
            Unanswered unanswered = new Unanswered();
            ReplyQueue replies = new ReplyQueue(1, unanswered);
            Set<Thread> workers = ConcurrentHashMap.newKeySet();
            SessionLiveness liveness = new SessionLiveness("t", replies, workers, registry);
            assertThat("sessions open", registry.add(liveness), is(1));
            replies.accept();
            CountDownLatch interrupted = new CountDownLatch(1);
            Thread worker = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(Duration.ofMinutes(1));
                } catch (InterruptedException e) {
                    interrupted.countDown();
                }
            });
            workers.add(worker);

            liveness.gone();
            assertThat("the worker was interrupted", interrupted.await(10, TimeUnit.SECONDS), is(true));
            assertThat("sessions open after gone()", registry.size(), is(0));
            assertThat("unanswered segments after gone()", unanswered.count(), is(0));
            assertThat("a segment accepted after gone() gets no sequence number", replies.accept(), is(-1L));
            assertThat("the close handshake's wait ends at once", liveness.awaitEnd(Duration.ZERO), is(true));
            liveness.gone(); // a second call is harmless
            assertThat("sessions open after a second gone()", registry.size(), is(0));
        }
    }

    @Test
    void aConnectionThatEndsWithoutACloseFrameEndsItsSession() throws Exception {
        try (VbufServer server = TestServer.start()) {
            RawWebSocket ws = RawWebSocket.open(server.port(), "format=pcm");
            awaitSessions(server, 1);
            ws.close(); // TCP ends, no close frame
            awaitSessions(server, 0);
        }
    }

    private static void awaitSessions(VbufServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (server.sessionCount() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat("open sessions", server.sessionCount(), is(expected));
    }
}
