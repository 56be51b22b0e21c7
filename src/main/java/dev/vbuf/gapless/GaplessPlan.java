package dev.vbuf.gapless;

import dev.vbuf.core.AudioPlacement;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.protocol.OutputFormat;

/**
 * What to run for one segment of protocol v1.1 ({@link GaplessPlanner}), and what to make of FFmpeg's output.
 *
 * @param preroll      what FFmpeg reads before the segment's audio (the carried frames as one PES in front of an
 *                     MPEG-TS segment, as one fragment in front of an fMP4 segment's first); empty when cold
 * @param prerollAt    where in the segment it goes (0: in front)
 * @param audioFilter  a filter to run first on the decoded audio, or null
 * @param keepFrom     for pcm: output samples to drop at the start (the server trims pcm), else 0
 * @param keep         for pcm: output samples to keep, else -1 (all)
 * @param placement    what the reply says
 * @param nextFirstPts where the next segment's audio starts, and {@code nextCarry} its carry
 */
public record GaplessPlan(byte[] preroll, int prerollAt, String audioFilter, long keepFrom, long keep,
                          AudioPlacement placement, long nextFirstPts, String nextCarry) {
    /**
     * How much audio FFmpeg's output of {@code format} holds, in microseconds, when the plan knows it (with the
     * input's timestamps kept FFmpeg's {@code out_time} is not the duration of an encode); -1 when the output is to
     * be measured (pcm, a stream copy).
     */
    public long knownAudioMicros(OutputFormat format) {
        AudioPlacement p = placement;
        return format == OutputFormat.PCM || AudioPlacement.COPY.equals(p.gapless()) ? -1
                : (p.trimStartSamples() + p.samples() + p.trimEndSamples()) * 1_000_000 / p.sampleRate();
    }

    /** FFmpeg's audio placed on the input's timeline: pcm trimmed to the planned samples (the server trims pcm). */
    public SegmentAudio place(SegmentAudio audio) {
        if (audio.format() != OutputFormat.PCM) {
            return new SegmentAudio(audio.format(), audio.bytes(), audio.audioMs(), audio.processing(), audio.queued(),
                                    placement);
        }
        return PcmTrim.trim(audio, this);
    }
}
