package dev.vbuf.media;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Self-delimiting audio frames as MPEG-TS carries them: AAC in ADTS, MPEG audio (layers I–III: MP2, MP3) and AC-3.
 * For each, the length of a frame and the configuration in its header that must not change within one stream (so a
 * carried frame can be matched with the segment it is put in front of). Nothing is decoded.
 * <p>
 * Untrusted input: every offset is bounds-checked; a header that is not one of these gives {@link Optional#empty()}.
 */
public final class AudioFrames {
    private AudioFrames() {
    }

    /** The codecs whose frames can be read, each with its name in a carry and its MPEG-TS stream types. */
    public enum Codec {
        /** AAC-LC in ADTS frames (stream type 0x0F). */
        ADTS("adts"),
        /** MPEG-1/2 audio, layers I–III (stream types 0x03, 0x04). */
        MPEG_AUDIO("mpa"),
        /** AC-3 (ATSC stream type 0x81). */
        AC3("ac3");

        private final String id;

        Codec(String id) {
            this.id = id;
        }

        /** The codec's name where it is written down (a carry). */
        public String id() {
            return id;
        }

        /** The codec named {@code id}, or empty. */
        public static Optional<Codec> byId(String id) {
            return Arrays.stream(values()).filter(c -> c.id.equals(id)).findFirst();
        }

        /** The codec of an MPEG-TS stream type, or empty for one whose frames are not read here. */
        public static Optional<Codec> ofStreamType(int streamType) {
            return switch (streamType) {
                case 0x0F -> Optional.of(ADTS);
                case 0x03, 0x04 -> Optional.of(MPEG_AUDIO);
                case 0x81 -> Optional.of(AC3);
                default -> Optional.empty();
            };
        }
    }

    /**
     * What stays the same from frame to frame of one stream.
     *
     * @param codec           the codec
     * @param sampleRate      samples per second
     * @param samplesPerFrame samples (per channel) one frame decodes to
     * @param layout          the codec's header fields that must match (profile and channel configuration for AAC;
     *                        version, layer and mono/stereo for MPEG audio; bsid, acmod and LFE for AC-3)
     */
    public record Config(Codec codec, int sampleRate, int samplesPerFrame, int layout) {
        /** One frame's duration in 1/{@code timescale} s, rounded. */
        public long frameTicks(int timescale) {
            return Math.round((double) samplesPerFrame * timescale / sampleRate);
        }
    }

    /** One frame: its length in bytes and its configuration. */
    public record Header(int length, Config config) {
    }

    /** One whole frame and the presentation time it starts at (in its track's timescale). */
    public record Frame(long pts, byte[] bytes) {
    }

    private static final int[] ADTS_RATES = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
                                             11025, 8000, 7350};
    private static final int[] MPA_RATES = {44100, 48000, 32000};
    /** kbit/s by [MPEG-1 ? 0 : 1][layer I, II, III][bitrate index 1..14]. */
    private static final int[][][] MPA_BITRATES = {
            {{32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
             {32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
             {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
            {{32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
             {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
             {8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}}};
    private static final int[] AC3_RATES = {48000, 44100, 32000};
    private static final int[] AC3_BITRATES = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384,
                                               448, 512, 576, 640};
    /** Most frames one stream of a segment may hold. */
    public static final int MAX_FRAMES = 100_000;
    /** Bytes of an ADTS header without a CRC. */
    public static final int ADTS_HEADER = 7;

    /** The header of the frame at {@code b[i]}, which must lie whole within {@code b[i, limit)}; else empty. */
    public static Optional<Header> header(Codec codec, byte[] b, int i, int limit) {
        if (i < 0 || limit > b.length) {
            return Optional.empty();
        }
        Optional<Header> h = switch (codec) {
            case ADTS -> adts(b, i, limit);
            case MPEG_AUDIO -> mpegAudio(b, i, limit);
            case AC3 -> ac3(b, i, limit);
        };
        return h.filter(x -> x.length() > 0 && i + x.length() <= limit);
    }

    /** The configuration of the frame {@code frame} of a stream of {@code codec}, or empty when it is not one. */
    public static Optional<Config> config(Codec codec, byte[] frame) {
        return header(codec, frame, 0, frame.length).map(Header::config);
    }

    /** Samples per second of an ADTS {@code sampling_frequency_index}, or 0 for a reserved one. */
    public static int adtsSampleRate(int rateIndex) {
        return rateIndex >= 0 && rateIndex < ADTS_RATES.length ? ADTS_RATES[rateIndex] : 0;
    }

    /**
     * An ADTS header (MPEG-4, no CRC, one raw data block) for an access unit of {@code size} bytes, followed by room
     * for it.
     *
     * @param profile the AAC object type minus one (1 for AAC-LC)
     */
    public static byte[] adtsFrame(int profile, int rateIndex, int channels, int size) {
        int len = ADTS_HEADER + size;
        byte[] h = new byte[len];
        h[0] = (byte) 0xFF;
        h[1] = (byte) 0xF1;
        h[2] = (byte) ((profile << 6) | (rateIndex << 2) | (channels >> 2));
        h[3] = (byte) (((channels & 3) << 6) | (len >> 11));
        h[4] = (byte) (len >> 3);
        h[5] = (byte) (((len & 7) << 5) | 0x1F); // buffer fullness 0x7FF: variable rate
        h[6] = (byte) 0xFC; // ... and one raw data block
        return h;
    }

    /**
     * Splits {@code b} into whole frames of one configuration, or empty when it is not exactly that (a partial frame,
     * a frame of another stream).
     */
    public static Optional<List<byte[]>> split(Codec codec, byte[] b, Config expected) {
        List<byte[]> frames = new ArrayList<>();
        Config config = expected;
        for (int i = 0; i < b.length; ) {
            Optional<Header> h = header(codec, b, i, b.length);
            if (h.isEmpty() || (config != null && !config.equals(h.get().config())) || frames.size() >= MAX_FRAMES) {
                return Optional.empty();
            }
            config = h.get().config();
            frames.add(Arrays.copyOfRange(b, i, i + h.get().length()));
            i += h.get().length();
        }
        return Optional.of(frames);
    }

    private static Optional<Header> adts(byte[] f, int i, int limit) {
        if (i + 7 > limit || (f[i] & 0xFF) != 0xFF || (f[i + 1] & 0xF6) != 0xF0) {
            return Optional.empty();
        }
        int rateIndex = (f[i + 2] >> 2) & 0xF;
        if (rateIndex >= ADTS_RATES.length || (f[i + 6] & 3) != 0) {
            return Optional.empty(); // a reserved rate, or several raw blocks per frame
        }
        int len = ((f[i + 3] & 3) << 11) | ((f[i + 4] & 0xFF) << 3) | ((f[i + 5] & 0xFF) >> 5);
        int layout = (((f[i + 2] >> 6) & 3) << 3) | ((f[i + 2] & 1) << 2) | ((f[i + 3] >> 6) & 3);
        return len < 7 ? Optional.empty()
                : Optional.of(new Header(len, new Config(Codec.ADTS, ADTS_RATES[rateIndex], 1024, layout)));
    }

    private static Optional<Header> mpegAudio(byte[] f, int i, int limit) {
        if (i + 4 > limit || (f[i] & 0xFF) != 0xFF || (f[i + 1] & 0xE0) != 0xE0) {
            return Optional.empty();
        }
        int version = (f[i + 1] >> 3) & 3; // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
        int layer = 4 - ((f[i + 1] >> 1) & 3); // 1, 2, 3 (4: reserved)
        int bitrateIndex = (f[i + 2] >> 4) & 0xF;
        int rateIndex = (f[i + 2] >> 2) & 3;
        if (version == 1 || layer == 4 || bitrateIndex == 0 || bitrateIndex == 15 || rateIndex == 3) {
            return Optional.empty(); // reserved values, or free format (no length in the header)
        }
        boolean mpeg1 = version == 3;
        int rate = MPA_RATES[rateIndex] >> (mpeg1 ? 0 : version == 2 ? 1 : 2);
        int bitrate = MPA_BITRATES[mpeg1 ? 0 : 1][layer - 1][bitrateIndex - 1] * 1000;
        int padding = (f[i + 2] >> 1) & 1;
        int len;
        int samples;
        if (layer == 1) {
            len = (12 * bitrate / rate + padding) * 4;
            samples = 384;
        } else {
            samples = layer == 3 && !mpeg1 ? 576 : 1152;
            len = samples / 8 * bitrate / rate + padding;
        }
        int mono = ((f[i + 3] >> 6) & 3) == 3 ? 1 : 0;
        return Optional.of(new Header(len, new Config(Codec.MPEG_AUDIO, rate, samples, (version << 3) | (layer << 1) | mono)));
    }

    private static Optional<Header> ac3(byte[] f, int i, int limit) {
        if (i + 8 > limit || (f[i] & 0xFF) != 0x0B || (f[i + 1] & 0xFF) != 0x77) {
            return Optional.empty();
        }
        int fscod = (f[i + 4] >> 6) & 3;
        int frmsizecod = f[i + 4] & 0x3F;
        int bsid = (f[i + 5] >> 3) & 0x1F;
        if (fscod == 3 || frmsizecod >= 2 * AC3_BITRATES.length || bsid > 8) {
            return Optional.empty(); // a reserved rate or size, or E-AC-3 (bsid 16)
        }
        int rate = AC3_RATES[fscod];
        int bits = AC3_BITRATES[frmsizecod / 2] * 1000 * 1536 / rate;
        int words = bits / 16 + (fscod == 1 ? frmsizecod & 1 : 0);
        // byte 6 on: acmod (3 bits), then mix levels that depend on it, then lfeon
        int acmod = (f[i + 6] >> 5) & 7;
        int bit = 3;
        if ((acmod & 1) != 0 && acmod != 1) {
            bit += 2;
        }
        if ((acmod & 4) != 0) {
            bit += 2;
        }
        if (acmod == 2) {
            bit += 2;
        }
        int lfe = ((f[i + 6 + bit / 8] & 0xFF) >> (7 - bit % 8)) & 1;
        return Optional.of(new Header(words * 2, new Config(Codec.AC3, rate, 1536, (bsid << 4) | (acmod << 1) | lfe)));
    }
}
