package dev.vbuf.api;

import java.time.Duration;
import java.util.Map;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.config.SessionConfig;
import dev.vbuf.config.VbufConfig;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThan;

/**
 * The session defaults hold their promises by design (the hostile-session tests show the mechanisms with small
 * values, in seconds): a slot taken by a silent connection is free for an honest upgrade within 75 s, and a player
 * that pauses is not cut for a short pause.
 */
class SessionDefaultsTest {
    private static final SessionConfig DEFAULTS = VbufConfig.load(Map.of(), Map.of()).session();
    private static final Duration SWEEP = Duration.ofMillis(SessionRegistry.MAX_SWEEP_MS);

    /**
     * A silent connection that answers no ping is dropped after two ping intervals (plus one sweep); one that answers
     * pings yields its slot at the cap once idle for {@code yield-idle-seconds}. An honest client refused meanwhile
     * retries after the 503's {@code Retry-After}. The worst case of the two, plus that retry, is the bound.
     */
    @Test
    void aSilentConnectionsSlotIsFreeForAnHonestUpgradeWithin75Seconds() {
        Duration dropped = DEFAULTS.pingInterval().multipliedBy(2).plus(SWEEP);
        Duration yielded = DEFAULTS.yieldIdle();
        Duration retry = Duration.ofMillis(AccessPolicy.SESSION_RETRY_AFTER_MS);
        Duration worst = (dropped.compareTo(yielded) > 0 ? dropped : yielded).plus(retry);
        System.out.println("defaults: a silent connection is dropped after " + dropped.toSeconds()
                           + " s, an idle one yields after " + yielded.toSeconds() + " s; with the 503's retry an"
                           + " honest upgrade succeeds within " + worst.toSeconds() + " s");
        assertThat("seconds until an honest upgrade succeeds", worst.toSeconds(), lessThan(75L));
    }

    /** A pause of a few segments costs a paused player nothing; longer pauses end with 1001, which it resumes from. */
    @Test
    void aPausedPlayerKeepsItsSessionForShortPausesAndTheLimitsAreOrdered() {
        assertThat("an idle session keeps its slot for several 6-s segments", DEFAULTS.yieldIdle().toSeconds(),
                   greaterThanOrEqualTo(24L));
        assertThat("it yields at the cap before the idle timeout would close it", DEFAULTS.yieldIdle(),
                   lessThan(DEFAULTS.timeout()));
        assertThat("the idle timeout matters: it is shorter than the maximum age", DEFAULTS.timeout(),
                   lessThan(DEFAULTS.maxAge()));
    }
}
