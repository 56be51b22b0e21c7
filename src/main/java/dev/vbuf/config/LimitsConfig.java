package dev.vbuf.config;

/**
 * The {@code limits} section: sessions per instance and segments per session.
 *
 * @param maxSessions              open sessions per instance ({@code limits.max-sessions})
 * @param sessionSegmentsPerSecond sustained segment rate of one session
 *                                 ({@code limits.session-segments-per-second})
 * @param sessionSegmentBurst      segments a session may send at once above that rate
 *                                 ({@code limits.session-segment-burst})
 */
public record LimitsConfig(int maxSessions, double sessionSegmentsPerSecond, int sessionSegmentBurst) {
    static LimitsConfig read(SettingReader r) {
        return new LimitsConfig(r.integer(Setting.MAX_SESSIONS, 1),
                                r.positiveNumber(Setting.SESSION_RATE),
                                r.integer(Setting.SESSION_BURST, 1));
    }
}
