package dev.vbuf.admission;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The memory segments are read into, under one global budget. Buffers come in power-of-two sizes and are reused: a
 * server in steady state allocates no new segment memory, so the JVM neither zeroes nor faults in fresh pages for
 * each 2 MB segment. The budget bounds what all sessions together hold (in use plus kept for reuse), which is what
 * a real load holds, instead of every session's theoretical maximum; when it is spent, {@link #acquire} says no and
 * the caller refuses that segment (vbuf answers {@code overloaded}).
 */
public final class SegmentBuffers {
    /** The smallest buffer handed out. */
    static final int MIN_BUFFER_BYTES = 64 * 1024;

    private final long budgetBytes;
    private final int maxBufferBytes;
    // guarded by this
    private final Deque<byte[]>[] free;
    private long inUseBytes;
    private long pooledBytes;

    /**
     * @param budgetBytes    the most memory all buffers together may take (in use and kept for reuse)
     * @param maxBufferBytes the largest buffer anyone may ask for (the segment size limit)
     */
    @SuppressWarnings("unchecked")
    public SegmentBuffers(long budgetBytes, int maxBufferBytes) {
        if (budgetBytes < maxBufferBytes) {
            throw new IllegalArgumentException("a memory budget of " + budgetBytes + " bytes cannot hold one segment of "
                                               + maxBufferBytes + " bytes");
        }
        this.budgetBytes = budgetBytes;
        this.maxBufferBytes = maxBufferBytes;
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
    public synchronized byte[] acquire(int minBytes) {
        int c = sizeClass(Math.min(Math.max(minBytes, 1), maxBufferBytes));
        int cap = capacity(c);
        byte[] b = free[c].pollFirst();
        if (b != null) {
            pooledBytes -= b.length;
            inUseBytes += b.length;
            return b;
        }
        // make room: drop kept buffers of other sizes, largest first, until this one fits
        for (int k = free.length - 1; k >= 0 && inUseBytes + pooledBytes + cap > budgetBytes; k--) {
            while (!free[k].isEmpty() && inUseBytes + pooledBytes + cap > budgetBytes) {
                pooledBytes -= free[k].pollFirst().length;
            }
        }
        if (inUseBytes + pooledBytes + cap > budgetBytes) {
            return null;
        }
        inUseBytes += cap;
        return new byte[cap];
    }

    /** Gives a buffer back (once); it is kept for reuse. */
    public synchronized void release(byte[] buffer) {
        inUseBytes -= buffer.length;
        int c = sizeClass(buffer.length);
        if (capacity(c) == buffer.length) {
            free[c].addFirst(buffer); // most recently used first: its pages are the likeliest to be resident
            pooledBytes += buffer.length;
        }
    }

    /** Bytes in buffers handed out and not given back. */
    public synchronized long inUseBytes() {
        return inUseBytes;
    }

    /** Bytes kept for reuse. */
    public synchronized long pooledBytes() {
        return pooledBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }
}
