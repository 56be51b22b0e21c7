package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.time.Duration;

import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.core.AudioPlacement;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.core.SegmentException;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.segment.PlannedSegment;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.http.Status;

/**
 * What one segment came to, audio or an error, and how protocol v1 says it: the WebSocket text message, the HTTP
 * status and body, the metrics outcome. One mapping, shared by the WebSocket and the HTTP API.
 *
 * @param audio the audio, or null
 * @param error why there is none, or null
 * @param id    the client's segment id (protocol v1.1), echoed in the reply, or null
 */
record SegmentOutcome(SegmentAudio audio, SegmentException error, String id) {
    private static final System.Logger LOG = System.getLogger(SegmentOutcome.class.getName());

    static SegmentOutcome of(SegmentAudio audio) {
        return new SegmentOutcome(audio, null, null);
    }

    static SegmentOutcome failed(SegmentException error) {
        return new SegmentOutcome(null, error, null);
    }

    /**
     * Runs one segment through the processor; a failure nobody foresaw is logged (with its trace) and answered
     * {@code internal}.
     *
     * @throws InterruptedException the caller went away (its FFmpeg process has been killed)
     */
    static SegmentOutcome process(SegmentProcessor processor, byte[] segment, int length, OutputFormat format,
                                  long arrivalNanos, String session, long seq) throws InterruptedException {
        return process(processor, segment, length, format, arrivalNanos, new SegmentProcessor.FaultLog(session), seq);
    }

    /** As {@link #process(SegmentProcessor, byte[], int, OutputFormat, long, String, long)}, logged once a session. */
    static SegmentOutcome process(SegmentProcessor processor, byte[] segment, int length, OutputFormat format,
                                  long arrivalNanos, SegmentProcessor.FaultLog log, long seq)
            throws InterruptedException {
        return run(() -> processor.process(segment, length, format, arrivalNanos), log, seq);
    }

    /** As {@link #process(SegmentProcessor, byte[], int, OutputFormat, long, String, long)}, a v1.1 segment. */
    static SegmentOutcome process(SegmentProcessor processor, PlannedSegment segment, long arrivalNanos,
                                  SegmentProcessor.FaultLog log, long seq) throws InterruptedException {
        return run(() -> processor.process(segment, arrivalNanos), log, seq);
    }

    /** One segment's way through the processor. */
    @FunctionalInterface
    private interface Processing {
        SegmentAudio run() throws SegmentException, InterruptedException;
    }

    private static SegmentOutcome run(Processing processing, SegmentProcessor.FaultLog log, long seq)
            throws InterruptedException {
        try {
            return of(processing.run());
        } catch (SegmentException e) {
            return failed(e);
        } catch (RuntimeException e) {
            log.serverFault(LOG, seq, "segment failed unexpectedly (answered internal)", e);
            return failed(new SegmentException(ErrorCode.INTERNAL, "internal error"));
        }
    }

    /**
     * The answer to a segment that arrived after its session's end was decided: not processed, to be sent again on a
     * new connection. {@code shutting_down}, or for v1 (which predates that code) {@code overloaded}.
     */
    static SegmentOutcome refused(SessionEnd end, boolean v11) {
        SegmentOutcome o = failed(new SegmentException(ErrorCode.SHUTTING_DOWN, "this session is ending ("
                                                                                + end.closeReason() + "); send the"
                                                                                + " segment again on a new connection",
                                                       end.retryAfterMs()));
        return v11 ? o : o.forV1();
    }

    /**
     * The outcome as a v1 session says it: {@code shutting_down}, a code v1 clients do not know, becomes
     * {@code overloaded} with the same message and retry-after (what v1 always answered while draining).
     */
    SegmentOutcome forV1() {
        if (ok() || error.code() != ErrorCode.SHUTTING_DOWN) {
            return this;
        }
        return new SegmentOutcome(null, new SegmentException(ErrorCode.OVERLOADED, error.getMessage(),
                                                             error.retryAfterMs()), id);
    }

    /** The same outcome answering the client's segment {@code id}. */
    SegmentOutcome withId(String id) {
        return new SegmentOutcome(audio, error, id);
    }

    boolean ok() {
        return error == null;
    }

    /** The {@code outcome} label of {@link MetricNames#SEGMENTS_TOTAL}. */
    String label() {
        return ok() ? MetricNames.OUTCOME_OK : error.code().wireName();
    }

    /** The WebSocket text message for segment {@code seq}; a result is followed by {@link #audio()}'s bytes. */
    String wsText(long seq) {
        return Protocol.json(ok() ? result(seq, audio, id) : error(seq, error, id));
    }

    private static Protocol.Result result(long seq, SegmentAudio audio, String id) {
        AudioPlacement p = audio.placement();
        return new Protocol.Result(Protocol.RESULT_MESSAGE, seq, id, audio.format().wireName(), audio.bytes().length,
                                   audio.audioMs(), audio.processing().toMillis(), audio.queued().toMillis(),
                                   p == null ? null : p.pts(), p == null ? null : p.timescale(),
                                   p == null ? null : p.startSec(), p == null ? null : p.endSec(),
                                   p == null ? null : p.sampleRate(), p == null ? null : p.samples(),
                                   p == null ? null : p.trimStartSamples(), p == null ? null : p.trimEndSamples(),
                                   p == null ? null : p.gapless(), p == null ? null : p.coldReason(),
                                   p == null ? null : p.carry());
    }

    private static Protocol.Error error(long seq, SegmentException e, String id) {
        return new Protocol.Error(Protocol.ERROR_MESSAGE, seq, id, e.code().wireName(), e.getMessage(),
                                  e.retryAfterMs() > 0 ? e.retryAfterMs() : null);
    }

    /** The HTTP status of an error; {@code overloaded} while draining is 503 (this instance is going away). */
    Status httpStatus(boolean draining) {
        if (error.code() == ErrorCode.OVERLOADED && draining) {
            return Status.SERVICE_UNAVAILABLE_503;
        }
        return Status.create(error.code().httpStatus());
    }

    /** The HTTP error body. */
    String httpErrorJson() {
        return Protocol.json(new Protocol.HttpError(error.code().wireName(), error.getMessage(),
                                                    error.retryAfterMs() > 0 ? error.retryAfterMs() : null));
    }

    /** Counts the answer and records its latency, from the segment's arrival to now. */
    void answered(VbufMetrics metrics, OutputFormat format, long arrivalNanos) {
        metrics.segmentAnswered(format, label(), Duration.ofNanos(System.nanoTime() - arrivalNanos));
    }
}
