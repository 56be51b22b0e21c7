package dev.vbuf.gapless;

/** Where segments meet on a stream's timeline: the one rule the planner, the carry and the kept carries share. */
final class Timeline {
    private Timeline() {
    }

    /**
     * Whether a segment whose audio starts at {@code firstPts} follows one whose audio ended at {@code endPts} (times
     * in 1/{@code timescale} s): within a millisecond, since packagers may round a segment's start to one (FFmpeg's
     * segment muxer writes it as an edit list in ms); the carry's timeline is then kept, so nothing is lost or doubled.
     */
    static boolean follows(long endPts, long firstPts, int timescale) {
        return Math.abs(endPts - firstPts) <= timescale / 1000 + 2;
    }

    /** Sample index (at rate {@code r}) of a presentation time (in 1/ts s), counted from {@code origin}. */
    static long index(long pts, long origin, int r, int ts) {
        return Math.floorDiv((pts - origin) * r * 2 + ts, 2L * ts);
    }
}
