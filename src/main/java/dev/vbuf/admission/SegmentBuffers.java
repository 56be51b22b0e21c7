package dev.vbuf.admission;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The memory segments are read into, under one global budget. Buffers come in power-of-two sizes and are reused: a
 * server in steady state allocates no new segment memory, so the JVM neither zeroes nor faults in fresh pages for
 * each 2 MB segment. The budget bounds what all sessions together hold (in use plus kept for reuse), which is what
 * a real load holds, instead of every session's theoretical maximum; when it is spent, {@link #acquire} says no and
 * the caller refuses that segment (vbuf answers {@code overloaded}).
 *
 * <p>Readers take memory as a segment's bytes arrive (a small buffer first, swapped for one twice its size when full),
 * so what a client holds is about what it has sent, and for at most the {@linkplain #arrivalDeadline() arrival
 * deadline}: a client that announces a large segment and sends nothing holds almost nothing, and not for long.
 *
 * <p>Guarded by a {@link ReentrantLock}, not {@code synchronized}: virtual threads (segment workers, HTTP requests)
 * give buffers back, and on JDK 21 a virtual thread that blocks entering a monitor pins its carrier thread.
 */
public final class SegmentBuffers {
    /** The smallest buffer handed out. */
    static final int MIN_BUFFER_BYTES = 64 * 1024;

    private final long budgetBytes;
    private final int maxBufferBytes;
    private final Optional<Duration> arrivalDeadline;
    private final Semaphore httpSegments;
    private final int maxHttpSegments;
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private final Deque<byte[]>[] free;
    private long inUseBytes;
    private long pooledBytes;

    /** Buffers with no arrival deadline, and no cap on HTTP segments beyond the budget. */
    public SegmentBuffers(long budgetBytes, int maxBufferBytes) {
        this(budgetBytes, maxBufferBytes, Duration.ZERO, Integer.MAX_VALUE);
    }

    /**
     * @param budgetBytes     the most memory all buffers together may take (in use and kept for reuse)
     * @param maxBufferBytes  the largest buffer anyone may ask for (the segment size limit)
     * @param arrivalDeadline how long one segment may take to arrive into its buffers; zero: no deadline
     * @param maxHttpSegments HTTP segments that may hold buffers at once ({@link #startHttpSegment})
     */
    @SuppressWarnings("unchecked")
    public SegmentBuffers(long budgetBytes, int maxBufferBytes, Duration arrivalDeadline, int maxHttpSegments) {
        if (budgetBytes < maxBufferBytes) {
            throw new IllegalArgumentException("a memory budget of " + budgetBytes + " bytes cannot hold one segment of "
                                               + maxBufferBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
        this.maxBufferBytes = maxBufferBytes;
        this.arrivalDeadline = Optional.of(arrivalDeadline).filter(d -> d.isPositive());
        this.httpSegments = new Semaphore(maxHttpSegments);
        this.maxHttpSegments = maxHttpSegments;
        this.free = new Deque[sizeClass(maxBufferBytes) + 1];
        for (int i = 0; i < free.length; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** Class {@code c} holds buffers of {@code MIN_BUFFER_BYTES << c} bytes (the last one capped at the maximum). */
    private static int sizeClass(int bytes) {
        int c = 0;
        while ((long) MIN_BUFFER_BYTES << c < bytes) {
            c++;
        }
        return c;
    }

    private int capacity(int sizeClass) {
        return (int) Math.min((long) MIN_BUFFER_BYTES << sizeClass, maxBufferBytes);
    }

    /**
     * A buffer of at least {@code minBytes} (at most the maximum), or null when the budget cannot take it now.
     */
    public byte[] acquire(int minBytes) {
        lock.lock();
        try {
            return take(minBytes, 0);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves a segment that has filled its buffer to a larger one: a buffer of at least {@code minBytes} holding
     * {@code old[0, used)}, with {@code old} given back. The budget counts it as if {@code old} were given back first,
     * so a segment near the budget can still move to its next size (for the moment of the copy both exist). Null when
     * the budget cannot take it; {@code old} is then still the caller's.
     */
    public byte[] grow(byte[] old, int used, int minBytes) {
        byte[] bigger;
        lock.lock();
        try {
            bigger = take(minBytes, old.length);
        } finally {
            lock.unlock();
        }
        if (bigger == null) {
            return null;
        }
        System.arraycopy(old, 0, bigger, 0, used);
        lock.lock();
        try {
            keep(old, false);
        } finally {
            lock.unlock();
        }
        return bigger;
    }

    /** Takes a buffer for {@code minBytes}, counting {@code givenBack} bytes in use as given back; null: no room. */
    private byte[] take(int minBytes, long givenBack) {
        int c = sizeClass(Math.min(Math.max(minBytes, 1), maxBufferBytes));
        int cap = capacity(c);
        byte[] b = free[c].pollFirst();
        if (b != null) {
            pooledBytes -= b.length;
            inUseBytes += b.length - givenBack;
            return b;
        }
        long after = inUseBytes - givenBack + cap;
        // make room: drop kept buffers of other sizes, largest first, until this one fits
        for (int k = free.length - 1; k >= 0 && after + pooledBytes > budgetBytes; k--) {
            while (!free[k].isEmpty() && after + pooledBytes > budgetBytes) {
                pooledBytes -= free[k].pollFirst().length;
            }
        }
        if (after + pooledBytes > budgetBytes) {
            return null;
        }
        inUseBytes = after;
        return new byte[cap];
    }

    /** Keeps a buffer no longer in use for reuse, if it is of a pooled size (and, after a move, if it fits the budget). */
    private void keep(byte[] buffer, boolean wasCounted) {
        int c = sizeClass(buffer.length);
        if (capacity(c) == buffer.length && (wasCounted || inUseBytes + pooledBytes + buffer.length <= budgetBytes)) {
            free[c].addFirst(buffer); // most recently used first: its pages are the likeliest to be resident
            pooledBytes += buffer.length;
        }
    }

    /** Gives a buffer back (once); it is kept for reuse. */
    public void release(byte[] buffer) {
        lock.lock();
        try {
            inUseBytes -= buffer.length;
            keep(buffer, true);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes in buffers handed out and not given back. */
    public long inUseBytes() {
        lock.lock();
        try {
            return inUseBytes;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes kept for reuse. */
    public long pooledBytes() {
        lock.lock();
        try {
            return pooledBytes;
        } finally {
            lock.unlock();
        }
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /**
     * An HTTP segment begins (its body is about to be read): false when the cap on HTTP segments in progress is
     * reached, so that uploads can hold at most that many segments' memory and the rest stays for WebSocket sessions.
     * Each true is followed by one {@link #endHttpSegment}.
     */
    public boolean startHttpSegment() {
        return httpSegments.tryAcquire();
    }

    public void endHttpSegment() {
        httpSegments.release();
    }

    public int maxHttpSegments() {
        return maxHttpSegments;
    }

    /** How long one segment may take to arrive (its first byte to its last) while it holds these buffers. */
    public Optional<Duration> arrivalDeadline() {
        return arrivalDeadline;
    }
}
