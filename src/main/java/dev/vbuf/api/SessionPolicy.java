package dev.vbuf.api;

import java.time.Duration;

/**
 * How long the server lets a WebSocket session last and how it watches its client: the {@code session} section of
 * the configuration, as the server hands it to the API (which reads no configuration itself).
 *
 * @param idleTimeout  no message and nothing in progress for this long: the session ends (1001)
 * @param maxAge       the longest a session lives, each session's own limit drawn from up to {@link #MAX_AGE_JITTER}
 *                     below it; zero = no limit
 * @param pingInterval how often the server pings; no frame from the client for twice this long drops it; zero = no
 *                     pings
 * @param sendStall    one write to the client taking longer than this drops it
 * @param yieldIdle    at the session cap, a session idle at least this long yields its slot; zero = never
 */
public record SessionPolicy(Duration idleTimeout, Duration maxAge, Duration pingInterval, Duration sendStall,
                            Duration yieldIdle) {
    /** A session's own maximum age is {@link #maxAge} less up to this share of it, drawn per session. */
    public static final double MAX_AGE_JITTER = 0.10;

    /** Whether sessions have a maximum age. */
    boolean maxAgeSet() {
        return !maxAge.isZero();
    }

    /** Whether the server pings (and drops clients that stay silent for two intervals). */
    boolean pings() {
        return !pingInterval.isZero();
    }

    /** Whether an idle session may yield its slot at the session cap. */
    boolean yields() {
        return !yieldIdle.isZero();
    }
}
