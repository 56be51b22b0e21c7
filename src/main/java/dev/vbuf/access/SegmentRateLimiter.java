package dev.vbuf.access;

/**
 * One session's segment rate limit: a token bucket holding up to {@code burst} segments, refilled at
 * {@code perSecond}. Used by the session's reading thread only, so it needs no locking.
 */
public final class SegmentRateLimiter {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long last;

    public SegmentRateLimiter(double perSecond, int burst, long nowNanos) {
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.tokens = burst;
        this.last = nowNanos;
    }

    /**
     * Takes one segment's token.
     *
     * @return 0 when the segment may go ahead; otherwise how many milliseconds until it may (at least 1)
     */
    public long tryAcquire(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - last) * perNano);
        last = nowNanos;
        if (tokens >= 1) {
            tokens -= 1;
            return 0;
        }
        return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
    }
}
