package dev.vbuf.api;

import java.util.Optional;

import dev.vbuf.core.OutputFormat;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.core.SegmentException;

import io.helidon.common.uri.UriQuery;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Protocol v1: the path, the query parameter and the JSON text messages the server sends, defined once.
 */
public final class Protocol {
    /** WebSocket and HTTP path of the segment API. */
    public static final String PATH = "/v1/segments";
    /** Query parameter naming the output format. */
    public static final String FORMAT_PARAM = "format";
    /** HTTP response headers of the HTTP API. */
    public static final String HEADER_AUDIO_MS = "X-Vbuf-Audio-Ms";
    public static final String HEADER_PROCESSING_MS = "X-Vbuf-Processing-Ms";
    /** Code of request-level errors (an unknown format, no WebSocket upgrade) in HTTP JSON bodies. */
    public static final String BAD_REQUEST = "bad_request";
    /** Code of a request refused for a missing or invalid access token (HTTP 401). */
    public static final String UNAUTHORIZED = "unauthorized";
    /** The one message a refused token gets: nothing that tells an attacker what was wrong. */
    public static final String UNAUTHORIZED_MESSAGE = "missing or invalid access token";
    /** Code of a request whose browser {@code Origin} is not in {@code VBUF_AUTH_ALLOWED_ORIGINS} (HTTP 403). */
    public static final String FORBIDDEN_ORIGIN = "forbidden_origin";
    /** WebSocket sub-protocol the server selects when a client offers it (see README, "Access"). */
    public static final String SUBPROTOCOL = "vbuf.v1";

    /** retryAfterMs of a segment refused because the memory for segments in flight was full. */
    public static final long MEMORY_RETRY_AFTER_MS = 500;

    /** WebSocket close codes. */
    public static final int CLOSE_NORMAL = 1000;
    public static final int CLOSE_GOING_AWAY = 1001;
    public static final int CLOSE_UNSUPPORTED_DATA = 1003;
    public static final int CLOSE_TOO_BIG = 1009;
    public static final int CLOSE_INTERNAL = 1011;
    public static final int CLOSE_TRY_AGAIN_LATER = 1013;

    static final ObjectMapper JSON = new ObjectMapper();

    private Protocol() {
    }

    /** {@code {"type":"result",...}}: the next binary message holds {@code bytes} bytes of audio. */
    public record Result(String type, long seq, String format, int bytes, long audioMs, long processingMs,
                         long queuedMs) {
        static Result of(long seq, SegmentAudio audio) {
            return new Result("result", seq, audio.format().wireName(), audio.bytes().length, audio.audioMs(),
                              audio.processing().toMillis(), audio.queued().toMillis());
        }
    }

    /** {@code {"type":"error",...}}; {@code retryAfterMs} only for {@code overloaded}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Error(String type, long seq, String code, String message, Long retryAfterMs) {
        static Error of(long seq, SegmentException e) {
            return new Error("error", seq, e.code().wireName(), e.getMessage(),
                             e.retryAfterMs() > 0 ? e.retryAfterMs() : null);
        }
    }

    /** HTTP API error body. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HttpError(String code, String message, Long retryAfterMs) {
    }

    /**
     * The {@code format} query parameter of a request, read in one place for the WebSocket and the HTTP API.
     *
     * @param format the format asked for ({@link OutputFormat#DEFAULT} when the parameter is absent), or empty when
     *               the parameter names none
     * @param asked  the parameter as sent
     */
    record RequestedFormat(Optional<OutputFormat> format, String asked) {
        static RequestedFormat of(UriQuery query) {
            Optional<String> v = query.first(FORMAT_PARAM).asOptional();
            return v.isEmpty() ? new RequestedFormat(Optional.of(OutputFormat.DEFAULT), OutputFormat.DEFAULT.wireName())
                               : new RequestedFormat(OutputFormat.fromWireName(v.get()), v.get());
        }

        /** Why the request is refused (HTTP 400) when the format is unknown. */
        String unknownMessage() {
            return "unknown format '" + asked + "': expected one of " + OutputFormat.wireNames();
        }
    }

    static String json(Object message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + message, e);
        }
    }
}
