package dev.vbuf.media;

import java.util.List;
import java.util.OptionalLong;

/**
 * The duration of vbuf's own stream-copied output, read from the output itself. FFmpeg's {@code out_time} reports 0
 * for a short stream copy from MPEG-TS (its muxer packs several AAC frames into one PES packet, which carries one
 * timestamp), so for {@code aac} and {@code fmp4} the frames are counted instead.
 */
public final class AudioDuration {
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
            int rate = AudioFrames.adtsSampleRate((adts[i + 2] >> 2) & 0x0F);
            int length = ((adts[i + 3] & 0x03) << 11) | ((adts[i + 4] & 0xFF) << 3) | ((adts[i + 5] & 0xE0) >> 5);
            int blocks = (adts[i + 6] & 0x03) + 1;
            if (rate == 0 || length < AudioFrames.ADTS_HEADER) {
                return OptionalLong.empty();
            }
            micros += blocks * 1024L * 1_000_000L / rate;
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
                switch (box.type()) {
                    case "moov", "trak", "mdia", "mvex", "moof", "traf" -> walk(Mp4Boxes.children(d, box));
                    case "mdhd" -> timescale = Fmp4Fragments.mdhdTimescale(d, box);
                    case "trex" -> trexDuration = required(Fmp4Fragments.trexDefaults(d, box))[0];
                    case "tfhd" -> tfhdDuration = Math.max(0, required(Fmp4Fragments.tfhd(d, box)
                            .filter(Fmp4Fragments.FragmentHeader::complete).orElse(null)).defaultDuration());
                    case "trun" -> ticks += trunTicks(required(Fmp4Fragments.trun(d, box, Long.MAX_VALUE)
                                                                  .orElse(null)));
                    default -> { }
                }
                if (box.type().equals("traf")) {
                    tfhdDuration = 0; // defaults hold for one track fragment
                }
            }
        }

        private static <T> T required(T field) throws Mp4Boxes.MalformedBox {
            if (field == null) {
                throw new Mp4Boxes.MalformedBox("a field past its box", false);
            }
            return field;
        }

        private long trunTicks(Fmp4Fragments.Run run) {
            long each = tfhdDuration > 0 ? tfhdDuration : trexDuration;
            if ((run.flags() & Fmp4Fragments.TRUN_DURATION) == 0) {
                return run.count() * each;
            }
            long sum = 0;
            for (long s = 0; s < run.count(); s++) {
                sum += run.duration(s, each);
            }
            return sum;
        }
    }
}
