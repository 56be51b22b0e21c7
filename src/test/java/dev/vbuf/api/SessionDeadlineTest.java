package dev.vbuf.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/** When the server ends a session of its own accord: its jittered maximum age, or before its token expires. */
class SessionDeadlineTest {
    private static final Duration MAX_AGE = Duration.ofSeconds(3300);

    private static SessionPolicy policy(Duration maxAge) {
        return new SessionPolicy(Duration.ofMinutes(10), maxAge, Duration.ofSeconds(20), Duration.ofSeconds(30),
                                 Duration.ofSeconds(30));
    }

    /** Every session ends within the last 10 % before the maximum age, never after it, and not all at one time. */
    @Test
    void eachSessionDrawsItsOwnAgeFromUpToTenPercentBelowTheMaximum() {
        long opened = System.nanoTime();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (int i = 0; i < 2_000; i++) {
            long age = SessionDeadline.of(policy(MAX_AGE), Optional.empty(), opened, Instant.now()).atNanos() - opened;
            min = Math.min(min, age);
            max = Math.max(max, age);
        }
        assertThat("never past the maximum age", max, lessThanOrEqualTo(MAX_AGE.toNanos()));
        assertThat("at most 10 % below it", min, greaterThanOrEqualTo((long) (MAX_AGE.toNanos() * 0.9)));
        assertThat("spread over most of that tenth (s)", Duration.ofNanos(max - min).toSeconds(), greaterThan(250L));
    }

    @Test
    void aTokenThatExpiresFirstEndsTheSessionShortlyBeforeItsExpiry() {
        long opened = System.nanoTime();
        Instant now = Instant.now();
        SessionDeadline d = SessionDeadline.of(policy(MAX_AGE), Optional.of(now.plusSeconds(300)), opened, now);
        assertThat(Duration.ofNanos(d.atNanos() - opened),
                   is(Duration.ofSeconds(300).minus(SessionDeadline.BEFORE_TOKEN_EXPIRY)));
        assertThat(d.why(), containsString("token expires"));
        assertThat("passed then", d.passed(d.atNanos()), is(true));
        assertThat("not before", d.passed(d.atNanos() - 1), is(false));

        SessionDeadline later = SessionDeadline.of(policy(MAX_AGE), Optional.of(now.plusSeconds(7200)), opened, now);
        assertThat("a token valid for longer leaves the maximum age", later.why(), containsString("maximum age"));
        SessionDeadline spent = SessionDeadline.of(policy(MAX_AGE), Optional.of(now.plusSeconds(5)), opened, now);
        assertThat("a token about to expire ends the session at once", spent.atNanos(), is(opened));
    }

    @Test
    void withoutAMaximumAgeOrATokenASessionHasNoDeadline() {
        SessionDeadline d = SessionDeadline.of(policy(Duration.ZERO), Optional.empty(), System.nanoTime(),
                                               Instant.now());
        assertThat(d, is(SessionDeadline.NEVER));
        assertThat(d.passed(System.nanoTime() + Duration.ofDays(3650).toNanos()), is(false));
    }
}
