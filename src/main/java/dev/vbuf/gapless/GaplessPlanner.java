package dev.vbuf.gapless;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.List;
import java.util.Locale;

import dev.vbuf.core.AudioPlacement;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.media.AudioFrames;
import dev.vbuf.media.AudioTrack;
import dev.vbuf.protocol.Protocol;

/**
 * Protocol v1.1's placement of one segment's audio on the input's timeline, and its gapless pre-roll, planned before
 * FFmpeg runs, from the segment's one parse. Works on MPEG-TS segments with AAC (ADTS), MPEG audio (MP2, MP3) or AC-3
 * audio and fragmented MP4 with AAC-LC; anything else gets no plan (the reply is as in v1).
 * <p>
 * Sample positions are counted at the input's sample rate from the stream's {@code origin} (the PTS of its first
 * audio sample, handed on in every {@link Carry}), so every instance cuts at the same samples. Segment {@code k}'s
 * audio is {@code [B_k, B_k+1)}: {@code B_k} lies {@link #EARLY_CUT_MS} ms before its first frame when a pre-roll is
 * decoded, so the previous segment's encoder and resampler tail (its last 10 ms, computed without what follows) is
 * dropped and this segment's warmed-up audio is used instead. Without a carry (first segment, a seek, a lost reply)
 * {@code B_k} is the first frame.
 */
public final class GaplessPlanner {
    /** How far before a segment's first frame the cut between it and its predecessor lies. */
    public static final int EARLY_CUT_MS = 20;
    /**
     * The same for AAC encoded from MP3 or AC-3: an AAC frame's quantisation noise spreads over its 2,048-sample
     * window, so the end of the previous segment's encode (the signal stopping dead) reaches further back.
     */
    public static final int AAC_EARLY_CUT_MS = 60;
    /** Audio decoded before the cut for the resampler (pcm), the Opus encoder (webm) or the AAC encoder to settle. */
    static final int PCM_LEAD_MS = 20;
    static final int ENCODER_LEAD_MS = 40;
    static final int AAC_LEAD_MS = 80;
    /** Priming samples libopus puts in front (FFmpeg removes them when it decodes, from the WebM CodecDelay). */
    static final int OPUS_RATE = 48_000;
    /**
     * FFmpeg's AAC encoder (aac and fmp4 from MP3 or AC-3 input): the priming it puts in front, which neither ADTS
     * nor the fragmented MP4 it writes (edit list {@code media_time} 0) hides, and its frame length.
     */
    public static final int AAC_PRIMING = 1024;
    static final int AAC_FRAME = 1024;

    private GaplessPlanner() {
    }

    /**
     * Protocol v1.1's plan for a segment whose audio track is {@code audio}, described by {@code message} (null when
     * none came): its carry is the client's when it sent one, else the one the session kept for the PTS the segment
     * starts at; the carry for its successor is kept in turn.
     */
    public static GaplessPlan plan(AudioTrack audio, OutputFormat format, Protocol.SegmentMessage message,
                                   SessionCarries carries) {
        String carry = message != null && message.carry() != null ? message.carry() : carries.keptFor(audio);
        GaplessPlan plan = plan(audio, format, carry, message != null && message.isLast());
        carries.keep(plan.nextFirstPts(), plan.nextCarry());
        return plan;
    }

    /**
     * @param carry the carry the client sent, or (absent that) the one the session kept for this segment's first
     *              PTS; null for none
     * @param last  the client says no segment follows: keep the audio to its very end
     */
    public static GaplessPlan plan(AudioTrack a, OutputFormat format, String carry, boolean last) {
        int r = a.config().sampleRate();
        int frame = a.config().samplesPerFrame();
        AudioFrames.Codec codec = a.config().codec();
        boolean copy = (format == OutputFormat.AAC || format == OutputFormat.FMP4) && codec == AudioFrames.Codec.ADTS;
        long p0 = a.firstPts();
        int ts = a.timescale();
        String coldReason = null;
        Carry used = null;
        List<byte[]> carried = List.of();
        if (carry != null && !copy) {
            try {
                used = Carry.decode(carry);
                carried = used.framesFor(a.config(), ts, p0);
            } catch (Carry.Rejected e) {
                coldReason = e.getMessage();
                used = null;
            }
        }
        boolean warm = used != null;
        // warm: the segment is placed on the carry's timeline, which its own start may miss by a rounding
        long delta = warm ? used.endPts() - p0 : 0;
        long origin = warm ? used.origin() : p0;
        int m = carried.size();
        long first = Timeline.index(p0 + delta, origin, r, ts);
        long end = first + (long) a.frames().size() * frame;
        long decoded0 = first - (long) m * frame;
        long eps = (long) r * (copy || !encodesAac(format) ? EARLY_CUT_MS : AAC_EARLY_CUT_MS) / 1000;
        long from = warm ? first - eps : first;
        long to = last ? end : end - eps;
        String next = Carry.after(codec, ts, origin, a.frames(), delta, a.endPts() + delta).encode();
        // the pre-roll ends exactly where the segment's audio begins, on the segment's own clock
        byte[] preroll = warm ? a.preroll(p0 - m * a.config().frameTicks(ts), carried) : new byte[0];
        int at = a.prerollAt();
        String gapless = warm ? AudioPlacement.WARM : AudioPlacement.COLD;
        double startSec = origin / (double) ts + from / (double) r;
        double endSec = origin / (double) ts + to / (double) r;
        switch (format) {
            case AAC, FMP4 -> {
                if (copy) {
                    // stream copy: the frames as they are, gapless by nature
                    long samples = (long) a.frames().size() * frame;
                    return new GaplessPlan(new byte[0], 0, null, 0, -1,
                                    new AudioPlacement(p0, ts, p0 / (double) ts, p0 / (double) ts + samples / (double) r, r,
                                                       samples, 0, 0, AudioPlacement.COPY, null, next),
                                    a.endPts(), next);
                }
                // MP3 or AC-3 encoded to AAC at the input's rate: warmed up from the pre-roll, the encoder's first
                // sample stamped with its input time; it puts AAC_PRIMING samples in front, which the trims drop
                long s = warm ? Math.max(decoded0, from - (long) r * AAC_LEAD_MS / 1000) : first;
                long encoded = ((end - s + AAC_FRAME - 1) / AAC_FRAME + 1) * AAC_FRAME;
                long trimStart = AAC_PRIMING + from - s;
                return new GaplessPlan(preroll, at, trimFilter(s - decoded0, startTime(origin, ts, s, r)), 0, -1,
                                new AudioPlacement(p0, ts, startSec, endSec, r, to - from, trimStart,
                                                   encoded - trimStart - (to - from), gapless, coldReason, next),
                                a.endPts(), next);
            }
            case PCM -> {
                int out = OutputFormat.PCM_SAMPLE_RATE;
                long period = r / gcd(r, out);
                long lead = (long) r * PCM_LEAD_MS / 1000;
                long s = warm ? Math.floorDiv(from - lead, period) * period
                              : Math.floorDiv(first + period - 1, period) * period;
                String filter = s > decoded0 ? trimFilter(s - decoded0, null) : null;
                long sOut = s / period * (out / gcd(r, out));
                long fromOut = Math.floorDiv(from * out, r);
                long toOut = Math.floorDiv(to * out, r);
                long keepFrom = Math.max(0, fromOut - sOut);
                long keep = toOut - Math.max(fromOut, sOut);
                return new GaplessPlan(preroll, at, filter, keepFrom, keep,
                                new AudioPlacement(p0, ts, startSec, endSec, out, keep, 0, 0, gapless,
                                                   coldReason, next),
                                a.endPts(), next);
            }
            case WEBM -> {
                long lead = (long) r * ENCODER_LEAD_MS / 1000;
                long s = warm ? from - lead : first;
                if (r == OPUS_RATE && origin * OPUS_RATE % ts == 0) {
                    // put the encoder's first sample on a 0.5 ms grid: with its 312 (6.5 ms) priming samples every
                    // Opus packet then starts on a whole millisecond, which is what WebM timestamps can say exactly
                    long abs = origin * OPUS_RATE / ts + s;
                    s -= Math.floorMod(abs, 24);
                    s = Math.max(s, decoded0);
                }
                String filter = trimFilter(s - decoded0, startTime(origin, ts, s, r));
                long o0 = Math.floorDiv(s * OPUS_RATE, r);
                long oFrom = Math.floorDiv(from * OPUS_RATE, r);
                long oTo = Math.floorDiv(to * OPUS_RATE, r);
                long oEnd = Math.floorDiv(end * OPUS_RATE, r);
                return new GaplessPlan(preroll, at, filter, 0, -1,
                                new AudioPlacement(p0, ts, startSec, endSec, OPUS_RATE, oTo - oFrom,
                                                   oFrom - o0, oEnd - oTo, gapless, coldReason, next),
                                a.endPts(), next);
            }
            default -> throw new IllegalStateException(format.toString());
        }
    }

    private static boolean encodesAac(OutputFormat format) {
        return format == OutputFormat.AAC || format == OutputFormat.FMP4;
    }

    /** The input time, exactly, of sample {@code s} counted at rate {@code r} from {@code origin} (in 1/ts s). */
    private static String startTime(long origin, int ts, long s, int r) {
        return BigDecimal.valueOf(origin).divide(BigDecimal.valueOf(ts), MathContext.DECIMAL64)
                .add(BigDecimal.valueOf(s).divide(BigDecimal.valueOf(r), MathContext.DECIMAL64)).toPlainString();
    }

    /** Drops the first {@code drop} decoded samples; with {@code startSec}, restamps the rest from that time. */
    private static String trimFilter(long drop, String startSec) {
        String f = String.format(Locale.ROOT, "asetpts=N/SR/TB,atrim=start_sample=%d", drop);
        return startSec == null ? f : f + ",asetpts=N/SR/TB+" + startSec + "/TB";
    }

    private static long gcd(long a, long b) {
        return b == 0 ? a : gcd(b, a % b);
    }
}
