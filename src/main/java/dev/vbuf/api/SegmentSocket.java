package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import dev.vbuf.access.SegmentRateLimiter;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.core.SegmentException;
import dev.vbuf.log.Logs;
import dev.vbuf.gapless.SessionCarries;
import dev.vbuf.segment.PlannedSegment;

import dev.vbuf.websocket.MessageHandler;
import dev.vbuf.websocket.ProtocolViolation;
import dev.vbuf.websocket.WsChannel;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsUpgradeException;

/**
 * One WebSocket session of protocol v1 (one instance per connection), its intake: what vbuf's WebSocket connection
 * ({@link MessageHandler}: whole messages, already checked against RFC 6455) hands in. Each segment takes a slot in
 * the session's {@link ReplyQueue} (which keeps replies in order and limits pipelining), passes the session's rate
 * limit and is processed on its own virtual thread. The rest of the session has rooms of its own: the upgrade
 * ({@link SessionUpgrade}; Helidon's {@link WsListener} is only used for it), the sender ({@link ReplySender}) and
 * whether the client is still there ({@link SessionLiveness}).
 */
final class SegmentSocket implements WsListener, MessageHandler {
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());

    private final ApiContext ctx;
    private final SegmentRateLimiter rate;
    private final ReplyQueue replies;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    /** Segment workers, interrupted (which kills their FFmpeg) when the client goes away. */
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    private final SessionLiveness liveness;

    private volatile OutputFormat format = OutputFormat.DEFAULT;
    /** The client asked for protocol v1.1 (sub-protocol {@link Protocol#SUBPROTOCOL_V11}). */
    private volatile boolean v11;
    /** v1.1: the segment message for the next binary message (connection thread only). */
    private Protocol.SegmentMessage pending;
    /** v1.1: the carries of the last few segments, by the PTS their successor starts at (connection thread only). */
    private final SessionCarries carries = new SessionCarries();

    SegmentSocket(ApiContext ctx) {
        this.ctx = ctx;
        this.rate = ctx.access().newRateLimiter(System.nanoTime());
        this.replies = new ReplyQueue(ctx.perSession(), ctx.unanswered());
        this.liveness = new SessionLiveness(id, replies, workers, ctx.sessions());
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        SessionUpgrade upgrade = SessionUpgrade.negotiate(ctx, prologue, headers);
        format = upgrade.format();
        v11 = upgrade.v11();
        return upgrade.responseHeaders();
    }

    @Override
    public void onOpen(WsChannel channel) {
        ReplySender sender = new ReplySender(id, replies, channel, ctx.metrics(), format, liveness);
        liveness.opened(channel, sender, v11);
        sender.start();
        int open = ctx.sessions().add(liveness);
        Logs.log(LOG, Level.DEBUG, id, -1, "session opened, format=" + format);
        if (open > ctx.access().maxSessions()) {
            // upgrades that raced past the check in onHttpUpgrade: the cap is strict
            closeWhenAnswered(CloseCodes.TRY_AGAIN_LATER, "session limit reached; retry");
        }
    }

    @Override
    public long maxMessageBytes() {
        return ctx.processor().maxSegmentBytes();
    }

    /** Segment memory comes from the server's budgeted pool; null (none now) gets the segment {@code overloaded}. */
    @Override
    public byte[] acquireBuffer(int minBytes) {
        return ctx.buffers().acquire(minBytes);
    }

    @Override
    public void releaseBuffer(byte[] buffer) {
        ctx.buffers().release(buffer);
    }

    @Override
    public void onBinary(byte[] buffer, int length) {
        long arrival = System.nanoTime();
        liveness.messageArrived(arrival);
        ctx.metrics().messageIn(length);
        Protocol.SegmentMessage meta = pending;
        pending = null;
        long seq = accept();
        if (seq < 0) {
            ctx.buffers().release(buffer);
            return;
        }
        String clientId = meta == null ? null : meta.id();
        Logs.log(LOG, Level.DEBUG, id, seq, "segment received: " + length + " bytes");
        if (replies.closing()) {
            // read after the session's close was decided (end, goaway, drain) and before its close frame: an
            // answer instead of silence, so the client knows to send it again elsewhere
            ctx.buffers().release(buffer);
            answer(seq, SegmentOutcome.failed(new SegmentException(ErrorCode.SHUTTING_DOWN,
                    "shutting_down: this session is closing; send the segment again on a new connection",
                    SessionLiveness.RECONNECT_AFTER_MS)).withId(clientId), arrival);
            return;
        }
        long waitMs = rate.tryAcquire(arrival);
        if (waitMs > 0) {
            ctx.buffers().release(buffer);
            answer(seq, SegmentOutcome.failed(new SegmentException(ErrorCode.RATE_LIMITED, String.format(Locale.ROOT,
                    "rate_limited: this session may send %.2f segments/s (bursts of %d)",
                    ctx.access().sessionSegmentsPerSecond(), ctx.access().sessionSegmentBurst()), waitMs))
                    .withId(clientId), arrival);
            return;
        }
        // planned on this thread, so the next segment finds this one's carry even while this one is still being
        // processed (pipelining); not for a refused segment: it is sent again
        PlannedSegment planned = v11 ? ctx.processor().plan(buffer, length, format, meta, carries, id) : null;
        Thread worker = Thread.ofVirtual().name("segment-" + id + "-" + seq).unstarted(() -> {
            try {
                SegmentOutcome outcome;
                try {
                    outcome = v11
                            ? SegmentOutcome.process(ctx.processor(), planned, arrival, id, seq)
                            : SegmentOutcome.process(ctx.processor(), buffer, length, format, arrival, id, seq);
                } finally {
                    // FFmpeg has read it (or never will): back before the answer goes out, so a client that sends
                    // its next segment on reading this answer finds the memory free again
                    ctx.buffers().release(buffer);
                }
                answer(seq, outcome.withId(clientId), arrival);
            } catch (InterruptedException e) {
                // the session is gone; its FFmpeg process has been killed and there is nobody to answer
            } finally {
                workers.remove(Thread.currentThread());
            }
        });
        workers.add(worker);
        worker.start();
        if (replies.gone()) {
            worker.interrupt(); // gone() may have run before the worker was registered
        }
    }

    @Override
    public void onTooLarge(long size) {
        answerDropped(size, " (over the limit)", ctx.processor().tooLarge(size));
    }

    /**
     * A segment that found the memory budget spent while it arrived: read and dropped, answered {@code overloaded}
     * like a full queue, so the client retries shortly.
     */
    @Override
    public void onRefused(long size) {
        answerDropped(size, " (no memory for it)", new SegmentException(
                ErrorCode.OVERLOADED, "overloaded: the server's memory for segments in flight is full ("
                                      + (ctx.buffers().budgetBytes() >> 20) + " MiB); retry shortly",
                Protocol.MEMORY_RETRY_AFTER_MS));
    }

    /** A segment whose bytes were dropped as they arrived: it takes its place in order and is answered {@code why}. */
    private void answerDropped(long size, String note, SegmentException why) {
        long arrival = System.nanoTime();
        liveness.messageArrived(arrival);
        ctx.metrics().messageIn(size);
        String clientId = pending == null ? null : pending.id();
        pending = null;
        long seq = accept();
        if (seq >= 0) {
            Logs.log(LOG, Level.DEBUG, id, seq, "segment received: " + size + " bytes" + note);
            answer(seq, SegmentOutcome.failed(why).withId(clientId), arrival);
        }
    }

    /** Takes a pipelining slot for the next segment (the reading thread waits here); -1 when nobody is left. */
    private long accept() {
        try {
            return replies.accept();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1; // the connection is closing; the segment was never accepted
        }
    }

    private void answer(long seq, SegmentOutcome outcome, long arrival) {
        if (!outcome.ok() && outcome.error().code() != ErrorCode.OVERLOADED) {
            Logs.log(LOG, Level.DEBUG, id, seq, outcome.error().code() + ": " + outcome.error().getMessage());
        }
        replies.complete(new ReplyQueue.Reply(seq, outcome, arrival));
    }

    @Override
    public void onText(String text, long size) {
        liveness.messageArrived(System.nanoTime());
        if (!v11) {
            closeWhenAnswered(CloseCodes.UNSUPPORTED_DATA,
                              "text messages are not part of protocol v1: send each segment as one binary message");
            return;
        }
        if (pending != null) {
            closeWhenAnswered(CloseCodes.UNSUPPORTED_DATA,
                              "two segment messages in a row: each describes the binary segment right after it");
            return;
        }
        Protocol.SegmentMessage m;
        try {
            m = Protocol.SegmentMessage.parse(text);
        } catch (IllegalArgumentException e) {
            closeWhenAnswered(CloseCodes.UNSUPPORTED_DATA, e.getMessage());
            return;
        }
        if (m.isEnd()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "client sent end: closing once every segment is answered");
            closeWhenAnswered(CloseCodes.NORMAL, "end: every segment answered");
        } else {
            pending = m;
        }
    }

    /** Answered by the sender, in line with the replies, so a pong never interleaves with a reply's frames. */
    @Override
    public void onPing(byte[] payload) {
        replies.pong(payload);
    }

    @Override
    public void onClose(int status, String reason) {
        Logs.log(LOG, Level.DEBUG, id, -1, "client closed the session: " + status + " " + reason);
        liveness.gone();
    }

    /** Logged once at DEBUG; segments accepted before it are still answered, then the close goes out. */
    @Override
    public void onProtocolViolation(ProtocolViolation violation) {
        Logs.log(LOG, Level.DEBUG, id, -1, "WebSocket protocol violation, closing with " + violation.closeCode()
                                           + ": " + violation.getMessage());
        closeWhenAnswered(violation.closeCode(), violation.getMessage());
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    private void closeWhenAnswered(int code, String reason) {
        replies.closeWhenAnswered(code, reason);
    }
}
