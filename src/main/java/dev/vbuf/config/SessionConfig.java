package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code session} section.
 *
 * @param timeout how long a session may stay silent, with nothing in progress, before it is closed
 *                ({@code session.timeout-minutes}, decimals allowed)
 * @param maxAge  how old a session may grow before it is told to go away and closed
 *                ({@code session.max-age-seconds}; each session's is jittered down by up to a tenth), so a session
 *                ends cleanly before a platform's request timeout cuts it
 */
public record SessionConfig(Duration timeout, Duration maxAge) {
    static SessionConfig read(SettingReader r) {
        return new SessionConfig(Duration.ofMillis(Math.round(r.positiveNumber(Setting.SESSION_TIMEOUT_MINUTES)
                                                              * 60_000)),
                                 Duration.ofSeconds(r.integer(Setting.SESSION_MAX_AGE_SECONDS, 1)));
    }
}
