package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code limits} section: sessions per instance, segments per session, how long a segment may take to arrive,
 * HTTP segments at once.
 *
 * @param maxSessions              open sessions per instance ({@code limits.max-sessions})
 * @param sessionSegmentsPerSecond sustained segment rate of one session
 *                                 ({@code limits.session-segments-per-second})
 * @param sessionSegmentBurst      segments a session may send at once above that rate
 *                                 ({@code limits.session-segment-burst})
 * @param messageDeadline          how long one segment (a WebSocket message, an HTTP body) may take to arrive while it
 *                                 holds segment memory ({@code limits.message-deadline-seconds}, decimals allowed)
 * @param maxHttpSegments          HTTP segments in progress at once ({@code limits.max-http-segments})
 */
public record LimitsConfig(int maxSessions, double sessionSegmentsPerSecond, int sessionSegmentBurst,
                           Duration messageDeadline, int maxHttpSegments) {
    static LimitsConfig read(SettingReader r) {
        return new LimitsConfig(r.integer(Setting.MAX_SESSIONS, 1),
                                r.positiveNumber(Setting.SESSION_RATE),
                                r.integer(Setting.SESSION_BURST, 1),
                                Duration.ofMillis(Math.round(r.positiveNumber(Setting.MESSAGE_DEADLINE_SECONDS) * 1000)),
                                r.integer(Setting.MAX_HTTP_SEGMENTS, 1));
    }
}
