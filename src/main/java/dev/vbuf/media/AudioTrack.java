package dev.vbuf.media;

import java.util.List;

/**
 * The first audio track of a parsed segment, as protocol v1.1 plans with it: its frames with their presentation
 * times, their configuration, the unit of those times, and how carried frames are written back in front of it in the
 * segment's own container (the pre-roll reaches FFmpeg on the same stdin pipe, through the same forced demuxer).
 */
public sealed interface AudioTrack permits TsAudioTrack, Fmp4AudioTrack {
    /** 90 kHz: the clock of MPEG-TS presentation times. */
    int TS_TIMESCALE = TsParser.TIMESCALE;
    /** fMP4 presentation times beyond this are refused (so sample arithmetic cannot overflow). */
    long MAX_MP4_TIME = 1L << 40;

    /** The track's frames (for fMP4, its AAC samples as ADTS frames) with their presentation times, in order. */
    List<AudioFrames.Frame> frames();

    AudioFrames.Config config();

    /** Units of the frames' times per second: 90 kHz for MPEG-TS, the track's timescale for fMP4. */
    int timescale();

    /** Where in the segment a pre-roll goes (0: in front). */
    int prerollAt();

    /** Carried frames of this track's configuration written in the segment's container, the first at {@code firstPts}. */
    byte[] preroll(long firstPts, List<byte[]> frames);

    default long firstPts() {
        return frames().get(0).pts();
    }

    /** Right after the last frame: where the next segment's audio starts. */
    default long endPts() {
        return frames().get(frames().size() - 1).pts() + config().frameTicks(timescale());
    }
}
