package dev.vbuf.gapless;

import java.util.Arrays;

import dev.vbuf.core.AudioPlacement;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.protocol.OutputFormat;

/**
 * The server's trim of pcm replies in protocol v1.1: FFmpeg decodes from a sample a little before the cut (so the
 * resampler has settled), and the samples before and after the planned ones are dropped here, so the replies
 * concatenate to a single-pass decode. A shorter output than planned keeps what there is, and says so.
 */
final class PcmTrim {
    private PcmTrim() {
    }

    static SegmentAudio trim(SegmentAudio audio, GaplessPlan plan) {
        int frame = OutputFormat.PCM_CHANNELS * OutputFormat.PCM_BYTES_PER_SAMPLE;
        long have = audio.bytes().length / frame;
        long from = Math.min(have, plan.keepFrom());
        long keep = Math.max(0, Math.min(plan.keep(), have - from));
        byte[] pcm = Arrays.copyOfRange(audio.bytes(), (int) (from * frame), (int) ((from + keep) * frame));
        AudioPlacement p = plan.placement();
        AudioPlacement placed = keep == p.samples() ? p
                : new AudioPlacement(p.pts(), p.timescale(), p.startSec(),
                                     p.startSec() + keep / (double) p.sampleRate(), p.sampleRate(),
                                     keep, 0, 0, p.gapless(), p.coldReason(), p.carry());
        return new SegmentAudio(audio.format(), pcm, keep * 1000 / OutputFormat.PCM_SAMPLE_RATE, audio.processing(),
                                audio.queued(), placed);
    }
}
