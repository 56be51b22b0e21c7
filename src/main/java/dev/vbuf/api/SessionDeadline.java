package dev.vbuf.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;


/**
 * When the server ends one session of its own accord, however active it is: at its maximum age, drawn per session
 * from up to {@link SessionPolicy#MAX_AGE_JITTER} below {@code session.max-age-seconds} (sessions opened together,
 * e.g. after a deploy, then do not all reconnect together), or shortly before its access token expires, whichever
 * comes first. Tokens are checked at the upgrade only, so a session must not outlive its token: the client reconnects
 * with a fresh one.
 *
 * @param atNanos {@link System#nanoTime()} when the session ends; {@link Long#MAX_VALUE} for never
 * @param why     the close reason then
 */
record SessionDeadline(long atNanos, String why) {
    /** A session ends this long before its token's {@code exp}, so the reconnect can still use that token's successor. */
    static final Duration BEFORE_TOKEN_EXPIRY = Duration.ofSeconds(10);
    static final SessionDeadline NEVER = new SessionDeadline(Long.MAX_VALUE, "");

    /**
     * @param tokenExpiry the {@code exp} of the token the upgrade carried, if any
     * @param openedNanos {@link System#nanoTime()} at the upgrade
     * @param now         the wall-clock time at the upgrade
     */
    static SessionDeadline of(SessionPolicy policy, Optional<Instant> tokenExpiry, long openedNanos, Instant now) {
        SessionDeadline d = NEVER;
        if (policy.maxAgeSet()) {
            double share = 1 - ThreadLocalRandom.current().nextDouble(SessionPolicy.MAX_AGE_JITTER);
            long age = (long) (policy.maxAge().toNanos() * share);
            d = new SessionDeadline(openedNanos + age, "session reached its maximum age ("
                                                       + Duration.ofNanos(age).toSeconds() + " s); reconnect");
        }
        if (tokenExpiry.isPresent()) {
            long left = Math.max(0, Duration.between(now, tokenExpiry.get().minus(BEFORE_TOKEN_EXPIRY)).toNanos());
            if (openedNanos + left < d.atNanos) {
                d = new SessionDeadline(openedNanos + left, "access token expires; reconnect with a fresh one");
            }
        }
        return d;
    }

    boolean passed(long nowNanos) {
        return atNanos != Long.MAX_VALUE && nowNanos - atNanos >= 0;
    }
}
