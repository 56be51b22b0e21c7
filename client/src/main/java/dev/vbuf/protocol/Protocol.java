package dev.vbuf.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Protocol v1 and v1.1: the path, the query parameter and the JSON text messages the server sends, defined once.
 */
public final class Protocol {
    /** WebSocket and HTTP path of the segment API. */
    public static final String PATH = "/v1/segments";
    /** Query parameter naming the output format. */
    public static final String FORMAT_PARAM = "format";
    /** HTTP response headers of the HTTP API. */
    public static final String HEADER_AUDIO_MS = "X-Vbuf-Audio-Ms";
    public static final String HEADER_PROCESSING_MS = "X-Vbuf-Processing-Ms";
    /** The one message a refused token ({@link ErrorCode#UNAUTHORIZED}) gets: nothing that tells what was wrong. */
    public static final String UNAUTHORIZED_MESSAGE = "missing or invalid access token";
    /** WebSocket sub-protocol the server selects when a client offers it (see docs/protocol.md, "Access"). */
    public static final String SUBPROTOCOL = "vbuf.v1";
    /**
     * The sub-protocol that opts a session into protocol v1.1 (segment messages, placed replies, carries; see
     * docs/protocol.md, "Protocol v1.1"). A client that offers it and gets it selected speaks v1.1; otherwise the session is v1.
     */
    public static final String SUBPROTOCOL_V11 = "vbuf.v1.1";
    /** {@code type} of the v1.1 text message that describes the binary segment after it. */
    public static final String SEGMENT_MESSAGE = "segment";
    /** v1.1, client to server: {@code {"type":"end"}}: answer everything pending, then close 1000. */
    public static final String END_MESSAGE = "end";
    /** {@code type} of a {@link Result}: the binary message after it is the segment's audio. */
    public static final String RESULT_MESSAGE = "result";
    /** {@code type} of an {@link Error}: the segment was not turned into audio. */
    public static final String ERROR_MESSAGE = "error";
    /** v1.1, server to client: {@link Goaway}. */
    public static final String GOAWAY_MESSAGE = "goaway";
    /** Longest client segment id. */
    public static final int MAX_ID_CHARS = 256;

    /** retryAfterMs of a segment refused because the memory for segments in flight was full. */
    public static final long MEMORY_RETRY_AFTER_MS = 500;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Protocol() {
    }

    /**
     * {@code {"type":"result",...}}: the next binary message holds {@code bytes} bytes of audio. The fields after
     * {@code queuedMs} are protocol v1.1's (absent, so a v1 reply is unchanged, when null).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(String type, long seq, String id, String format, int bytes, long audioMs, long processingMs,
                         long queuedMs, Long pts, Integer timescale, Double startSec, Double endSec, Integer sampleRate,
                         Long samples, Long trimStartSamples, Long trimEndSamples, String gapless, String coldReason,
                         String carry) {    }

    /** {@code {"type":"error",...}}; {@code retryAfterMs} only for {@code overloaded}; {@code id} only in v1.1. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Error(String type, long seq, String id, String code, String message, Long retryAfterMs) {
    }

    /** Protocol v1.1, a text message from the client: a {@link SegmentMessage} or an {@link End}. */
    public sealed interface ClientMessage permits SegmentMessage, End {
        /** Reads and checks one; the exception's message is the close reason (1003). */
        static ClientMessage parse(String text) throws IllegalArgumentException {
            if (text == null) {
                throw new IllegalArgumentException("segment message over 64 KiB");
            }
            JsonNode tree;
            try {
                tree = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("a text message must be a JSON segment message");
            }
            String type = tree == null ? null : tree.path("type").asText(null);
            if (END_MESSAGE.equals(type)) {
                return new End();
            }
            if (!SEGMENT_MESSAGE.equals(type)) {
                throw new IllegalArgumentException("a text message must be {\"type\":\"segment\",...} or"
                                                   + " {\"type\":\"end\"}");
            }
            SegmentMessage m;
            try {
                m = JSON.treeToValue(tree, SegmentMessage.class);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                throw new IllegalArgumentException("a segment message's fields must be strings (id, carry) and a"
                                                   + " boolean (last)");
            }
            if (m.id() != null && m.id().length() > MAX_ID_CHARS) {
                throw new IllegalArgumentException("segment id longer than " + MAX_ID_CHARS + " characters");
            }
            return m;
        }
    }

    /**
     * Protocol v1.1, client to server: {@code {"type":"end"}}: no segment follows; the server answers every segment
     * it has, then closes 1000.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record End(String type) implements ClientMessage {
        public End() {
            this(END_MESSAGE);
        }
    }

    /**
     * Protocol v1.1, client to server: {@code {"type":"segment","id":"…","carry":"…","last":false}} right before a
     * binary segment. Every field but {@code type} is optional; unknown fields are ignored (later versions may add).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record SegmentMessage(String type, String id, String carry, Boolean last) implements ClientMessage {
        /** Reads and checks one (an {@code end} message is refused here); the exception's message is the reason. */
        public static SegmentMessage parse(String text) throws IllegalArgumentException {
            if (ClientMessage.parse(text) instanceof SegmentMessage m) {
                return m;
            }
            throw new IllegalArgumentException("a text message must be {\"type\":\"segment\",...}");
        }

        public boolean isLast() {
            return Boolean.TRUE.equals(last);
        }
    }

    /**
     * v1.1, server to client: {@code {"type":"goaway","reason":"max_age","reconnectAfterMs":1200}}: the server takes
     * no new segment on this connection; it answers what it holds, then closes 1001. The client opens a new
     * connection (after {@code reconnectAfterMs}) and sends there whatever is unanswered.
     */
    public record Goaway(String type, String reason, long reconnectAfterMs) {
        /** {@code reason}: the session reached {@code session.max-age-seconds}. */
        public static final String MAX_AGE = "max_age";
        /** {@code reason}: the instance is draining (SIGTERM, a scale-in, a new revision). */
        public static final String SHUTTING_DOWN = "shutting_down";
        /**
         * {@code reason}: the session was idle (no segment, nothing in progress) past {@code session.timeout-minutes},
         * or at the session cap its slot went to a new session. Nothing is unanswered; reconnect when there is
         * something to send. Clients treat every reason alike (reconnect, resend what is unanswered): more may come.
         */
        public static final String IDLE = "idle";

        public Goaway(String reason, long reconnectAfterMs) {
            this(GOAWAY_MESSAGE, reason, reconnectAfterMs);
        }
    }

    /** HTTP API error body. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HttpError(String code, String message, Long retryAfterMs) {
    }

    public static String json(Object message) {
        try {
            return JSON.writeValueAsString(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise " + message, e);
        }
    }
}
