package dev.vbuf.protocol;

import java.util.Locale;

/**
 * Why a segment got no audio: the {@code code} of a protocol v1 error reply, defined once, with the HTTP status the
 * HTTP API answers it with.
 */
public enum ErrorCode {
    /** Not a readable MPEG-TS, MP4 or Matroska/WebM segment (garbage, empty, truncated, a playlist, ...). */
    INVALID_MEDIA(422),
    /** A readable segment without an audio stream. */
    NO_AUDIO(422),
    /** The segment (or the audio it expands to) is over the size limit. */
    TOO_LARGE(413),
    /** FFmpeg did not finish within its deadline. */
    TIMEOUT(504),
    /** Not admitted: it could not start in time to meet the latency budget. Comes with a retry-after. */
    OVERLOADED(429),
    /** The session sends segments faster than its rate limit allows. Comes with a retry-after. */
    RATE_LIMITED(429),
    /** Something failed on the server's side. */
    INTERNAL(500);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    /** The name on the wire, e.g. {@code invalid_media}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public int httpStatus() {
        return httpStatus;
    }

    @Override
    public String toString() {
        return wireName();
    }
}
