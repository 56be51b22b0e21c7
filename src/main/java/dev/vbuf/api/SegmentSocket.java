package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.time.Duration;
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
import dev.vbuf.segment.SegmentProcessor;

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
 * limit and is processed on its own virtual thread. Once the session's end is decided ({@link SessionEnd}: a drain,
 * its maximum age, the client's {@code end}, …) a segment that still arrives is answered at once with a refusal and
 * not processed. The rest of the session has rooms of its own: the upgrade ({@link SessionUpgrade}; Helidon's
 * {@link WsListener} is only used for it), the sender ({@link ReplySender}) and whether the client is still there
 * ({@link SessionLiveness}). An unexpected failure in the session's own code ends it with 1011.
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
    private final SegmentProcessor.FaultLog faults = new SegmentProcessor.FaultLog(id);

    private volatile OutputFormat format = OutputFormat.DEFAULT;
    /** The client asked for protocol v1.1 (sub-protocol {@link Protocol#SUBPROTOCOL_V11}). */
    private volatile boolean v11;
    private volatile Optional<Instant> tokenExpiry = Optional.empty();
    /** v1.1: the segment message for the next binary message (connection thread only). */
    private Protocol.SegmentMessage pending;
    /** v1.1: the carries of the last few segments, by the PTS their successor starts at (connection thread only). */
    private final SessionCarries carries = new SessionCarries();

    SegmentSocket(ApiContext ctx) {
        this.ctx = ctx;
        this.rate = ctx.access().newRateLimiter(System.nanoTime());
        this.replies = new ReplyQueue(ctx.perSession(), ctx.unanswered());
        this.liveness = new SessionLiveness(id, replies, workers, ctx.sessions(), ctx.sessions().policy());
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        SessionUpgrade upgrade = SessionUpgrade.negotiate(ctx, prologue, headers);
        format = upgrade.format();
        v11 = upgrade.v11();
        tokenExpiry = upgrade.tokenExpiry();
        return upgrade.responseHeaders();
    }

    @Override
    public void onOpen(WsChannel channel) {
        guarded("opening the session", () -> {
            ReplySender sender = new ReplySender(id, replies, channel, ctx.metrics(), format, liveness);
            liveness.opened(channel, sender, v11, SessionDeadline.of(ctx.sessions().policy(), tokenExpiry,
                                                                     System.nanoTime(), Instant.now()));
            sender.start();
            int open = ctx.sessions().add(liveness);
            Logs.log(LOG, Level.DEBUG, id, -1, "session opened, format=" + format + (v11 ? ", v1.1" : ", v1"));
            if (open > ctx.access().maxSessions()) {
                // upgrades that raced past the check in onHttpUpgrade: the cap is strict
                liveness.end(SessionEnd.closing(CloseCodes.TRY_AGAIN_LATER, "session limit reached; retry"));
            } else if (ctx.draining().getAsBoolean()) {
                liveness.end(SessionEnd.draining()); // opened while the drain told the others
            }
        });
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

    /** Any frame is a sign of life (pings and pongs too); only messages count against idleness. */
    @Override
    public void onFrame(long nanos) {
        liveness.frameArrived(nanos);
    }

    @Override
    public byte[] growBuffer(byte[] buffer, int used, int minBytes) {
        return ctx.buffers().grow(buffer, used, minBytes);
    }

    /** A segment holds budget memory while it arrives: for at most this long. */
    @Override
    public Optional<Duration> messageDeadline() {
        return ctx.buffers().arrivalDeadline();
    }

    @Override
    public void onBinary(byte[] buffer, int length) {
        guarded("a segment's intake", () -> segment(buffer, length));
    }

    private void segment(byte[] buffer, int length) {
        long arrival = System.nanoTime();
        liveness.messageArrived(arrival);
        ctx.metrics().messageIn(length);
        Protocol.SegmentMessage meta = pending;
        pending = null;
        String clientId = meta == null ? null : meta.id();
        ReplyQueue.Accepted accepted = accept();
        if (!accepted.taken() || accepted.refusedBy() != null) {
            ctx.buffers().release(buffer);
            refuseIfEnding(accepted, clientId, arrival);
            return;
        }
        long seq = accepted.seq();
        Logs.log(LOG, Level.DEBUG, id, seq, "segment received: " + length + " bytes");
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
        PlannedSegment planned = v11 ? ctx.processor().plan(buffer, length, format, meta, carries, faults) : null;
        Thread worker = Thread.ofVirtual().name("segment-" + id + "-" + seq).unstarted(() -> {
            try {
                SegmentOutcome outcome;
                try {
                    outcome = v11
                            ? SegmentOutcome.process(ctx.processor(), planned, arrival, faults, seq)
                            : SegmentOutcome.process(ctx.processor(), buffer, length, format, arrival, faults, seq);
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

    /** A segment that came after the session's end was decided: answered at once, if it was taken at all. */
    private void refuseIfEnding(ReplyQueue.Accepted accepted, String clientId, long arrival) {
        if (accepted.taken()) {
            Logs.log(LOG, Level.DEBUG, id, accepted.seq(), "segment refused: the session is ending");
            answer(accepted.seq(), SegmentOutcome.refused(accepted.refusedBy(), v11).withId(clientId), arrival);
        } else {
            Logs.log(LOG, Level.DEBUG, id, -1, "segment dropped unanswered: the session is closing");
        }
    }

    @Override
    public void onTooLarge(long size) {
        guarded("a segment's intake", () -> answerDropped(size, " (over the limit)", ctx.processor().tooLarge(size)));
    }

    /**
     * A segment that found the memory budget spent while it arrived: read and dropped, answered {@code overloaded}
     * like a full queue, so the client retries shortly.
     */
    @Override
    public void onRefused(long size) {
        guarded("a segment's intake", () -> answerDropped(size, " (no memory for it)", new SegmentException(
                ErrorCode.OVERLOADED, "overloaded: the server's memory for segments in flight is full ("
                                      + (ctx.buffers().budgetBytes() >> 20) + " MiB); retry shortly",
                Protocol.MEMORY_RETRY_AFTER_MS)));
    }

    /** A segment whose bytes were dropped as they arrived: it takes its place in order and is answered {@code why}. */
    private void answerDropped(long size, String note, SegmentException why) {
        long arrival = System.nanoTime();
        liveness.messageArrived(arrival);
        ctx.metrics().messageIn(size);
        String clientId = pending == null ? null : pending.id();
        pending = null;
        ReplyQueue.Accepted accepted = accept();
        if (!accepted.taken() || accepted.refusedBy() != null) {
            refuseIfEnding(accepted, clientId, arrival);
            return;
        }
        Logs.log(LOG, Level.DEBUG, id, accepted.seq(), "segment received: " + size + " bytes" + note);
        answer(accepted.seq(), SegmentOutcome.failed(why).withId(clientId), arrival);
    }

    /** Takes a pipelining slot for the next segment (the reading thread waits here). */
    private ReplyQueue.Accepted accept() {
        try {
            return replies.accept();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return ReplyQueue.Accepted.NONE; // the connection is closing; the segment was never accepted
        }
    }

    /** Files a segment's answer; a v1 session says {@code shutting_down} (a drain's refusal) as {@code overloaded}. */
    private void answer(long seq, SegmentOutcome outcome, long arrival) {
        SegmentOutcome said = v11 ? outcome : outcome.forV1();
        if (!said.ok() && !said.error().code().refusal()) {
            Logs.log(LOG, Level.DEBUG, id, seq, said.error().code() + ": " + said.error().getMessage());
        }
        replies.complete(new ReplyQueue.Reply(seq, said, arrival));
    }

    @Override
    public void onText(String text, long size) {
        guarded("a text message's intake", () -> text(text));
    }

    private void text(String text) {
        liveness.messageArrived(System.nanoTime());
        if (!v11) {
            closing(CloseCodes.UNSUPPORTED_DATA,
                    "text messages are not part of protocol v1: send each segment as one binary message");
            return;
        }
        Protocol.ClientMessage message;
        try {
            message = Protocol.ClientMessage.parse(text);
        } catch (IllegalArgumentException e) {
            closing(CloseCodes.UNSUPPORTED_DATA, e.getMessage());
            return;
        }
        if (pending != null) {
            closing(CloseCodes.UNSUPPORTED_DATA, message instanceof Protocol.End
                    ? "end right after a segment message: the segment it describes must come first"
                    : "two segment messages in a row: each describes the binary segment right after it");
            return;
        }
        switch (message) {
            case Protocol.End end -> liveness.end(SessionEnd.endRequested());
            case Protocol.SegmentMessage m -> pending = m;
        }
    }

    /**
     * Answered by the sender, in line with the replies, so a pong never interleaves with a reply's frames; only the
     * latest unanswered ping is answered. A flood of pings drops the connection.
     */
    @Override
    public void onPing(byte[] payload) {
        if (liveness.controlFrameArrived(System.nanoTime())) {
            replies.pong(payload);
        }
    }

    /** A pong is a sign of life ({@link #onFrame}) and nothing more; a flood of them drops the connection. */
    @Override
    public void onPong(byte[] payload) {
        liveness.controlFrameArrived(System.nanoTime());
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
        closing(violation.closeCode(), violation.getMessage());
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    private void closing(int code, String reason) {
        liveness.end(SessionEnd.closing(code, reason));
    }

    /** Runs one of the session's own steps; an unexpected failure there ends the session with 1011. */
    private void guarded(String where, Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            liveness.failed(where, e);
        }
    }
}
