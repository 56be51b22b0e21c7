package dev.vbuf.media;

import java.util.Optional;

/**
 * The fields of fragmented MP4's per-track boxes, read one way for the input's audio samples ({@link Mp4Parser}) and
 * for the duration of vbuf's own fMP4 output ({@link AudioDuration}): the media timescale ({@code mdhd}), the movie's
 * sample defaults ({@code trex}), a track fragment's header ({@code tfhd}) and its runs of samples ({@code trun}).
 * Untrusted input: a field that does not fit in its box gives {@link Optional#empty()} (or an incomplete header).
 */
final class Fmp4Fragments {
    static final int TFHD_BASE_DATA_OFFSET = 0x1;
    static final int TFHD_SAMPLE_DESCRIPTION = 0x2;
    static final int TFHD_DEFAULT_DURATION = 0x8;
    static final int TFHD_DEFAULT_SIZE = 0x10;
    static final int TFHD_DEFAULT_FLAGS = 0x20;
    static final int TFHD_DEFAULT_BASE_IS_MOOF = 0x20000;
    static final int TRUN_DATA_OFFSET = 0x1;
    static final int TRUN_FIRST_FLAGS = 0x4;
    static final int TRUN_DURATION = 0x100;
    static final int TRUN_SIZE = 0x200;
    static final int TRUN_FLAGS = 0x400;
    static final int TRUN_CTO = 0x800;

    private Fmp4Fragments() {
    }

    /**
     * A track fragment header.
     *
     * @param defaultDuration its default sample duration, or -1 when it sets none
     * @param defaultSize     its default sample size, or -1
     * @param complete        whether every field its flags announce fits in the box
     */
    record FragmentHeader(int flags, long trackId, long defaultDuration, long defaultSize, boolean complete) {
        boolean has(int flag) {
            return (flags & flag) != 0;
        }
    }

    /** The header of a {@code tfhd} box, or empty when not even its flags and track id fit. */
    static Optional<FragmentHeader> tfhd(byte[] d, Mp4Boxes.Box box) {
        int t = box.bodyStart();
        int end = box.end();
        if (t + 8 > end) {
            return Optional.empty();
        }
        int flags = (int) (Mp4Boxes.u32(d, t) & 0xFFFFFF);
        int p = t + 8 + ((flags & TFHD_BASE_DATA_OFFSET) != 0 ? 8 : 0) + ((flags & TFHD_SAMPLE_DESCRIPTION) != 0 ? 4 : 0);
        long duration = -1;
        long size = -1;
        if ((flags & TFHD_DEFAULT_DURATION) != 0) {
            duration = p + 4 <= end ? Mp4Boxes.u32(d, p) : -1;
            p += 4;
        }
        if ((flags & TFHD_DEFAULT_SIZE) != 0) {
            size = p + 4 <= end ? Mp4Boxes.u32(d, p) : -1;
            p += 4;
        }
        p += (flags & TFHD_DEFAULT_FLAGS) != 0 ? 4 : 0;
        return Optional.of(new FragmentHeader(flags, Mp4Boxes.u32(d, t + 4), duration, size, p <= end));
    }

    /**
     * One run of samples.
     *
     * @param dataOffset where its data starts relative to the base offset, when {@code hasDataOffset}
     * @param records    offset of the first sample record
     * @param recordSize bytes per sample record (0 when every sample takes the defaults)
     */
    record Run(byte[] d, int flags, long count, boolean hasDataOffset, int dataOffset, int records, int recordSize) {
        /** Sample {@code i}'s duration, or {@code fallback} when the run does not give one. */
        long duration(long i, long fallback) {
            return (flags & TRUN_DURATION) != 0 ? Mp4Boxes.u32(d, records + (int) i * recordSize) : fallback;
        }

        /** Sample {@code i}'s size, or {@code fallback}. */
        long size(long i, long fallback) {
            int at = records + (int) i * recordSize + ((flags & TRUN_DURATION) != 0 ? 4 : 0);
            return (flags & TRUN_SIZE) != 0 ? Mp4Boxes.u32(d, at) : fallback;
        }
    }

    /** A {@code trun} of at most {@code maxCount} samples whose records all fit in the box, or empty. */
    static Optional<Run> trun(byte[] d, Mp4Boxes.Box box, long maxCount) {
        int r = box.bodyStart();
        if (r + 8 > box.end()) {
            return Optional.empty();
        }
        int flags = (int) (Mp4Boxes.u32(d, r) & 0xFFFFFF);
        long count = Mp4Boxes.u32(d, r + 4);
        int q = r + 8;
        boolean hasOffset = (flags & TRUN_DATA_OFFSET) != 0;
        int offset = hasOffset && q + 4 <= box.end() ? (int) Mp4Boxes.u32(d, q) : 0; // signed
        q += hasOffset ? 4 : 0;
        q += (flags & TRUN_FIRST_FLAGS) != 0 ? 4 : 0;
        int recordSize = Integer.bitCount(flags & (TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_CTO)) * 4;
        if (count > maxCount || q + count * recordSize > box.end()) {
            return Optional.empty();
        }
        return Optional.of(new Run(d, flags, count, hasOffset, offset, q, recordSize));
    }

    /** The media timescale of an {@code mdhd} box, or -1 when it does not fit in the box. */
    static long mdhdTimescale(byte[] d, Mp4Boxes.Box mdhd) {
        int b = mdhd.bodyStart();
        return b < mdhd.end() && b + (d[b] == 1 ? 24 : 16) <= mdhd.end() ? versioned(d, mdhd, 20, 12) : -1;
    }

    /** A field of a full box at {@code v1} bytes into its body in version 1, {@code v0} in version 0. */
    static long versioned(byte[] d, Mp4Boxes.Box box, int v1, int v0) {
        int b = box.bodyStart();
        return Mp4Boxes.u32(d, b + (d[b] == 1 ? v1 : v0));
    }

    /** {default sample duration, default sample size} of a {@code trex} box, or null when they do not fit. */
    static long[] trexDefaults(byte[] d, Mp4Boxes.Box trex) {
        int o = trex.bodyStart();
        return o + 20 <= trex.end() ? new long[] {Mp4Boxes.u32(d, o + 12), Mp4Boxes.u32(d, o + 16)} : null;
    }

    /** The track id of a {@code trex} box (read by the caller only when {@link #trexDefaults} fit). */
    static long trexTrackId(byte[] d, Mp4Boxes.Box trex) {
        return Mp4Boxes.u32(d, trex.bodyStart() + 4);
    }
}
