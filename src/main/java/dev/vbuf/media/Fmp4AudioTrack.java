package dev.vbuf.media;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;

import static dev.vbuf.media.Fmp4Fragments.TFHD_DEFAULT_BASE_IS_MOOF;
import static dev.vbuf.media.Fmp4Fragments.TRUN_DATA_OFFSET;
import static dev.vbuf.media.Fmp4Fragments.TRUN_DURATION;
import static dev.vbuf.media.Fmp4Fragments.TRUN_SIZE;

/**
 * The first audio track of a fragmented MP4 segment sent with its init segment ({@link Mp4Parser}), and the inverse:
 * one fragment (moof + mdat) carrying given frames on the track, to put in front of the segment's first fragment.
 *
 * @param trackId   the audio track's id
 * @param timescale its media timescale (units of the times per second)
 * @param shift     presentation time minus decode time: the edit list's empty edits minus its first
 *                  {@code media_time}
 * @param firstMoof offset of the segment's first fragment (where a pre-roll fragment goes)
 * @param frames    the track's samples as ADTS frames with their presentation times, in order
 * @param config    their configuration
 */
record Fmp4AudioTrack(int trackId, int timescale, long shift, int firstMoof, List<AudioFrames.Frame> frames,
                      AudioFrames.Config config) implements AudioTrack {
    @Override
    public int prerollAt() {
        return firstMoof;
    }

    /**
     * {@code adtsFrames} (whole ADTS frames of the track's configuration, each one AAC frame long) as the track's
     * samples, the first at presentation time {@code firstPts}: FFmpeg's MP4 demuxer reads them as its first audio.
     */
    @Override
    public byte[] preroll(long firstPts, List<byte[]> adtsFrames) {
        long frameTicks = (long) config.samplesPerFrame() * timescale / config.sampleRate();
        ByteArrayOutputStream mdat = new ByteArrayOutputStream();
        ByteBuffer entries = ByteBuffer.allocate(8 * adtsFrames.size());
        for (byte[] f : adtsFrames) {
            int header = (f[1] & 1) != 0 ? AudioFrames.ADTS_HEADER : AudioFrames.ADTS_HEADER + 2; // with a CRC, 2 more
            mdat.write(f, header, f.length - header);
            entries.putInt((int) frameTicks).putInt(f.length - header);
        }
        byte[] mfhd = Mp4Boxes.box("mfhd", new byte[8]);
        byte[] tfhd = Mp4Boxes.box("tfhd", ByteBuffer.allocate(8).putInt(TFHD_DEFAULT_BASE_IS_MOOF)
                .putInt(trackId).array());
        byte[] tfdt = Mp4Boxes.box("tfdt", ByteBuffer.allocate(12).putInt(1 << 24).putLong(firstPts - shift)
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
