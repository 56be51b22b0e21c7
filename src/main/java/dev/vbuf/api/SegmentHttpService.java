package dev.vbuf.api;

import dev.vbuf.admission.ArrivingSegment;
import dev.vbuf.protocol.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.core.SegmentException;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

/**
 * The HTTP form of protocol v1: {@code POST /v1/segments?format=...} with one segment as the body, read into the same
 * segment memory budget as WebSocket segments, as it arrives ({@link ArrivingSegment}), within the same arrival deadline.
 * Also answers a plain {@code GET /v1/segments} (no upgrade, or an upgrade refused for an unknown format) with a JSON
 * error.
 */
final class SegmentHttpService implements HttpService {
    private static final System.Logger LOG = System.getLogger(SegmentHttpService.class.getName());
    static final HttpMediaType JSON = HttpMediaType.create("application/json");

    private final ApiContext ctx;
    private final SegmentProcessor processor;

    SegmentHttpService(ApiContext ctx) {
        this.ctx = ctx;
        this.processor = ctx.processor();
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::post)
             .get("/", this::get);
    }

    /** Answers a refused request: 401 (token), 403 (origin) or 503 (session cap, with Retry-After). */
    private static void refuse(ServerResponse res, Access.Refusal r) {
        res.status(r.status());
        if (r.code() == ErrorCode.UNAUTHORIZED) {
            res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"vbuf\"");
        }
        if (r.retryAfterMs() != null) {
            retryAfter(res, r.retryAfterMs());
        }
        error(res, r.code(), r.message(), r.retryAfterMs());
    }

    /** {@code Retry-After} in whole seconds, rounded up, at least 1. */
    private static void retryAfter(ServerResponse res, long ms) {
        res.header(HeaderNames.RETRY_AFTER, String.valueOf(Math.max(1, (ms + 999) / 1000)));
    }

    /**
     * A GET here is a WebSocket upgrade that was refused (or a plain GET): say why, with the same checks the upgrade
     * ran, in the same order.
     */
    private void get(ServerRequest req, ServerResponse res) {
        Optional<Access.Refusal> refusal = Access.upgradeRefusal(ctx, req.headers(), req.query());
        if (refusal.isPresent()) {
            refuse(res, refusal.get());
            return;
        }
        RequestedFormat f = RequestedFormat.of(req.query());
        if (f.format().isEmpty()) {
            badFormat(res, f);
            return;
        }
        res.status(Status.UPGRADE_REQUIRED_426);
        res.header(HeaderNames.UPGRADE, "websocket");
        error(res, ErrorCode.BAD_REQUEST, "open a WebSocket here (GET with Upgrade: websocket), or POST one segment",
              null);
    }

    private void post(ServerRequest req, ServerResponse res) {
        Optional<Access.Refusal> refusal = Access.requestRefusal(ctx.access(), req.headers(), req.query(), "HTTP segment");
        if (refusal.isPresent()) {
            refuse(res, refusal.get());
            return;
        }
        RequestedFormat f = RequestedFormat.of(req.query());
        if (f.format().isEmpty()) {
            badFormat(res, f);
            return;
        }
        OutputFormat format = f.format().get();
        if (!ctx.buffers().startHttpSegment()) {
            refuseUnread(res, "too many HTTP segments in progress (" + ctx.buffers().maxHttpSegments() + ")");
            return;
        }
        ctx.unanswered().add(1);
        ArrivingSegment body = new ArrivingSegment(ctx.buffers(), processor.maxSegmentBytes());
        try {
            BodyEnd read = read(req, body);
            long arrival = System.nanoTime();
            switch (read) {
                case TOO_LARGE -> answer(res, format, SegmentOutcome.failed(processor.tooLarge(body.size())), arrival);
                case NO_MEMORY -> memorySpent(res);
                case BROKEN -> badRequest(res, "could not read the request body: it ended early or its length or"
                                               + " chunk framing is malformed");
                case EXPIRED -> LOG.log(System.Logger.Level.DEBUG, "request body did not arrive within "
                                                                   + deadlineText() + "; connection closed");
                case READ -> {
                    SegmentOutcome outcome;
                    try {
                        outcome = SegmentOutcome.process(processor, body.buffer(), body.length(), format, arrival,
                                                         "http", -1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        res.status(Status.SERVICE_UNAVAILABLE_503);
                        error(res, ErrorCode.INTERNAL, "interrupted", null);
                        return;
                    }
                    answer(res, format, outcome, arrival);
                }
            }
        } finally {
            body.release();
            ctx.unanswered().add(-1);
            ctx.buffers().endHttpSegment();
        }
    }

    /** How reading a request body ended. */
    private enum BodyEnd { READ, TOO_LARGE, NO_MEMORY, BROKEN, EXPIRED }

    /**
     * Reads the body into segment memory as it arrives, within the arrival deadline: past it this thread (Helidon's
     * virtual thread of the connection) is interrupted, which ends its socket read by closing the connection.
     */
    private BodyEnd read(ServerRequest req, ArrivingSegment body) {
        Thread reader = Thread.currentThread();
        AtomicBoolean reading = new AtomicBoolean(true);
        ctx.buffers().arrivalDeadline().ifPresent(d -> CompletableFuture.delayedExecutor(d.toMillis(), MILLISECONDS)
                .execute(() -> {
                    if (reading.compareAndSet(true, false)) {
                        reader.interrupt();
                    }
                }));
        BodyEnd end;
        try (InputStream in = req.content().inputStream()) {
            end = switch (body.readFrom(in)) {
                case READ -> BodyEnd.READ;
                case TOO_LARGE -> BodyEnd.TOO_LARGE;
                case NO_MEMORY -> BodyEnd.NO_MEMORY;
            };
        } catch (IOException | RuntimeException e) {
            // the client went away mid-body, or framed it wrongly; the library's wording stays in the log
            LOG.log(System.Logger.Level.DEBUG, "could not read a request body: " + e);
            end = BodyEnd.BROKEN;
        }
        if (!reading.compareAndSet(true, false)) { // the deadline passed: the interrupt is this method's doing
            Thread.interrupted();
            return BodyEnd.EXPIRED;
        }
        return end;
    }

    private String deadlineText() {
        return ctx.buffers().arrivalDeadline().map(d -> d.toMillis() + " ms").orElse("its deadline");
    }

    /** The segment memory is spent: 503 with {@code Retry-After}, before the rest of the body is read. */
    private void memorySpent(ServerResponse res) {
        refuseUnread(res, "the server's memory for segments in flight is full ("
                          + (ctx.buffers().budgetBytes() >> 20) + " MiB)");
    }

    /**
     * {@code overloaded} with 503 and {@code Retry-After}, the body (or what is left of it) unread: the connection is
     * closed rather than drained, so a client cannot keep the server reading what it will not keep.
     */
    private static void refuseUnread(ServerResponse res, String why) {
        long ms = Protocol.MEMORY_RETRY_AFTER_MS;
        res.status(Status.SERVICE_UNAVAILABLE_503);
        res.header(HeaderNames.CONNECTION, "close");
        retryAfter(res, ms);
        error(res, ErrorCode.OVERLOADED, "overloaded: " + why + "; retry shortly", ms);
    }

    private void answer(ServerResponse res, OutputFormat format, SegmentOutcome outcome, long arrival) {
        if (outcome.ok()) {
            SegmentAudio audio = outcome.audio();
            res.status(Status.OK_200);
            res.headers().contentType(HttpMediaType.create(format.contentType()));
            res.header(Protocol.HEADER_AUDIO_MS, String.valueOf(audio.audioMs()));
            res.header(Protocol.HEADER_PROCESSING_MS, String.valueOf(audio.processing().toMillis()));
            res.send(audio.bytes());
        } else {
            SegmentException e = outcome.error();
            if (e.retryAfterMs() > 0) {
                retryAfter(res, e.retryAfterMs());
            }
            res.status(outcome.httpStatus(ctx.draining().getAsBoolean()));
            res.headers().contentType(JSON);
            res.send(outcome.httpErrorJson());
        }
        outcome.answered(ctx.metrics(), format, arrival);
    }

    private static void badFormat(ServerResponse res, RequestedFormat f) {
        badRequest(res, f.unknownMessage());
    }

    /** {@code bad_request}, with its status (400). */
    private static void badRequest(ServerResponse res, String message) {
        res.status(Status.create(ErrorCode.BAD_REQUEST.httpStatus()));
        error(res, ErrorCode.BAD_REQUEST, message, null);
    }

    /** The JSON error body; the status is the caller's (it is not always the code's own). */
    private static void error(ServerResponse res, ErrorCode code, String message, Long retryAfterMs) {
        res.headers().contentType(JSON);
        res.send(Protocol.json(new Protocol.HttpError(code.wireName(), message, retryAfterMs)));
    }
}
