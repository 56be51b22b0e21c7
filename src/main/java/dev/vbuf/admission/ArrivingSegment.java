package dev.vbuf.admission;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * One segment read from a stream (an HTTP request body) into {@link SegmentBuffers} memory as its bytes arrive: the
 * smallest buffer first, swapped for one twice its size each time it is full, so the segment holds about twice what
 * has arrived of it, never what its sender announced. When the budget has no larger buffer to give, reading stops
 * (the caller refuses the segment without reading the rest). One thread uses it; {@link #release} gives its memory
 * back, once, whatever happened.
 */
public final class ArrivingSegment {
    /** How reading ended. */
    public enum Result {
        /** The whole segment is in {@link #buffer()}{@code [0, }{@link #length()}{@code )}. */
        READ,
        /** Over the segment limit: the rest was read and dropped; {@link #size()} is its size. */
        TOO_LARGE,
        /** The memory budget had no room for it: reading stopped. */
        NO_MEMORY
    }

    private final SegmentBuffers buffers;
    private final int maxBytes;
    private byte[] buffer;
    private int length;
    private long size;

    /**
     * @param buffers  where the memory comes from
     * @param maxBytes the segment limit (at most the buffers' largest size)
     */
    public ArrivingSegment(SegmentBuffers buffers, int maxBytes) {
        this.buffers = buffers;
        this.maxBytes = maxBytes;
    }

    /** Reads the segment to the end of {@code in}, or until it is over the limit or the memory budget says no. */
    public Result readFrom(InputStream in) throws IOException {
        while (true) {
            if (buffer == null || length == buffer.length) {
                if (length == maxBytes) { // full at the limit: one byte more makes it too large
                    int more = in.read();
                    if (more < 0) {
                        size = length;
                        return Result.READ;
                    }
                    size = length + 1 + in.transferTo(OutputStream.nullOutputStream());
                    release();
                    return Result.TOO_LARGE;
                }
                if (!grow()) {
                    return Result.NO_MEMORY;
                }
            }
            int n = in.read(buffer, length, Math.min(buffer.length, maxBytes) - length);
            if (n < 0) {
                size = length;
                return Result.READ;
            }
            length += n;
        }
    }

    private boolean grow() {
        byte[] bigger = buffer == null
                ? buffers.acquire(1)
                : buffers.grow(buffer, length, (int) Math.min(2L * buffer.length, maxBytes));
        if (bigger == null) {
            release();
            return false;
        }
        buffer = bigger;
        return true;
    }

    /** The buffer holding the segment (after {@link Result#READ}); it stays this object's until {@link #release}. */
    public byte[] buffer() {
        return buffer;
    }

    /** Bytes of the segment in {@link #buffer()}. */
    public int length() {
        return length;
    }

    /** The segment's size as sent (for {@link Result#TOO_LARGE}, including what was dropped). */
    public long size() {
        return size;
    }

    /** Gives the memory back (again: nothing). */
    public void release() {
        if (buffer != null) {
            buffers.release(buffer);
            buffer = null;
        }
    }
}
