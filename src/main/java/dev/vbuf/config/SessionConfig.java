package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code session} section.
 *
 * @param timeout how long a session may stay silent, with nothing in progress, before it is closed
 *                ({@code session.timeout-minutes}, decimals allowed)
 */
public record SessionConfig(Duration timeout) {
    static SessionConfig read(SettingReader r) {
        return new SessionConfig(Duration.ofMillis(Math.round(r.positiveNumber(Setting.SESSION_TIMEOUT_MINUTES)
                                                              * 60_000)));
    }
}
