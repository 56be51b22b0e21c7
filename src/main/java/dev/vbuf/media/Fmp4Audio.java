package dev.vbuf.media;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The first audio track of a fragmented MP4 segment sent with its init segment (ftyp, moov, then styp/sidx and
 * moof + mdat fragments, as HLS fMP4, CMAF and DASH serve them), read in Java with {@link Mp4Boxes} (nothing is
 * decoded): from the init, its track id, timescale, the shift its edit list gives and its AAC-LC configuration; from
 * the fragments, every audio sample with its presentation time ({@code tfdt} and the sample durations, edit-adjusted).
 * The samples are handed out as ADTS frames (a header made from the AudioSpecificConfig in front of each access
 * unit), so they are the frames an MPEG-TS stream of the same audio would carry. Also the inverse: one fragment
 * (moof + mdat) carrying given frames on the track, to put in front of the segment's first fragment.
 * <p>
 * Untrusted input: every offset is bounds-checked, and anything unexpected gives {@link Optional#empty()}.
 */
public final class Fmp4Audio {
    private static final int MAX_FRAMES = 100_000;
    private static final int ADTS_HEADER = 7;
    /** tfhd and trun flags. */
    private static final int TFHD_BASE_DATA_OFFSET = 0x1;
    private static final int TFHD_SAMPLE_DESCRIPTION = 0x2;
    private static final int TFHD_DEFAULT_DURATION = 0x8;
    private static final int TFHD_DEFAULT_SIZE = 0x10;
    private static final int TFHD_DEFAULT_FLAGS = 0x20;
    private static final int TFHD_DEFAULT_BASE_IS_MOOF = 0x20000;
    private static final int TRUN_DATA_OFFSET = 0x1;
    private static final int TRUN_FIRST_FLAGS = 0x4;
    private static final int TRUN_DURATION = 0x100;
    private static final int TRUN_SIZE = 0x200;
    private static final int TRUN_FLAGS = 0x400;
    private static final int TRUN_CTO = 0x800;
    /** Presentation times beyond this are refused (so sample arithmetic cannot overflow). */
    public static final long MAX_TIME = 1L << 40;

    private Fmp4Audio() {
    }

    /**
     * @param trackId   the audio track's id
     * @param timescale its media timescale (units of the times per second)
     * @param shift     presentation time minus decode time: the edit list's empty edits minus its first
     *                  {@code media_time}
     * @param firstMoof offset of the segment's first fragment (where a pre-roll fragment goes)
     * @param frames    the track's samples as ADTS frames with their presentation times, in order
     * @param config    their configuration
     */
    public record Track(int trackId, int timescale, long shift, int firstMoof, List<TsAudio.Frame> frames,
                        AudioFrames.Config config) {
    }

    /** The AAC-LC fields of an AudioSpecificConfig that an ADTS header repeats. */
    private record Asc(int profile, int rateIndex, int channels) {
    }

    /** The first audio track of {@code d[0, length)}, or empty when it is not fragmented MP4 with AAC-LC audio. */
    public static Optional<Track> read(byte[] d, int length) {
        try {
            return read0(d, length);
        } catch (Mp4Boxes.MalformedBox | IndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private static Optional<Track> read0(byte[] d, int length) throws Mp4Boxes.MalformedBox {
        List<Mp4Boxes.Box> top = Mp4Boxes.children(d, 0, length);
        Mp4Boxes.Box moov = top.stream().filter(b -> b.type().equals("moov")).findFirst().orElse(null);
        if (moov == null) {
            return Optional.empty();
        }
        Optional<Mp4Boxes.Box> mvhd = Mp4Boxes.find(d, moov.bodyStart(), moov.end(), "mvhd");
        if (mvhd.isEmpty()) {
            return Optional.empty();
        }
        long movieTimescale = Mp4Boxes.u32(d, mvhd.get().bodyStart() + (d[mvhd.get().bodyStart()] == 1 ? 20 : 12));
        for (Mp4Boxes.Box trak : Mp4Boxes.children(d, moov)) {
            if (!trak.type().equals("trak")) {
                continue;
            }
            Optional<Mp4Boxes.Box> hdlr = Mp4Boxes.path(d, trak, "mdia", "hdlr");
            if (hdlr.isEmpty() || hdlr.get().bodyStart() + 12 > hdlr.get().end()
                || !Mp4Boxes.fourcc(d, hdlr.get().bodyStart() + 8).equals("soun")) {
                continue;
            }
            return audioTrack(d, length, top, moov, trak, movieTimescale);
        }
        return Optional.empty();
    }

    private static Optional<Track> audioTrack(byte[] d, int length, List<Mp4Boxes.Box> top, Mp4Boxes.Box moov,
                                              Mp4Boxes.Box trak, long movieTimescale) throws Mp4Boxes.MalformedBox {
        Mp4Boxes.Box tkhd = Mp4Boxes.find(d, trak.bodyStart(), trak.end(), "tkhd").orElse(null);
        Mp4Boxes.Box mdhd = Mp4Boxes.path(d, trak, "mdia", "mdhd").orElse(null);
        Optional<Asc> asc = Mp4Boxes.path(d, trak, "mdia", "minf", "stbl", "stsd").flatMap(s -> asc(d, s));
        if (tkhd == null || mdhd == null || asc.isEmpty() || movieTimescale <= 0) {
            return Optional.empty();
        }
        int trackId = (int) Mp4Boxes.u32(d, tkhd.bodyStart() + (d[tkhd.bodyStart()] == 1 ? 20 : 12));
        long timescale = Mp4Boxes.u32(d, mdhd.bodyStart() + (d[mdhd.bodyStart()] == 1 ? 20 : 12));
        Optional<AudioFrames.Config> config = TsAudio.config(AudioFrames.Codec.ADTS, adtsHeader(asc.get(), 0));
        if (config.isEmpty() || timescale <= 0 || timescale > 1_000_000) {
            return Optional.empty();
        }
        long frameTicks = (long) config.get().samplesPerFrame() * timescale / config.get().sampleRate();
        if (frameTicks * config.get().sampleRate() != (long) config.get().samplesPerFrame() * timescale) {
            return Optional.empty(); // a frame is not a whole number of ticks: times would not be exact
        }
        OptionalShift shift = shift(d, trak, timescale, movieTimescale);
        if (!shift.ok()) {
            return Optional.empty();
        }
        long[] defaults = trexDefaults(d, moov, trackId);
        List<TsAudio.Frame> frames = new ArrayList<>();
        int firstMoof = -1;
        long next = -1;
        for (Mp4Boxes.Box moof : top) {
            if (!moof.type().equals("moof")) {
                continue;
            }
            firstMoof = firstMoof < 0 ? moof.start() : firstMoof;
            for (Mp4Boxes.Box traf : Mp4Boxes.children(d, moof)) {
                if (traf.type().equals("traf")) {
                    next = samples(d, length, moof, traf, trackId, defaults, frameTicks, shift.ticks(), asc.get(),
                                   frames, next);
                    if (next == FAIL) {
                        return Optional.empty();
                    }
                }
            }
        }
        if (frames.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Track(trackId, (int) timescale, shift.ticks(), firstMoof, List.copyOf(frames),
                                     config.get()));
    }

    private record OptionalShift(boolean ok, long ticks) {
    }

    /** Empty edits (media_time -1) before the first real one, minus that one's media_time, in track ticks. */
    private static OptionalShift shift(byte[] d, Mp4Boxes.Box trak, long timescale, long movieTimescale) {
        Optional<Mp4Boxes.Box> elst = Mp4Boxes.path(d, trak, "edts", "elst");
        if (elst.isEmpty()) {
            return new OptionalShift(true, 0);
        }
        int o = elst.get().bodyStart();
        boolean v1 = d[o] == 1;
        long count = Mp4Boxes.u32(d, o + 4);
        int entry = v1 ? 20 : 12;
        if (o + 8 + count * entry > elst.get().end()) {
            return new OptionalShift(false, 0);
        }
        long empty = 0;
        for (int i = 0; i < count; i++) {
            int e = o + 8 + i * entry;
            long duration = v1 ? Mp4Boxes.u64(d, e) : Mp4Boxes.u32(d, e);
            long mediaTime = v1 ? ByteBuffer.wrap(d, e + 8, 8).getLong() : ByteBuffer.wrap(d, e + 4, 4).getInt();
            if (mediaTime == -1) {
                if (duration > MAX_TIME) {
                    return new OptionalShift(false, 0);
                }
                empty += duration * timescale / movieTimescale;
            } else {
                return mediaTime < 0 || mediaTime > MAX_TIME ? new OptionalShift(false, 0)
                        : new OptionalShift(true, empty - mediaTime);
            }
        }
        return new OptionalShift(true, empty);
    }

    /** {default sample duration, default sample size} of the track's trex, or zeros. */
    private static long[] trexDefaults(byte[] d, Mp4Boxes.Box moov, int trackId) throws Mp4Boxes.MalformedBox {
        Optional<Mp4Boxes.Box> mvex = Mp4Boxes.find(d, moov.bodyStart(), moov.end(), "mvex");
        if (mvex.isPresent()) {
            for (Mp4Boxes.Box trex : Mp4Boxes.children(d, mvex.get())) {
                int o = trex.bodyStart();
                if (trex.type().equals("trex") && o + 20 <= trex.end() && Mp4Boxes.u32(d, o + 4) == trackId) {
                    return new long[] {Mp4Boxes.u32(d, o + 12), Mp4Boxes.u32(d, o + 16)};
                }
            }
        }
        return new long[] {0, 0};
    }

    /** {@link #samples} could not read a traf. */
    private static final long FAIL = Long.MIN_VALUE;
    /** ... or read a last sample shorter than a frame (the stream's end): no sample may follow. */
    private static final long ENDED = -2;

    /**
     * Adds the samples of one traf of the audio track (others are skipped) to {@code frames}.
     *
     * @param expected the presentation time the next sample must have, -1 for any, {@link #ENDED} for none
     * @return the time the sample after these must have (or {@link #ENDED}); {@link #FAIL} when something does not
     *         fit: a data offset outside the segment, a sample longer than an AAC frame, a gap, a sample after the end
     */
    private static long samples(byte[] d, int length, Mp4Boxes.Box moof, Mp4Boxes.Box traf, int trackId,
                                   long[] defaults, long frameTicks, long shift, Asc asc, List<TsAudio.Frame> frames,
                                   long expected) throws Mp4Boxes.MalformedBox {
        Optional<Mp4Boxes.Box> tfhdBox = Mp4Boxes.find(d, traf.bodyStart(), traf.end(), "tfhd");
        if (tfhdBox.isEmpty() || tfhdBox.get().bodyStart() + 8 > tfhdBox.get().end()) {
            return FAIL;
        }
        int t = tfhdBox.get().bodyStart();
        int flags = (int) (Mp4Boxes.u32(d, t) & 0xFFFFFF);
        if (Mp4Boxes.u32(d, t + 4) != trackId) {
            return expected;
        }
        if ((flags & TFHD_BASE_DATA_OFFSET) != 0 || (flags & TFHD_DEFAULT_BASE_IS_MOOF) == 0) {
            return FAIL; // offsets relative to a file this message may not start with
        }
        int p = t + 8;
        p += (flags & TFHD_SAMPLE_DESCRIPTION) != 0 ? 4 : 0;
        long defaultDuration = defaults[0];
        long defaultSize = defaults[1];
        if ((flags & TFHD_DEFAULT_DURATION) != 0) {
            defaultDuration = Mp4Boxes.u32(d, p);
            p += 4;
        }
        if ((flags & TFHD_DEFAULT_SIZE) != 0) {
            defaultSize = Mp4Boxes.u32(d, p);
            p += 4;
        }
        p += (flags & TFHD_DEFAULT_FLAGS) != 0 ? 4 : 0;
        if (p > tfhdBox.get().end()) {
            return FAIL;
        }
        Optional<Mp4Boxes.Box> tfdt = Mp4Boxes.find(d, traf.bodyStart(), traf.end(), "tfdt");
        if (tfdt.isEmpty() || tfdt.get().bodyStart() + 12 > tfdt.get().end()) {
            return FAIL;
        }
        int b = tfdt.get().bodyStart();
        long decodeTime = d[b] == 1 ? Mp4Boxes.u64(d, b + 4) : Mp4Boxes.u32(d, b + 4);
        long dts = decodeTime;
        long pos = moof.start();
        boolean firstRun = true;
        for (Mp4Boxes.Box trun : Mp4Boxes.children(d, traf)) {
            if (!trun.type().equals("trun")) {
                continue;
            }
            int r = trun.bodyStart();
            int rf = (int) (Mp4Boxes.u32(d, r) & 0xFFFFFF);
            long count = Mp4Boxes.u32(d, r + 4);
            int q = r + 8;
            if ((rf & TRUN_DATA_OFFSET) != 0) {
                pos = moof.start() + (long) ByteBuffer.wrap(d, q, 4).getInt();
                q += 4;
            } else if (!firstRun) {
                return FAIL;
            }
            firstRun = false;
            q += (rf & TRUN_FIRST_FLAGS) != 0 ? 4 : 0;
            int perSample = Integer.bitCount(rf & (TRUN_DURATION | TRUN_SIZE | TRUN_FLAGS | TRUN_CTO)) * 4;
            if (count > MAX_FRAMES - frames.size() || q + count * perSample > trun.end()) {
                return FAIL;
            }
            for (long i = 0; i < count; i++) {
                long duration = defaultDuration;
                long size = defaultSize;
                if ((rf & TRUN_DURATION) != 0) {
                    duration = Mp4Boxes.u32(d, q);
                    q += 4;
                }
                if ((rf & TRUN_SIZE) != 0) {
                    size = Mp4Boxes.u32(d, q);
                    q += 4;
                }
                q += (rf & TRUN_FLAGS) != 0 ? 4 : 0;
                q += (rf & TRUN_CTO) != 0 ? 4 : 0;
                long pts = dts + shift;
                if (duration <= 0 || duration > frameTicks || size <= 0 || size > 8191 - ADTS_HEADER || pos < 0
                    || pos + size > length || pts < 0 || pts > MAX_TIME || expected == ENDED
                    || (expected >= 0 && pts != expected)) {
                    return FAIL;
                }
                byte[] frame = adtsHeader(asc, (int) size);
                System.arraycopy(d, (int) pos, frame, ADTS_HEADER, (int) size);
                frames.add(new TsAudio.Frame(pts, frame));
                pos += size;
                dts += duration;
                // a shorter last sample marks where the audio ends; FFmpeg still decodes its whole frame
                expected = duration == frameTicks ? pts + duration : ENDED;
            }
        }
        return expected;
    }

    /** The AAC-LC configuration in the track's first sample entry ({@code mp4a} → {@code esds}), or empty. */
    private static Optional<Asc> asc(byte[] d, Mp4Boxes.Box stsd) {
        int entry = stsd.bodyStart() + 8;
        Mp4Boxes.Box mp4a;
        try {
            mp4a = Mp4Boxes.read(d, entry, stsd.end());
        } catch (Mp4Boxes.MalformedBox e) {
            return Optional.empty();
        }
        // mp4a: reserved (6), data reference index (2), the version 0 audio fields (20), then its boxes
        if (!mp4a.type().equals("mp4a") || mp4a.bodyStart() + 28 > mp4a.end() || d[mp4a.bodyStart() + 8] != 0
            || d[mp4a.bodyStart() + 9] != 0) {
            return Optional.empty();
        }
        Optional<Mp4Boxes.Box> esds = Mp4Boxes.find(d, mp4a.bodyStart() + 28, mp4a.end(), "esds");
        if (esds.isEmpty()) {
            return Optional.empty();
        }
        int p = esds.get().bodyStart() + 4;
        int end = esds.get().end();
        // descriptors: ES (0x03) holds DecoderConfig (0x04), which holds DecoderSpecificInfo (0x05)
        for (int tag : new int[] {0x03, 0x04, 0x05}) {
            if (p + 2 > end || (d[p] & 0xFF) != tag) {
                return Optional.empty();
            }
            p++;
            int len = 0;
            for (int i = 0; i < 4; i++) {
                int c = d[p++] & 0xFF;
                len = (len << 7) | (c & 0x7F);
                if ((c & 0x80) == 0) {
                    break;
                }
            }
            if (p + len > end) {
                return Optional.empty();
            }
            end = p + len;
            if (tag == 0x03) {
                // ES_ID (2), flags; then, as the flags say, dependsOn_ES_ID (2), a URL, OCR_ES_Id (2)
                int esFlags = d[p + 2] & 0xFF;
                p += 3 + ((esFlags & 0x80) != 0 ? 2 : 0);
                if ((esFlags & 0x40) != 0) {
                    p += 1 + (d[p] & 0xFF);
                }
                p += (esFlags & 0x20) != 0 ? 2 : 0;
            } else if (tag == 0x04) {
                p += 13;
            }
        }
        if (p + 2 > end) {
            return Optional.empty();
        }
        int aot = (d[p] & 0xFF) >> 3;
        int rateIndex = ((d[p] & 7) << 1) | ((d[p + 1] & 0xFF) >> 7);
        int channels = (d[p + 1] >> 3) & 0xF;
        boolean frame960 = ((d[p + 1] >> 2) & 1) != 0;
        // AAC-LC, a rate from the table, a plain channel configuration, 1,024-sample frames: what ADTS can say
        return aot == 2 && rateIndex < 13 && channels >= 1 && channels <= 7 && !frame960
                ? Optional.of(new Asc(aot - 1, rateIndex, channels)) : Optional.empty();
    }

    /** An ADTS header for an access unit of {@code size} bytes, followed by room for it. */
    private static byte[] adtsHeader(Asc a, int size) {
        int len = ADTS_HEADER + size;
        byte[] h = new byte[len];
        h[0] = (byte) 0xFF;
        h[1] = (byte) 0xF1; // MPEG-4, no CRC
        h[2] = (byte) ((a.profile() << 6) | (a.rateIndex() << 2) | (a.channels() >> 2));
        h[3] = (byte) (((a.channels() & 3) << 6) | (len >> 11));
        h[4] = (byte) (len >> 3);
        h[5] = (byte) (((len & 7) << 5) | 0x1F); // buffer fullness 0x7FF: variable rate
        h[6] = (byte) 0xFC; // ... and one raw data block
        return h;
    }

    /**
     * One fragment (moof + mdat) carrying {@code adtsFrames} (whole ADTS frames of the track's configuration, each
     * one AAC frame long) as the track's samples, the first at presentation time {@code firstPts}: put in front of
     * the segment's first fragment, FFmpeg's MP4 demuxer reads them as the track's first audio.
     */
    public static byte[] preroll(Track track, long firstPts, List<byte[]> adtsFrames) {
        long frameTicks = (long) track.config().samplesPerFrame() * track.timescale() / track.config().sampleRate();
        ByteArrayOutputStream mdat = new ByteArrayOutputStream();
        ByteBuffer entries = ByteBuffer.allocate(8 * adtsFrames.size());
        for (byte[] f : adtsFrames) {
            int header = (f[1] & 1) != 0 ? ADTS_HEADER : ADTS_HEADER + 2; // with a CRC, two bytes more
            mdat.write(f, header, f.length - header);
            entries.putInt((int) frameTicks).putInt(f.length - header);
        }
        byte[] mfhd = Mp4Boxes.box("mfhd", new byte[8]);
        byte[] tfhd = Mp4Boxes.box("tfhd", ByteBuffer.allocate(8).putInt(TFHD_DEFAULT_BASE_IS_MOOF)
                .putInt(track.trackId()).array());
        byte[] tfdt = Mp4Boxes.box("tfdt", ByteBuffer.allocate(12).putInt(1 << 24).putLong(firstPts - track.shift())
                .array());
        int trunSize = 8 + 12 + entries.capacity();
        int moofSize = 8 + mfhd.length + 8 + tfhd.length + tfdt.length + trunSize;
        byte[] trun = Mp4Boxes.box("trun", ByteBuffer.allocate(12).putInt(TRUN_DATA_OFFSET | TRUN_DURATION | TRUN_SIZE)
                .putInt(adtsFrames.size()).putInt(moofSize + 8).array(), entries.array());
        byte[] moof = Mp4Boxes.box("moof", mfhd, Mp4Boxes.box("traf", tfhd, tfdt, trun));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(moof);
        out.writeBytes(Mp4Boxes.box("mdat", mdat.toByteArray()));
        return out.toByteArray();
    }
}
