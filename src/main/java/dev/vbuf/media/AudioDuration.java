package dev.vbuf.media;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;

/**
 * The duration of vbuf's own stream-copied output, read from the output itself. FFmpeg's {@code out_time} reports 0
 * for a short stream copy from MPEG-TS (its muxer packs several AAC frames into one PES packet, which carries one
 * timestamp), so for {@code aac} and {@code fmp4} the frames are counted instead.
 */
public final class AudioDuration {
    /** ADTS sampling_frequency_index → Hz (ISO/IEC 14496-3, 1.6.3.4). */
    private static final int[] ADTS_RATES = {96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
                                             11025, 8000, 7350};

    private AudioDuration() {
    }

    /** Microseconds of audio in an ADTS stream (1024 samples per raw data block), or empty if it is not well formed. */
    public static OptionalLong adtsMicros(byte[] adts) {
        long micros = 0;
        int i = 0;
        while (i + 7 <= adts.length) {
            if ((adts[i] & 0xFF) != 0xFF || (adts[i + 1] & 0xF6) != 0xF0) {
                return OptionalLong.empty();
            }
            int rateIndex = (adts[i + 2] >> 2) & 0x0F;
            int length = ((adts[i + 3] & 0x03) << 11) | ((adts[i + 4] & 0xFF) << 3) | ((adts[i + 5] & 0xE0) >> 5);
            int blocks = (adts[i + 6] & 0x03) + 1;
            if (rateIndex >= ADTS_RATES.length || length < 7) {
                return OptionalLong.empty();
            }
            micros += blocks * 1024L * 1_000_000L / ADTS_RATES[rateIndex];
            i += length;
        }
        return i == adts.length ? OptionalLong.of(micros) : OptionalLong.empty();
    }

    /**
     * Microseconds of media in a fragmented MP4 with one track: the sum of every {@code trun} sample's duration (its
     * own, else the {@code tfhd} default, else the {@code trex} default) over the track's {@code mdhd} timescale.
     * Empty if it is not well formed. An init segment with no fragments is 0.
     */
    public static OptionalLong fmp4Micros(byte[] mp4) {
        try {
            Fmp4 f = new Fmp4(mp4);
            f.walk(Mp4Boxes.topLevel(mp4));
            return f.timescale > 0 ? OptionalLong.of(f.ticks * 1_000_000L / f.timescale) : OptionalLong.empty();
        } catch (Mp4Boxes.MalformedBox | RuntimeException e) { // a box that runs past its parent, a field past its box
            return OptionalLong.empty();
        }
    }

    private static final class Fmp4 {
        private final byte[] d;
        private long timescale;
        private long trexDuration;
        private long tfhdDuration;
        private long ticks;

        Fmp4(byte[] d) {
            this.d = d;
        }

        void walk(List<Mp4Boxes.Box> boxes) throws Mp4Boxes.MalformedBox {
            for (Mp4Boxes.Box box : boxes) {
                ByteBuffer body = ByteBuffer.wrap(d, box.bodyStart(), box.end() - box.bodyStart()).slice();
                switch (box.type()) {
                    case "moov", "trak", "mdia", "mvex", "moof", "traf" -> walk(Mp4Boxes.children(d, box));
                    case "mdhd" -> timescale = mdhdTimescale(body);
                    case "trex" -> trexDuration = Integer.toUnsignedLong(body.getInt(12));
                    case "tfhd" -> tfhdDuration = tfhdDefaultDuration(body);
                    case "trun" -> ticks += trunTicks(body);
                    default -> { }
                }
                if (box.type().equals("traf")) {
                    tfhdDuration = 0; // defaults hold for one track fragment
                }
            }
        }

        private static long mdhdTimescale(ByteBuffer b) {
            int version = b.get(0) & 0xFF;
            return Integer.toUnsignedLong(b.getInt(version == 1 ? 20 : 12));
        }

        private static long tfhdDefaultDuration(ByteBuffer b) {
            int flags = b.getInt(0) & 0xFFFFFF;
            if ((flags & 0x08) == 0) {
                return 0;
            }
            int offset = 8 + ((flags & 0x01) != 0 ? 8 : 0) + ((flags & 0x02) != 0 ? 4 : 0);
            return Integer.toUnsignedLong(b.getInt(offset));
        }

        private long trunTicks(ByteBuffer b) {
            int flags = b.getInt(0) & 0xFFFFFF;
            long count = Integer.toUnsignedLong(b.getInt(4));
            int pos = 8 + ((flags & 0x01) != 0 ? 4 : 0) + ((flags & 0x04) != 0 ? 4 : 0);
            if ((flags & 0x100) == 0) {
                long each = tfhdDuration > 0 ? tfhdDuration : trexDuration;
                return count * each;
            }
            int perSample = 4 * Integer.bitCount(flags & 0xF00);
            long sum = 0;
            for (long s = 0; s < count; s++) {
                sum += Integer.toUnsignedLong(b.getInt(pos)); // the duration comes first in each sample's record
                pos += perSample;
            }
            return sum;
        }
    }
}
