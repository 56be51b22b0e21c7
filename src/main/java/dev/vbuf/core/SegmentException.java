package dev.vbuf.core;

import dev.vbuf.protocol.ErrorCode;

/**
 * A segment that gets an error reply instead of audio. Carries the protocol code and a message meant for the client.
 */
public final class SegmentException extends Exception {
    private final ErrorCode code;
    private final long retryAfterMs;

    public SegmentException(ErrorCode code, String message) {
        this(code, message, 0);
    }

    public SegmentException(ErrorCode code, String message, long retryAfterMs) {
        super(message, null, false, false);
        if (code.scope() != ErrorCode.Scope.SEGMENT) { // a segment's outcome is one of a fixed set of metric labels
            throw new IllegalArgumentException(code + " is a request's error code, not a segment's");
        }
        this.code = code;
        this.retryAfterMs = retryAfterMs;
    }

    public ErrorCode code() {
        return code;
    }

    /** For {@link ErrorCode#OVERLOADED} and {@link ErrorCode#RATE_LIMITED}: when to send it again; 0 otherwise. */
    public long retryAfterMs() {
        return retryAfterMs;
    }
}
