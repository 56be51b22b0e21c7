package dev.vbuf.access;

import java.util.Optional;
import java.util.Set;

import dev.vbuf.config.VbufConfig;

/**
 * Who may open a session and how much one session may send: the access token check, the allowed browser origins, the
 * session cap per instance and the per-session segment rate.
 *
 * @param auth                     access tokens
 * @param allowedOrigins           browser origins allowed; empty = any
 * @param maxSessions              open WebSocket sessions per instance
 * @param sessionSegmentsPerSecond sustained segment rate per session
 * @param sessionSegmentBurst      segments a session may send at once above that rate
 */
public record AccessPolicy(Authenticator auth, Set<String> allowedOrigins, int maxSessions,
                           double sessionSegmentsPerSecond, int sessionSegmentBurst) {
    /** How long a client refused for the session cap should wait before trying again. */
    public static final long SESSION_RETRY_AFTER_MS = 5_000;

    public static AccessPolicy of(VbufConfig config) {
        return new AccessPolicy(Authenticator.create(config.auth().secretKey(), config.auth().audience()),
                                config.auth().allowedOrigins(), config.limits().maxSessions(),
                                config.limits().sessionSegmentsPerSecond(), config.limits().sessionSegmentBurst());
    }

    /** True when a request with this {@code Origin} header (if any) may pass. */
    public boolean originAllowed(Optional<String> origin) {
        return allowedOrigins.isEmpty() || origin.isEmpty() || allowedOrigins.contains(origin.get());
    }

    public SegmentRateLimiter newRateLimiter(long nowNanos) {
        return new SegmentRateLimiter(sessionSegmentsPerSecond, sessionSegmentBurst, nowNanos);
    }
}
