package dev.vbuf.core;

/**
 * Where the audio of one reply sits on the input's timeline, and what a client keeps of it (protocol v1.1).
 *
 * @param pts              presentation time of the segment's first audio sample as the input carried it
 * @param timescale        units of {@code pts} per second (90 000 for MPEG-TS)
 * @param startSec         input-timeline time (seconds) where the audio to keep begins
 * @param endSec           input-timeline time (seconds) where it ends
 * @param sampleRate       the reply's sample rate
 * @param samples          samples (per channel) to keep
 * @param trimStartSamples samples to drop from the start of the reply as FFmpeg decodes it
 * @param trimEndSamples   samples to drop from its end
 * @param gapless          {@code copy} (stream copy: nothing to trim), {@code warm} (a pre-roll was decoded first), or
 *                         {@code cold} (no pre-roll: the first milliseconds differ from a single-pass decode)
 * @param coldReason       why a carry the client sent was not used, or null
 * @param carry            the opaque carry to send with the next segment, or null
 */
public record AudioPlacement(long pts, int timescale, double startSec, double endSec, int sampleRate, long samples,
                             long trimStartSamples, long trimEndSamples, String gapless, String coldReason,
                             String carry) {
    public static final String COPY = "copy";
    public static final String WARM = "warm";
    public static final String COLD = "cold";
}
