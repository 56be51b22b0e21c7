package dev.vbuf.api;

import java.util.concurrent.ThreadLocalRandom;

import dev.vbuf.admission.SegmentGate;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;

/**
 * Why and how a WebSocket session ends once the server has decided it: the close code and reason it closes with
 * after every accepted segment is answered, and for protocol v1.1 the {@code goaway} that goes out at once, so the
 * client stops sending and reconnects. Segments that arrive after the decision are not processed: they are answered
 * {@code shutting_down} (v1: {@code overloaded}) with {@link #retryAfterMs()}.
 *
 * @param closeCode        the close code
 * @param closeReason      the close frame's reason: a short sentence of vbuf's own
 * @param goawayReason     the {@link Protocol.Goaway} reason a v1.1 session is told first, or null for none
 * @param reconnectAfterMs the goaway's {@code reconnectAfterMs}, drawn per session so clients told together do not
 *                         all come back in the same millisecond
 */
record SessionEnd(int closeCode, String closeReason, String goawayReason, long reconnectAfterMs) {
    /** A goaway's {@code reconnectAfterMs} is drawn from [{@value #MIN_RECONNECT_MS}, {@value #MAX_RECONNECT_MS}). */
    static final long MIN_RECONNECT_MS = 100;
    static final long MAX_RECONNECT_MS = 1_000;

    /** SIGTERM: the instance drains. */
    static SessionEnd draining() {
        return going(Protocol.Goaway.SHUTTING_DOWN, "server shutting down");
    }

    /** The session reached its maximum age (the configured one, or its access token's expiry). */
    static SessionEnd maxAge(String why) {
        return going(Protocol.Goaway.MAX_AGE, why);
    }

    /** Idle past the idle timeout, or its slot given to a new session at the cap: nothing is unanswered. */
    static SessionEnd idle(String why) {
        return going(Protocol.Goaway.IDLE, why);
    }

    /** The client sent {@code {"type":"end"}}. */
    static SessionEnd endRequested() {
        return new SessionEnd(CloseCodes.NORMAL, "end of session, as the client asked", null, 0);
    }

    /** The client broke the protocol (1002, 1003, 1007), or an upgrade raced past the session cap (1013). */
    static SessionEnd closing(int code, String reason) {
        return new SessionEnd(code, reason, null, 0);
    }

    /** Something failed inside the server (1011). */
    static SessionEnd internalFailure() {
        return new SessionEnd(CloseCodes.INTERNAL_ERROR, "internal error in the server's session", null, 0);
    }

    private static SessionEnd going(String goaway, String why) {
        return new SessionEnd(CloseCodes.GOING_AWAY, why, goaway,
                              ThreadLocalRandom.current().nextLong(MIN_RECONNECT_MS, MAX_RECONNECT_MS));
    }

    /** The goaway message, for a v1.1 session; null when this end has none. */
    String goawayText() {
        return goawayReason == null ? null : Protocol.json(new Protocol.Goaway(goawayReason, reconnectAfterMs));
    }

    /** How long a segment refused after the decision should wait before it is sent again (on a new connection). */
    long retryAfterMs() {
        return goawayReason != null ? reconnectAfterMs : SegmentGate.SHUTDOWN_RETRY_AFTER.toMillis();
    }
}
