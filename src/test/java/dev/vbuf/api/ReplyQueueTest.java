package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.core.SegmentException;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.nullValue;

/** One session's replies: in order whatever order they finish in, a bounded number in flight, then the close. */
class ReplyQueueTest {

    private static ReplyQueue.Reply reply(long seq) {
        return new ReplyQueue.Reply(seq, SegmentOutcome.failed(new SegmentException(ErrorCode.INVALID_MEDIA, "x" + seq)),
                                    System.nanoTime());
    }

    /** What the sender does: take, and count a reply as answered once "written". */
    private static List<Long> drainReplies(ReplyQueue q, int n) throws InterruptedException {
        List<Long> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ReplyQueue.Outgoing o = q.take();
            assertThat(o, instanceOf(ReplyQueue.Reply.class));
            order.add(((ReplyQueue.Reply) o).seq());
            assertThat("every reply was written", q.written(), is(true));
        }
        return order;
    }

    @Test
    void repliesGoOutInSegmentOrderWhateverOrderTheyFinishIn() throws Exception {
        Unanswered unanswered = new Unanswered();
        ReplyQueue q = new ReplyQueue(4, unanswered);
        for (int i = 0; i < 4; i++) {
            assertThat(q.accept().seq(), is((long) i));
        }
        assertThat(unanswered.count(), is(4));
        q.complete(reply(2));
        q.complete(reply(3));
        q.complete(reply(1));
        q.complete(reply(0));
        assertThat(drainReplies(q, 4), is(List.of(0L, 1L, 2L, 3L)));
        assertThat(q.pending(), is(0));
        assertThat(unanswered.count(), is(0));
        assertThat("nothing left unanswered", unanswered.awaitZero(Duration.ZERO), is(true));
    }

    @Test
    void acceptWaitsWhileEverySlotIsTakenAndGoesOnWhenOneIsAnswered() throws Exception {
        ReplyQueue q = new ReplyQueue(2, new Unanswered());
        q.accept();
        q.accept();
        AtomicLong third = new AtomicLong(-2);
        CountDownLatch accepted = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                third.set(q.accept().seq());
                accepted.countDown();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertThat("waits for a slot", accepted.await(200, TimeUnit.MILLISECONDS), is(false));
        q.complete(reply(0));
        drainReplies(q, 1);
        assertThat("the segment was accepted within 5 s", accepted.await(5, TimeUnit.SECONDS), is(true));
        assertThat(third.get(), is(2L));
        reader.join();
    }

    @Test
    void theCloseFrameComesAfterEveryAcceptedReplyAndNothingAfterIt() throws Exception {
        ReplyQueue q = new ReplyQueue(2, new Unanswered());
        q.accept();
        q.closeWhenAnswered(CloseCodes.UNSUPPORTED_DATA, "text");
        q.closeWhenAnswered(CloseCodes.GOING_AWAY, "later reasons lose");
        q.pong(new byte[]{1});
        assertThat(q.take(), instanceOf(ReplyQueue.Pong.class));
        q.complete(reply(0));
        drainReplies(q, 1);
        ReplyQueue.Outgoing close = q.take();
        assertThat(close, is(new ReplyQueue.Close(CloseCodes.UNSUPPORTED_DATA, "text")));
    }

    @Test
    void aSessionGoneDropsItsRepliesReleasesWaitersAndStopsCounting() throws Exception {
        Unanswered unanswered = new Unanswered();
        ReplyQueue q = new ReplyQueue(1, unanswered);
        q.accept();
        AtomicLong blocked = new AtomicLong(-2);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                blocked.set(q.accept().seq());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                q.take(); // nothing to take: waits until the session is gone
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(unanswered.count(), is(1));
        assertThat("the first markGone marks it", q.markGone(), is(true));
        assertThat("a second markGone does not", q.markGone(), is(false));
        reader.join(5_000);
        sender.join(5_000);
        assertThat("the waiting reader learns the session is gone", blocked.get(), is(-1L));
        assertThat(unanswered.count(), is(0));
        q.complete(reply(0));
        assertThat(q.take(), is(nullValue()));
        assertThat("nothing written to a gone client", q.written(), is(false));
    }

    /**
     * Once the end is decided: the goaway goes out before the replies still due, a segment that arrives is numbered
     * and refused (it is never processed), the close frame comes after every answer, and a segment read after the
     * close frame was handed out is not accepted.
     */
    @Test
    void afterTheEndTheGoawayComesFirstLateSegmentsAreRefusedAndTheCloseComesLast() throws Exception {
        Unanswered unanswered = new Unanswered();
        ReplyQueue q = new ReplyQueue(1, unanswered);
        assertThat(q.accept().refusedBy(), is(nullValue()));
        SessionEnd end = SessionEnd.draining();
        assertThat("the first decision wins", q.end(end, end.goawayText()), is(true));
        assertThat("a later one does not", q.end(SessionEnd.endRequested(), null), is(false));
        ReplyQueue.Outgoing first = q.take();
        assertThat(first, instanceOf(ReplyQueue.Goaway.class));
        assertThat(((ReplyQueue.Goaway) first).text(), containsString("\"reason\":\"shutting_down\""));

        ReplyQueue.Accepted late = q.accept(); // no slot is waited for: slot 1 of 1 is still taken
        assertThat("a late segment is numbered in order", late.seq(), is(1L));
        assertThat("and refused with the session's end", late.refusedBy(), is(end));
        assertThat(unanswered.count(), is(2));
        q.complete(reply(1));
        q.complete(reply(0));
        assertThat(drainReplies(q, 2), is(List.of(0L, 1L)));
        assertThat(q.take(), is(new ReplyQueue.Close(CloseCodes.GOING_AWAY, end.closeReason())));
        assertThat("nothing is accepted once the close frame is out", q.accept(), is(ReplyQueue.Accepted.NONE));
        assertThat(unanswered.count(), is(0));
    }

    @Test
    void aClientThatKeepsSendingAfterTheEndCannotHoldTheCloseBack() throws Exception {
        ReplyQueue q = new ReplyQueue(2, new Unanswered());
        q.accept(); // in progress when the end is decided
        q.end(SessionEnd.maxAge("test"), null);
        int refused = 0;
        while (q.accept().taken()) {
            refused++;
            assertThat("refusals are bounded", refused, lessThanOrEqualTo(ReplyQueue.MAX_REFUSED_WHEN_ENDING));
        }
        assertThat(refused, is(ReplyQueue.MAX_REFUSED_WHEN_ENDING));
    }

    /** RFC 6455 5.5.3: only the latest ping needs its pong, so a flood of pings holds one pong, not one each. */
    @Test
    void onlyTheLatestPongIsKept() throws Exception {
        ReplyQueue q = new ReplyQueue(1, new Unanswered());
        for (int i = 0; i < 100_000; i++) {
            q.pong(new byte[]{(byte) i, (byte) (i >> 8), (byte) (i >> 16)});
        }
        ReplyQueue.Outgoing pong = q.take();
        assertThat(pong, instanceOf(ReplyQueue.Pong.class));
        assertThat("the last ping's payload", ((ReplyQueue.Pong) pong).payload(),
                   is(new byte[]{(byte) 99_999, (byte) (99_999 >> 8), (byte) (99_999 >> 16)}));
        q.closeWhenAnswered(CloseCodes.NORMAL, "done");
        assertThat("no other pong was kept", q.take(), instanceOf(ReplyQueue.Close.class));
    }

    @Test
    void aPingWaitsForItsTurnAndOnlyOneIsPending() throws Exception {
        ReplyQueue q = new ReplyQueue(2, new Unanswered());
        q.accept();
        q.complete(reply(0));
        q.ping(new byte[]{1});
        q.ping(new byte[]{2}); // the first is still pending: dropped
        ReplyQueue.Outgoing ping = q.take();
        assertThat(ping, instanceOf(ReplyQueue.Ping.class));
        assertThat(((ReplyQueue.Ping) ping).payload(), is(new byte[]{1}));
        assertThat("after a control frame, the reply waiting goes next", drainReplies(q, 1), is(List.of(0L)));
    }
}
