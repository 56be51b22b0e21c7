package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code session} section: how long a WebSocket session may last, and how the server tells that its client is
 * still there.
 *
 * @param timeout      how long a session may stay silent, with nothing in progress, before it is closed
 *                     ({@code session.timeout-minutes}, decimals allowed)
 * @param maxAge       the longest a session lives (each session's own limit is drawn from up to 10 % below it)
 *                     ({@code session.max-age-seconds}; zero = no limit)
 * @param pingInterval how often the server pings; a client that sends no frame for twice this long is dropped
 *                     ({@code session.ping-interval-seconds}; zero = no pings and no such drop)
 * @param sendStall    how long one write to the client (a reply, a pong, a ping, the close) may take before the
 *                     client counts as not reading and is dropped ({@code session.send-stall-seconds})
 * @param yieldIdle    at the session cap, a session idle at least this long with nothing in progress gives its slot
 *                     to a new upgrade ({@code session.yield-idle-seconds}; zero = never)
 */
public record SessionConfig(Duration timeout, Duration maxAge, Duration pingInterval, Duration sendStall,
                            Duration yieldIdle) {
    static SessionConfig read(SettingReader r) {
        return new SessionConfig(Duration.ofMillis(Math.round(r.positiveNumber(Setting.SESSION_TIMEOUT_MINUTES)
                                                              * 60_000)),
                                 seconds(r, Setting.SESSION_MAX_AGE_SECONDS, 0),
                                 seconds(r, Setting.SESSION_PING_INTERVAL_SECONDS, 0),
                                 seconds(r, Setting.SESSION_SEND_STALL_SECONDS, 1),
                                 seconds(r, Setting.SESSION_YIELD_IDLE_SECONDS, 0));
    }

    private static Duration seconds(SettingReader r, Setting s, int min) {
        return Duration.ofSeconds(r.integer(s, min));
    }
}
