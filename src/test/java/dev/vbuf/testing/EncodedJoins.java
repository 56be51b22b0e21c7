package dev.vbuf.testing;

import java.util.List;

import dev.vbuf.tools.BoundaryCheck;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The check for joins of re-encoded audio (stereo, 48 kHz), which cannot be bit-identical: audio assembled from
 * per-segment replies is placed to the sample and, at every join, no worse than the same encoder run once over the
 * whole input is anywhere more than 100 ms from a join (the chirp rises, so a window between joins alone says little).
 */
public final class EncodedJoins {
    private static final int RATE = 48_000;
    private static final int CHANNELS = 2;

    private EncodedJoins() {
    }

    /**
     * Prints the per-segment encode and the single-pass encode against the lossless source, and asserts the check.
     *
     * @param ours       the replies decoded, trimmed and joined
     * @param boundaries where they meet, in samples per channel
     * @param lossless   the source decoded without loss
     * @param singlePass the same encoder once over the whole input, decoded
     */
    public static BoundaryCheck.Report assertWithinSinglePassError(String what, short[] ours, List<Long> boundaries,
                                                                    short[] lossless, short[] singlePass) {
        BoundaryCheck.Report o = BoundaryCheck.compare(ours, lossless, CHANNELS, RATE, boundaries);
        BoundaryCheck.Report reference = BoundaryCheck.compare(singlePass, lossless, CHANNELS, RATE, boundaries);
        System.out.println(what + " per segment vs the source: " + o);
        int level = awayLevel(singlePass, lossless, boundaries);
        System.out.println(what + " single pass vs the source: " + reference + ", away from boundaries: " + level);
        assertThat(o.lengthDiff(), is(0L));
        assertThat(o.worstOffset(), lessThanOrEqualTo(1));
        for (int b = 0; b < boundaries.size(); b++) {
            assertThat(what + ", boundary " + b, o.boundaries().get(b).maxError(), lessThanOrEqualTo(level));
        }
        return o;
    }

    /** The largest error of {@code coded} against {@code source} in the windows more than 100 ms from every join. */
    public static int awayLevel(short[] coded, short[] source, List<Long> boundaries) {
        int margin = RATE / 10;
        long n = Math.min(coded.length, source.length) / CHANNELS;
        int max = 0;
        for (long i = margin; i < n - margin; i++) {
            long at = i;
            if (boundaries.stream().anyMatch(b -> Math.abs(b - at) <= margin)) {
                continue;
            }
            for (int c = 0; c < CHANNELS; c++) {
                max = Math.max(max, Math.abs(coded[(int) (CHANNELS * i + c)] - source[(int) (CHANNELS * i + c)]));
            }
        }
        return max;
    }
}
