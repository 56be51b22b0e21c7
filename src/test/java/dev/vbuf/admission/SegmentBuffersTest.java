package dev.vbuf.admission;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.sameInstance;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Segment memory: power-of-two buffers, reused, never more than the budget in all. */
class SegmentBuffersTest {
    private static final int MIB = 1 << 20;

    @Test
    void buffersComeInPowerOfTwoSizesAndAreReused() {
        SegmentBuffers b = new SegmentBuffers(16L * MIB, 4 * MIB);
        byte[] small = b.acquire(1);
        assertThat(small.length, is(SegmentBuffers.MIN_BUFFER_BYTES));
        byte[] two = b.acquire(2_000_000);
        assertThat(two.length, is(2 * MIB));
        assertThat(b.inUseBytes(), is((long) SegmentBuffers.MIN_BUFFER_BYTES + 2 * MIB));
        b.release(two);
        assertThat(b.inUseBytes(), is((long) SegmentBuffers.MIN_BUFFER_BYTES));
        assertThat(b.pooledBytes(), is((long) 2 * MIB));
        assertThat("the same array comes back", b.acquire(1_500_000), sameInstance(two));
        assertThat("capped at the maximum", b.acquire(4 * MIB + 1).length, is(4 * MIB));
    }

    @Test
    void theBudgetCountsBuffersInUseAndKeptAndSaysNoWhenSpent() {
        SegmentBuffers b = new SegmentBuffers(4L * MIB, 2 * MIB);
        byte[] one = b.acquire(2 * MIB);
        byte[] two = b.acquire(2 * MIB);
        assertThat("the budget is spent", b.acquire(1), is(nullValue()));
        b.release(one);
        byte[] small = b.acquire(1); // makes room by dropping the kept 2 MiB buffer
        assertThat(small, notNullValue());
        assertThat("in use + pooled stays within the 4 MiB budget",
                   b.inUseBytes() + b.pooledBytes() <= 4L * MIB, is(true));
        b.release(two);
        b.release(small);
        assertThat(b.inUseBytes(), is(0L));
    }

    @Test
    void aSegmentFillingItsBufferMovesToOneTwiceAsLargeEvenWhenTheTwoTogetherWouldNotFit() {
        SegmentBuffers b = new SegmentBuffers(2L * MIB, 2 * MIB);
        byte[] half = b.acquire(MIB);
        half[12345] = 42;
        byte[] whole = b.grow(half, MIB, 2 * MIB);
        assertThat("moved: 1 + 2 MiB for a moment, counted as the 2 MiB it keeps", whole.length, is(2 * MIB));
        assertThat("its bytes moved with it", whole[12345], is((byte) 42));
        assertThat(b.inUseBytes(), is(2L * MIB));
        assertThat("the old buffer is not kept: it would not fit the budget", b.pooledBytes(), is(0L));
        assertThat("nothing more fits", b.acquire(1), is(nullValue()));
        b.release(whole);
        assertThat(b.inUseBytes(), is(0L));
    }

    @Test
    void aMoveTheBudgetCannotTakeIsRefusedAndTheOldBufferStaysTheCallers() {
        SegmentBuffers b = new SegmentBuffers(2L * MIB, 2 * MIB);
        byte[] one = b.acquire(MIB);
        byte[] other = b.acquire(MIB);
        assertThat("1 MiB + 2 MiB after the move would be over the 2 MiB budget", b.grow(one, MIB, 2 * MIB),
                   is(nullValue()));
        assertThat("both still counted", b.inUseBytes(), is(2L * MIB));
        b.release(one);
        b.release(other);
        assertThat(b.inUseBytes(), is(0L));
    }

    @Test
    void aBudgetBelowOneSegmentIsRefusedAtStart() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                                  () -> new SegmentBuffers(MIB, 2 * MIB));
        assertThat("the refusal says a segment cannot fit",
                   e.getMessage().contains("cannot hold one segment"), is(true));
    }
}
