package dev.vbuf.config;

import java.util.Locale;

/**
 * The {@code log} section.
 *
 * @param format {@code text} or {@code json}, lower-cased ({@code log.format})
 * @param level  the level of vbuf's own loggers, upper-cased ({@code log.level})
 */
public record LogConfig(String format, String level) {
    static LogConfig read(SettingReader r) {
        String format = r.string(Setting.LOG_FORMAT).toLowerCase(Locale.ROOT);
        if (!format.equals("text") && !format.equals("json")) {
            throw r.invalid(Setting.LOG_FORMAT, format, "expected text or json");
        }
        return new LogConfig(format, r.string(Setting.LOG_LEVEL).toUpperCase(Locale.ROOT));
    }
}
