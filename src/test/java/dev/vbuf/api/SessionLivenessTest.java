package dev.vbuf.api;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.vbuf.core.SegmentException;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/** Idleness, and the end of a session whose client went away: its segments stop and it leaves the registry. */
class SessionLivenessTest {
    private static final SessionPolicy CONFIG = new SessionPolicy(Duration.ofMinutes(1), Duration.ZERO, Duration.ZERO,
                                                                  Duration.ofSeconds(30), Duration.ZERO);

    @Test
    void aSessionIsNotIdleWhileASegmentIsInProgress() throws Exception {
        try (SessionRegistry registry = new SessionRegistry(CONFIG)) {
            ReplyQueue replies = new ReplyQueue(2, new Unanswered());
            SessionLiveness liveness = new SessionLiveness("t", replies, ConcurrentHashMap.newKeySet(), registry, CONFIG);
            long arrival = System.nanoTime();
            liveness.messageArrived(arrival);
            assertThat("idle since the last message", liveness.idleNanos(arrival + 5_000), is(5_000L));
            replies.accept();
            assertThat("not idle with a segment unanswered", liveness.idleNanos(arrival + 5_000), is(0L));
        }
    }

    @Test
    void goneStopsTheWorkersReleasesTheQueueAndLeavesTheRegistry() throws Exception {
        try (SessionRegistry registry = new SessionRegistry(CONFIG)) {
            Unanswered unanswered = new Unanswered();
            ReplyQueue replies = new ReplyQueue(1, unanswered);
            Set<Thread> workers = ConcurrentHashMap.newKeySet();
            SessionLiveness liveness = new SessionLiveness("t", replies, workers, registry, CONFIG);
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
            assertThat("a segment accepted after gone() gets no sequence number", replies.accept().seq(), is(-1L));
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

    /**
     * A failure inside the server's own session code (here: handed in as it would be caught) ends the session with
     * 1011 and a short reason, after the segments it accepted are answered. The server's paths cannot be made to fail
     * from outside, so this is shown on the session's parts.
     */
    @Test
    void anInternalFailureClosesWith1011AfterTheAcceptedSegmentsAreAnswered() throws Exception {
        try (SessionRegistry registry = new SessionRegistry(CONFIG)) {
            ReplyQueue replies = new ReplyQueue(2, new Unanswered());
            SessionLiveness liveness = new SessionLiveness("t", replies, ConcurrentHashMap.newKeySet(), registry,
                                                           CONFIG);
            replies.accept();
            liveness.failed("a test step", new IllegalStateException("a bug"));
            replies.complete(new ReplyQueue.Reply(0, SegmentOutcome.failed(new SegmentException(
                    ErrorCode.INTERNAL, "internal error")), System.nanoTime()));
            assertThat(replies.take(), instanceOf(ReplyQueue.Reply.class));
            replies.written();
            ReplyQueue.Outgoing close = replies.take();
            assertThat(close, is(new ReplyQueue.Close(CloseCodes.INTERNAL_ERROR,
                                                      SessionEnd.internalFailure().closeReason())));
            assertThat("a short reason (a close reason fits in 123 bytes)",
                       ((ReplyQueue.Close) close).reason().length(), lessThan(60));
        }
    }

    /**
     * At the cap, an upgrade takes the slot of the longest-idle session with nothing in progress; a session idle for
     * less than {@code session.yield-idle-seconds}, or with a segment in progress, keeps its slot.
     */
    @Test
    void atTheCapTheLongestIdleSessionYieldsItsSlot() throws Exception {
        SessionPolicy yielding = new SessionPolicy(Duration.ofMinutes(10), Duration.ZERO, Duration.ZERO,
                                                   Duration.ofSeconds(30), Duration.ofSeconds(30));
        try (SessionRegistry registry = new SessionRegistry(yielding)) {
            long now = System.nanoTime();
            SessionLiveness busy = session(registry, yielding, now - Duration.ofMinutes(5).toNanos());
            busy.replies().accept(); // a segment in progress: never yields
            SessionLiveness recent = session(registry, yielding, now - Duration.ofSeconds(5).toNanos());
            SessionLiveness idle = session(registry, yielding, now - Duration.ofSeconds(60).toNanos());
            SessionLiveness idlest = session(registry, yielding, now - Duration.ofSeconds(90).toNanos());
            assertThat("a check changes nothing", registry.roomFor(4, false), is(true));
            assertThat(idlest.ending(), is(false));
            assertThat("room by the idlest session's slot", registry.roomFor(4, true), is(true));
            assertThat("the idlest session ends", idlest.ending(), is(true));
            assertThat("and no longer counts against the cap", registry.add(session(registry, yielding, now)), is(4));
            assertThat("then the next idle one", registry.roomFor(4, true), is(true));
            assertThat(idle.ending(), is(true));
            registry.add(session(registry, yielding, now));
            assertThat("no session left that may yield", registry.roomFor(4, true), is(false));
            assertThat(recent.ending() || busy.ending(), is(false));
            assertThat("1001 with a goaway idle", idlest.replies().ending(),
                       is(new SessionEnd(CloseCodes.GOING_AWAY, idlest.replies().ending().closeReason(),
                                         Protocol.Goaway.IDLE, idlest.replies().ending().reconnectAfterMs())));
        }
    }

    /** A session in the registry whose last message came at {@code lastMessage}. */
    private static SessionLiveness session(SessionRegistry registry, SessionPolicy policy, long lastMessage) {
        SessionLiveness s = new SessionLiveness("t", new ReplyQueue(2, new Unanswered()),
                                                ConcurrentHashMap.newKeySet(), registry, policy);
        s.messageArrived(lastMessage);
        registry.add(s);
        return s;
    }

    private static void awaitSessions(VbufServer server, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (server.sessionCount() != expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat("open sessions", server.sessionCount(), is(expected));
    }
}
