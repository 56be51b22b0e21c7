package dev.vbuf.gapless;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import dev.vbuf.media.AudioFrames;
import dev.vbuf.media.AudioTrack;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The pre-roll of protocol v1.1: the last input audio frames of one segment, handed to the client in its reply and
 * sent back with the next segment (to any instance), so that segment can be decoded as if it had never been cut.
 * On the wire it is an opaque base64url string of a small versioned JSON document. It comes back from the client, so
 * it is untrusted: size-capped, every field checked, its frames parsed and matched against the segment it is used
 * with; anything wrong makes the segment start cold, with the reason in the reply.
 *
 * @param v         format version ({@link #VERSION})
 * @param codec     the frames' codec: {@code adts} (AAC-LC in ADTS frames), {@code mpa} (MPEG audio: MP2, MP3) or
 *                  {@code ac3}
 * @param timescale units of the times below per second: 90 000 for MPEG-TS PTS, the track's timescale for fMP4
 * @param origin    presentation time of the first audio sample of the stream the carry belongs to; sample positions
 *                  are counted from it, so every instance cuts at the same samples
 * @param firstPts  PTS of the first carried frame
 * @param endPts    PTS right after the last carried frame: where the next segment's audio must start
 * @param frames    the frames, base64
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Carry(int v, String codec, int timescale, long origin, long firstPts, long endPts, String frames) {
    public static final int VERSION = 2;
    /**
     * AAC frames carried: two are enough for a bit-exact AAC decode, the others give an encoder a warm-up. MPEG audio
     * and AC-3 carry more ({@link #frames(AudioFrames.Codec)}): AAC encoded from them wants 140 ms decoded in front of
     * a segment, and an MP3 decoder's first frames after a cut lack their bit reservoir and decode to silence.
     */
    public static final int FRAMES = 4;
    /** Longest carry string accepted (five AC-3 frames at 640 kbit/s, base64 twice, fit). */
    public static final int MAX_CHARS = 32_768;
    private static final long MAX_PTS = (1L << 33) - 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** A carry that failed validation; the message says why (it goes into the reply). */
    public static final class Rejected extends Exception {
        Rejected(String message) {
            super(message);
        }
    }

    /** Frames carried for a codec. */
    static int frames(AudioFrames.Codec codec) {
        return switch (codec) {
            case ADTS -> FRAMES;
            case MPEG_AUDIO -> 8;
            case AC3 -> 5;
        };
    }

    /**
     * The carry for the segment after one whose frames (of {@code codec}) are {@code frames}, their times moved by
     * {@code delta} onto the stream's timeline.
     */
    static Carry after(AudioFrames.Codec codec, int timescale, long origin, List<AudioFrames.Frame> frames, long delta,
                       long endPts) {
        List<AudioFrames.Frame> last = frames.subList(Math.max(0, frames.size() - frames(codec)), frames.size());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        last.forEach(f -> b.writeBytes(f.bytes()));
        return new Carry(VERSION, codec.id(), timescale, origin, last.get(0).pts() + delta, endPts,
                         Base64.getEncoder().encodeToString(b.toByteArray()));
    }

    String encode() {
        try {
            return Base64.getUrlEncoder().withoutPadding().encodeToString(JSON.writeValueAsBytes(this));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a carry string from a client. */
    static Carry decode(String s) throws Rejected {
        if (s.length() > MAX_CHARS) {
            throw new Rejected("carry longer than " + MAX_CHARS + " characters");
        }
        Carry c;
        try {
            c = JSON.readValue(Base64.getUrlDecoder().decode(s), Carry.class);
        } catch (IllegalArgumentException | IOException e) {
            throw new Rejected("carry is not one this server wrote");
        }
        if (c.v != VERSION) {
            throw new Rejected("carry version " + c.v + " is not supported (this server reads " + VERSION + ")");
        }
        if (c.codec == null || AudioFrames.Codec.byId(c.codec).isEmpty() || c.frames == null || c.timescale <= 0
            || c.timescale > 1_000_000 || !c.inRange(c.origin) || !c.inRange(c.firstPts) || !c.inRange(c.endPts)
            || c.origin > c.firstPts || c.firstPts >= c.endPts) {
            throw new Rejected("carry fields are out of range");
        }
        return c;
    }

    private boolean inRange(long pts) {
        return pts >= 0 && pts <= (timescale == AudioTrack.TS_TIMESCALE ? MAX_PTS : AudioTrack.MAX_MP4_TIME);
    }

    /**
     * The carried frames, checked against the segment that follows: whole frames of its codec and configuration, at
     * most {@link #frames(AudioFrames.Codec)}, ending where the segment's audio begins.
     *
     * @param timescale       the unit of the segment's times
     * @return the frames, to put in front
     */
    List<byte[]> framesFor(AudioFrames.Config config, int timescale, long segmentFirstPts) throws Rejected {
        if (timescale != this.timescale) {
            throw new Rejected("carry times are in 1/" + this.timescale + " s, this segment's in 1/" + timescale
                               + " s (another stream)");
        }
        if (!config.codec().id().equals(codec)) {
            throw new Rejected("carry codec " + codec + " differs from the segment's (" + config.codec().id() + ")");
        }
        byte[] b = bytes();
        Optional<List<byte[]>> split = AudioFrames.split(config.codec(), b, null);
        if (split.isEmpty()) {
            throw new Rejected("carry frames are not whole " + codec + " frames of one stream");
        }
        int count = split.get().size();
        if (count == 0 || count > frames(config.codec())) {
            throw new Rejected("carry holds " + count + " frames (1 to " + frames(config.codec()) + " are accepted)");
        }
        if (!AudioFrames.config(config.codec(), split.get().get(0)).orElseThrow().equals(config)) {
            throw new Rejected("carry audio configuration differs from the segment's");
        }
        long frameTicks = config.frameTicks(timescale);
        if (Math.abs(firstPts + count * frameTicks - endPts) > count) {
            throw new Rejected("carry timestamps do not match its frames");
        }
        if (!Timeline.follows(endPts, segmentFirstPts, timescale)) {
            throw new Rejected("carry ends at PTS " + endPts + ", this segment's audio starts at " + segmentFirstPts
                               + " (not the next segment: a seek, a gap or a lost reply)");
        }
        return split.get();
    }

    private byte[] bytes() throws Rejected {
        try {
            return Base64.getDecoder().decode(frames);
        } catch (IllegalArgumentException e) {
            throw new Rejected("carry frames are not base64");
        }
    }
}
