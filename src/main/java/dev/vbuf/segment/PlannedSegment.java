package dev.vbuf.segment;

import java.util.Objects;

import dev.vbuf.core.SegmentException;
import dev.vbuf.gapless.GaplessPlan;
import dev.vbuf.media.ParsedSegment;
import dev.vbuf.protocol.OutputFormat;

/**
 * A segment of protocol v1.1, parsed once and planned on the session's reading thread
 * ({@link SegmentProcessor#plan}), ready to be processed on its worker ({@link SegmentProcessor#process(PlannedSegment,
 * long)}). Opaque to its callers: the parse and the plan stay below the API.
 */
public final class PlannedSegment {
    final byte[] buffer;
    final int length;
    final OutputFormat format;
    /** What the parse found; null when it failed ({@link #failure}) or the segment is over the size limit. */
    private final ParsedSegment parsed;
    /** The parse's refusal ({@link SegmentException}) or an unforeseen failure, or null. */
    private final Exception failure;
    /** The plan, or null when the segment is not planned (the reply is as in v1). */
    final GaplessPlan plan;

    PlannedSegment(byte[] buffer, int length, OutputFormat format, ParsedSegment parsed, Exception failure,
                   GaplessPlan plan) {
        this.buffer = buffer;
        this.length = length;
        this.format = format;
        this.parsed = parsed;
        this.failure = failure;
        this.plan = plan;
    }

    /** The parse's result, or its failure, thrown where the segment's path would have parsed it. */
    ParsedSegment parsed() throws SegmentException {
        if (failure instanceof SegmentException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        return Objects.requireNonNull(parsed, "a segment over the size limit was not parsed");
    }
}
