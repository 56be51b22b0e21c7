package dev.vbuf.media;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The first audio track of a fragmented MP4 segment sent with its init segment (ftyp, moov, then styp/sidx and
 * moof + mdat fragments, as HLS fMP4, CMAF and DASH serve them), read with {@link Mp4Boxes} and
 * {@link Fmp4Fragments} (nothing is decoded): from the init, its track id, timescale, the shift its edit list gives and
 * its AAC-LC configuration; from the fragments, every audio sample with its presentation time ({@code tfdt} and the
 * sample durations, edit-adjusted). The samples are handed out as ADTS frames (a header made from the
 * AudioSpecificConfig in front of each access unit), so they are the frames an MPEG-TS stream of the same audio
 * would carry.
 * <p>
 * Untrusted input: every offset is bounds-checked, and anything unexpected gives {@link Optional#empty()}.
 */
final class Fmp4AudioReader {
    private Fmp4AudioReader() {
    }

    /** The AAC-LC fields of an AudioSpecificConfig that an ADTS header repeats. */
    private record Asc(int profile, int rateIndex, int channels) {
        byte[] adtsFrame(int size) {
            return AudioFrames.adtsFrame(profile, rateIndex, channels, size);
        }
    }

    /**
     * The first audio track of {@code d[0, length)}, whose top-level boxes are {@code top} and first moov
     * {@code moov}, or empty when it is not fragmented MP4 with AAC-LC audio.
     */
    static Optional<AudioTrack> read(byte[] d, int length, List<Mp4Boxes.Box> top, Mp4Boxes.Box moov) {
        try {
            Optional<Mp4Boxes.Box> mvhd = Mp4Boxes.find(d, moov.bodyStart(), moov.end(), "mvhd");
            if (mvhd.isEmpty()) {
                return Optional.empty();
            }
            long movieTimescale = Fmp4Fragments.versioned(d, mvhd.get(), 20, 12);
            Mp4Boxes.children(d, moov); // the tracks are read only from a well-formed moov
            Optional<Mp4Boxes.Box> trak = Mp4Parser.soundTrak(d, moov);
            return trak.isEmpty() ? Optional.empty() : audioTrack(d, length, top, moov, trak.get(), movieTimescale);
        } catch (Mp4Boxes.MalformedBox | IndexOutOfBoundsException e) {
            return Optional.empty();
        }
    }

    private static Optional<AudioTrack> audioTrack(byte[] d, int length, List<Mp4Boxes.Box> top, Mp4Boxes.Box moov,
                                              Mp4Boxes.Box trak, long movieTimescale) throws Mp4Boxes.MalformedBox {
        Mp4Boxes.Box tkhd = Mp4Boxes.find(d, trak.bodyStart(), trak.end(), "tkhd").orElse(null);
        Mp4Boxes.Box mdhd = Mp4Boxes.path(d, trak, "mdia", "mdhd").orElse(null);
        Optional<Asc> asc = Mp4Boxes.path(d, trak, "mdia", "minf", "stbl", "stsd").flatMap(s -> asc(d, s));
        if (tkhd == null || mdhd == null || asc.isEmpty() || movieTimescale <= 0) {
            return Optional.empty();
        }
        int trackId = (int) Fmp4Fragments.versioned(d, tkhd, 20, 12);
        long timescale = Fmp4Fragments.mdhdTimescale(d, mdhd);
        Optional<AudioFrames.Config> config = AudioFrames.config(AudioFrames.Codec.ADTS, asc.get().adtsFrame(0));
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
        List<AudioFrames.Frame> frames = new ArrayList<>();
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
        return Optional.of(new Fmp4AudioTrack(trackId, (int) timescale, shift.ticks(), firstMoof, List.copyOf(frames),
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
                if (duration > AudioTrack.MAX_MP4_TIME) {
                    return new OptionalShift(false, 0);
                }
                empty += duration * timescale / movieTimescale;
            } else {
                return mediaTime < 0 || mediaTime > AudioTrack.MAX_MP4_TIME ? new OptionalShift(false, 0)
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
                long[] defaults = trex.type().equals("trex") ? Fmp4Fragments.trexDefaults(d, trex) : null;
                if (defaults != null && Fmp4Fragments.trexTrackId(d, trex) == trackId) {
                    return defaults;
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
                                   long[] defaults, long frameTicks, long shift, Asc asc, List<AudioFrames.Frame> frames,
                                   long expected) throws Mp4Boxes.MalformedBox {
        Optional<Fmp4Fragments.FragmentHeader> header = Mp4Boxes.find(d, traf.bodyStart(), traf.end(), "tfhd")
                .flatMap(b -> Fmp4Fragments.tfhd(d, b));
        if (header.isEmpty()) {
            return FAIL;
        }
        Fmp4Fragments.FragmentHeader tfhd = header.get();
        if (tfhd.trackId() != trackId) {
            return expected;
        }
        if (tfhd.has(Fmp4Fragments.TFHD_BASE_DATA_OFFSET) || !tfhd.has(Fmp4Fragments.TFHD_DEFAULT_BASE_IS_MOOF)
            || !tfhd.complete()) {
            return FAIL; // offsets relative to a file this message may not start with, or a header cut short
        }
        long defaultDuration = tfhd.defaultDuration() >= 0 ? tfhd.defaultDuration() : defaults[0];
        long defaultSize = tfhd.defaultSize() >= 0 ? tfhd.defaultSize() : defaults[1];
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
            Optional<Fmp4Fragments.Run> read = Fmp4Fragments.trun(d, trun, AudioFrames.MAX_FRAMES - frames.size());
            if (read.isEmpty() || (!read.get().hasDataOffset() && !firstRun)) {
                return FAIL;
            }
            Fmp4Fragments.Run run = read.get();
            if (run.hasDataOffset()) {
                pos = moof.start() + (long) run.dataOffset();
            }
            firstRun = false;
            for (long i = 0; i < run.count(); i++) {
                long duration = run.duration(i, defaultDuration);
                long size = run.size(i, defaultSize);
                long pts = dts + shift;
                if (duration <= 0 || duration > frameTicks || size <= 0 || size > 8191 - AudioFrames.ADTS_HEADER || pos < 0
                    || pos + size > length || pts < 0 || pts > AudioTrack.MAX_MP4_TIME || expected == ENDED
                    || (expected >= 0 && pts != expected)) {
                    return FAIL;
                }
                byte[] frame = asc.adtsFrame((int) size);
                System.arraycopy(d, (int) pos, frame, AudioFrames.ADTS_HEADER, (int) size);
                frames.add(new AudioFrames.Frame(pts, frame));
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
}
