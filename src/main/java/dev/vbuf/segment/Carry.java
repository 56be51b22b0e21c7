package dev.vbuf.segment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

import dev.vbuf.media.TsAudio;

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
 * @param codec     {@code adts} (AAC-LC in ADTS frames)
 * @param origin    PTS (90 kHz) of the first audio sample of the stream the carry belongs to; sample positions are
 *                  counted from it, so every instance cuts at the same samples
 * @param firstPts  PTS of the first carried frame
 * @param endPts    PTS right after the last carried frame: where the next segment's audio must start
 * @param frames    the frames, base64
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record Carry(int v, String codec, long origin, long firstPts, long endPts, String frames) {
    public static final int VERSION = 1;
    /** Frames carried: two are enough for a bit-exact AAC decode, the others give an encoder a warm-up. */
    public static final int FRAMES = 4;
    /** Longest carry string accepted. */
    public static final int MAX_CHARS = 8192;
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

    /** The carry for the segment after one whose ADTS frames are {@code frames}. */
    static Carry after(long origin, List<TsAudio.Frame> frames, long endPts) {
        List<TsAudio.Frame> last = frames.subList(Math.max(0, frames.size() - FRAMES), frames.size());
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        last.forEach(f -> b.writeBytes(f.bytes()));
        return new Carry(VERSION, "adts", origin, last.get(0).pts(), endPts,
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
        if (!"adts".equals(c.codec) || c.frames == null || !inRange(c.origin) || !inRange(c.firstPts)
            || !inRange(c.endPts) || c.origin > c.firstPts || c.firstPts >= c.endPts) {
            throw new Rejected("carry fields are out of range");
        }
        return c;
    }

    private static boolean inRange(long pts) {
        return pts >= 0 && pts <= MAX_PTS;
    }

    /**
     * The carried frames, checked against the segment that follows: whole ADTS frames of the same configuration, at
     * most {@link #FRAMES}, ending where the segment's audio begins.
     */
    byte[] framesFor(TsAudio.AdtsConfig config, long segmentFirstPts) throws Rejected {
        byte[] b;
        try {
            b = Base64.getDecoder().decode(frames);
        } catch (IllegalArgumentException e) {
            throw new Rejected("carry frames are not base64");
        }
        int count = 0;
        for (int i = 0; i < b.length; count++) {
            if (i + 7 > b.length) {
                throw new Rejected("carry frames are not whole ADTS frames");
            }
            int len = ((b[i + 3] & 3) << 11) | ((b[i + 4] & 0xFF) << 3) | ((b[i + 5] & 0xFF) >> 5);
            Optional<TsAudio.AdtsConfig> c = TsAudio.config(java.util.Arrays.copyOfRange(b, i, Math.min(b.length, i + 7)));
            if (len < 7 || i + len > b.length || c.isEmpty() || count >= FRAMES) {
                throw new Rejected("carry frames are not whole ADTS frames");
            }
            if (!c.get().equals(config)) {
                throw new Rejected("carry audio configuration differs from the segment's");
            }
            i += len;
        }
        if (count == 0) {
            throw new Rejected("carry holds no frames");
        }
        long frameTicks = Math.round((double) TsAudio.AAC_FRAME_SAMPLES * TsAudio.TIMESCALE / config.sampleRate());
        if (Math.abs(firstPts + count * frameTicks - endPts) > count) {
            throw new Rejected("carry timestamps do not match its frames");
        }
        if (Math.abs(endPts - segmentFirstPts) > 2) {
            throw new Rejected("carry ends at PTS " + endPts + ", this segment's audio starts at " + segmentFirstPts
                               + " (not the next segment: a seek, a gap or a lost reply)");
        }
        return b;
    }

    int frameCount(byte[] framesBytes) {
        int count = 0;
        for (int i = 0; i < framesBytes.length; count++) {
            i += ((framesBytes[i + 3] & 3) << 11) | ((framesBytes[i + 4] & 0xFF) << 3) | ((framesBytes[i + 5] & 0xFF) >> 5);
        }
        return count;
    }
}
