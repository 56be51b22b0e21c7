package dev.vbuf.protocol;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Every error code the server sends, over WebSocket and HTTP, defined once with the HTTP status the HTTP API answers
 * it with. A code is about one {@link Scope#SEGMENT segment} (an error reply, the session goes on; besides {@code ok},
 * these are the only {@code outcome} labels of the segments metric, which alert rules count) or about the whole
 * {@link Scope#REQUEST request} (refused before any segment is read, never a segment's outcome).
 */
public enum ErrorCode {
    /** Not a readable MPEG-TS, MP4 or Matroska/WebM segment (garbage, empty, truncated, a playlist, ...). */
    INVALID_MEDIA(422, Scope.SEGMENT),
    /** A readable segment without an audio stream. */
    NO_AUDIO(422, Scope.SEGMENT),
    /** The segment (or the audio it expands to) is over the size limit. */
    TOO_LARGE(413, Scope.SEGMENT),
    /** FFmpeg did not finish within its deadline. */
    TIMEOUT(504, Scope.SEGMENT),
    /** Not admitted: it could not start in time to meet the latency budget. Comes with a retry-after. */
    OVERLOADED(429, Scope.SEGMENT, true),
    /** The session sends segments faster than its rate limit allows. Comes with a retry-after. */
    RATE_LIMITED(429, Scope.SEGMENT, true),
    /** Something failed on the server's side. */
    INTERNAL(500, Scope.SEGMENT),
    /**
     * Not taken: this instance is ending the session (draining for a shutdown, or the session's maximum age) and
     * answers no new segment. Comes with a retry-after; send it again on a new connection.
     */
    SHUTTING_DOWN(503, Scope.SEGMENT, true),
    /** A request the API cannot take: an unknown format, a body it could not read, a GET without an upgrade. */
    BAD_REQUEST(400, Scope.REQUEST),
    /** A missing or invalid access token. */
    UNAUTHORIZED(401, Scope.REQUEST),
    /** A browser {@code Origin} not in {@code VBUF_AUTH_ALLOWED_ORIGINS}. */
    FORBIDDEN_ORIGIN(403, Scope.REQUEST);

    /** What a code refuses. */
    public enum Scope {
        /** One segment: it gets an error reply instead of audio. */
        SEGMENT,
        /** The whole request (an HTTP request or a WebSocket upgrade), before any segment. */
        REQUEST
    }

    private static final List<ErrorCode> SEGMENT_CODES = Arrays.stream(values())
            .filter(c -> c.scope == Scope.SEGMENT).toList();

    private final int httpStatus;
    private final Scope scope;
    private final boolean refusal;

    ErrorCode(int httpStatus, Scope scope) {
        this(httpStatus, scope, false);
    }

    ErrorCode(int httpStatus, Scope scope, boolean refusal) {
        this.httpStatus = httpStatus;
        this.scope = scope;
        this.refusal = refusal;
    }

    /** The codes a segment can be answered with, in declaration order. */
    public static List<ErrorCode> segmentCodes() {
        return SEGMENT_CODES;
    }

    /** The name on the wire, e.g. {@code invalid_media}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }

    public Scope scope() {
        return scope;
    }

    /**
     * A segment not taken (now, or here) rather than one that failed: it carries a retry-after and the client sends
     * it again. The error-rate alerts count every segment code but these (k8s/monitoring/vbuf.rules.yaml), so a
     * drain, a full instance or a fast client is never read as a broken service.
     */
    public boolean refusal() {
        return refusal;
    }

    @Override
    public String toString() {
        return wireName();
    }
}
