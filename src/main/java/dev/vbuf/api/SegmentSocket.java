package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.vbuf.access.Authenticator;
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
import io.helidon.http.WritableHeaders;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsUpgradeException;

/**
 * One WebSocket session of protocol v1 (one instance per connection): the glue between vbuf's WebSocket connection
 * ({@link MessageHandler}: whole messages, already checked against RFC 6455) and the pieces that do the work. Each
 * segment takes a slot in the session's {@link ReplyQueue} (which keeps replies in order and limits pipelining) and is
 * processed on its own virtual thread; one sender thread writes what the queue hands it. This class owns the session's
 * lifecycle: open, the close handshake, a client that vanished or stopped reading, and idleness. Helidon's
 * {@link WsListener} is only used for the upgrade (the access checks and the format).
 */
final class SegmentSocket implements WsListener, MessageHandler {
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** After a close frame, how long the client has to answer it before the connection is dropped. */
    private static final Duration CLOSE_HANDSHAKE = Duration.ofSeconds(3);
    /** A reply that cannot be written for this long means the client stopped reading: the session is dropped. */
    static final Duration SEND_STALL = Duration.ofSeconds(30);

    private final ApiContext ctx;
    private final SegmentRateLimiter rate;
    private final ReplyQueue replies;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
    /** Segment workers, interrupted (which kills their FFmpeg) when the client goes away. */
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    /** Released when the session ends for whatever reason; the close handshake waits on it. */
    private final CountDownLatch ended = new CountDownLatch(1);

    private volatile OutputFormat format = OutputFormat.DEFAULT;
    /** The client asked for protocol v1.1 (sub-protocol {@link Protocol#SUBPROTOCOL_V11}). */
    private volatile boolean v11;
    /** v1.1: the segment message for the next binary message (connection thread only). */
    private Protocol.SegmentMessage pending;
    /** v1.1: the carries of the last few segments, by the PTS their successor starts at (connection thread only). */
    private final SessionCarries carries = new SessionCarries();
    private volatile WsChannel channel;
    private volatile Thread sender;
    /** The connection's own (virtual) thread; it ends when the connection does, even if no close frame came. */
    private volatile Thread connectionThread;
    private volatile long lastMessageNanos = System.nanoTime();
    /** When the send in progress started, or 0. */
    private volatile long sendStartedNanos;

    SegmentSocket(ApiContext ctx) {
        this.ctx = ctx;
        this.rate = ctx.access().newRateLimiter(System.nanoTime());
        this.replies = new ReplyQueue(ctx.perSession(), ctx.unanswered());
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        // A refused upgrade falls through to the plain HTTP route, which runs the same checks and answers 401 (token),
        // 403 (origin), 503 (session cap) or 400 (format) with a JSON body.
        Optional<Access.Refusal> refusal = Access.upgradeRefusal(ctx, headers, prologue.query());
        if (refusal.isPresent()) {
            throw new WsUpgradeException(refusal.get().message());
        }
        // An unknown format refuses the upgrade; the plain HTTP route then answers 400 with the reason.
        RequestedFormat requested = RequestedFormat.of(prologue.query());
        format = requested.format().orElseThrow(() -> new WsUpgradeException(requested.unknownMessage()));
        // A browser that offers sub-protocols (e.g. to carry its token) needs one chosen, or it drops the connection.
        List<String> offered = Authenticator.protocols(headers.values(Access.SEC_WEBSOCKET_PROTOCOL));
        if (offered.contains(Protocol.SUBPROTOCOL_V11)) {
            v11 = true;
            WritableHeaders<?> response = WritableHeaders.create();
            response.set(Access.SEC_WEBSOCKET_PROTOCOL, Protocol.SUBPROTOCOL_V11);
            return Optional.of(response);
        }
        if (offered.contains(Protocol.SUBPROTOCOL)) {
            WritableHeaders<?> response = WritableHeaders.create();
            response.set(Access.SEC_WEBSOCKET_PROTOCOL, Protocol.SUBPROTOCOL);
            return Optional.of(response);
        }
        return Optional.empty();
    }

    @Override
    public void onOpen(WsChannel channel) {
        this.channel = channel;
        this.connectionThread = Thread.currentThread();
        this.sender = Thread.ofVirtual().name("ws-send-" + id).start(this::sendLoop);
        int open = ctx.sessions().add(this);
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
        lastMessageNanos = arrival;
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
        lastMessageNanos = arrival;
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
        lastMessageNanos = System.nanoTime();
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
        try {
            pending = Protocol.SegmentMessage.parse(text);
        } catch (IllegalArgumentException e) {
            closeWhenAnswered(CloseCodes.UNSUPPORTED_DATA, e.getMessage());
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
        gone();
    }

    /** Logged once at DEBUG; segments accepted before it are still answered, then the close goes out. */
    @Override
    public void onProtocolViolation(ProtocolViolation violation) {
        Logs.log(LOG, Level.DEBUG, id, -1, "WebSocket protocol violation, closing with " + violation.closeCode()
                                           + ": " + violation.getMessage());
        closeWhenAnswered(violation.closeCode(), violation.getMessage());
    }

    /** The sender: writes replies, pongs and finally the close frame, in the order the queue gives them. */
    private void sendLoop() {
        try {
            ReplyQueue.Outgoing next;
            while ((next = replies.take()) != null) {
                switch (next) {
                    case ReplyQueue.Close c -> {
                        sendClose(c);
                        return;
                    }
                    case ReplyQueue.Pong p -> channel.pong(p.payload());
                    case ReplyQueue.Reply r -> {
                        sendStartedNanos = System.nanoTime();
                        String text = r.outcome().wsText(r.seq());
                        if (r.outcome().ok()) {
                            byte[] audio = r.outcome().audio().bytes();
                            channel.sendTextThenBinary(text, audio);
                            ctx.metrics().messageOut(audio.length);
                        } else {
                            channel.sendText(text);
                        }
                        sendStartedNanos = 0;
                        r.outcome().answered(ctx.metrics(), format, r.arrivalNanos());
                        if (!replies.written()) {
                            return;
                        }
                    }
                }
            }
        } catch (InterruptedException e) {
            // gone(): stop sending
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.DEBUG, id, -1, "send failed, client gone: " + e);
            gone();
        }
    }

    private void sendClose(ReplyQueue.Close c) throws InterruptedException {
        Logs.log(LOG, Level.DEBUG, id, -1, "closing session: " + c.code() + " " + c.reason());
        try {
            channel.close(c.code(), c.reason());
        } catch (RuntimeException e) {
            gone();
            return;
        }
        // If the client never answers the close frame, drop the connection.
        if (!ended.await(CLOSE_HANDSHAKE.toNanos(), TimeUnit.NANOSECONDS)) {
            channel.abort();
        }
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    void closeWhenAnswered(int code, String reason) {
        replies.closeWhenAnswered(code, reason);
    }

    /**
     * The client went away (or stopped reading): nobody to answer, so stop every segment of this session (which kills
     * its FFmpeg), stop the sender (interrupting a socket write closes the socket), and let the reading thread go.
     */
    private void gone() {
        if (!replies.markGone()) {
            return;
        }
        ended.countDown();
        for (Thread w : workers) {
            w.interrupt();
        }
        Thread s = sender;
        if (s != null && s != Thread.currentThread()) {
            s.interrupt();
        }
        ctx.sessions().remove(this);
    }

    /** Called by the registry's sweep: notices vanished clients and clients that stopped reading. */
    void checkConnection(long now) {
        Thread t = connectionThread;
        if (t != null && !t.isAlive()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "connection ended without a close frame");
            gone();
            return;
        }
        long started = sendStartedNanos;
        if (started != 0 && now - started > SEND_STALL.toNanos()) {
            Logs.log(LOG, Level.INFO, id, -1, "client stopped reading: a reply could not be written for "
                                              + SEND_STALL.toSeconds() + " s; dropping the session");
            gone();
            channel.abort();
        }
    }

    /** How long the session has been idle: 0 while a segment is in progress. */
    long idleNanos(long now) {
        return replies.pending() > 0 ? 0 : now - lastMessageNanos;
    }
}
