package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code shutdown} section.
 *
 * @param grace on SIGTERM, how long segments in progress may take to finish ({@code shutdown.grace-ms})
 */
public record ShutdownConfig(Duration grace) {
    static ShutdownConfig read(SettingReader r) {
        return new ShutdownConfig(r.millis(Setting.SHUTDOWN_GRACE_MS, 0));
    }
}
