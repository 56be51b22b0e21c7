package dev.vbuf.media;

import java.io.ByteArrayOutputStream;
import java.util.List;

/**
 * The first audio stream of an MPEG-TS segment ({@link TsParser}), and the inverse: TS packets that announce it (the
 * segment's own PAT and PMT) and carry given frames as one PES on its PID, to put in front of a segment of the same
 * stream.
 *
 * @param pid      the audio PID
 * @param streamId the PES stream id of its first PES (0xC0 for MPEG audio streams, 0xBD for private ones)
 * @param pat      the first PAT packet (188 bytes)
 * @param pmt      the first PMT packet (188 bytes)
 * @param frames   its frames with their presentation times (90 kHz)
 * @param config   their configuration
 */
record TsAudioTrack(int pid, int streamId, byte[] pat, byte[] pmt, List<AudioFrames.Frame> frames,
                    AudioFrames.Config config) implements AudioTrack {
    private static final int PACKET = TsParser.PACKET;

    @Override
    public int timescale() {
        return TsParser.TIMESCALE;
    }

    @Override
    public int prerollAt() {
        return 0;
    }

    /** FFmpeg's MPEG-TS demuxer reads these packets as the stream's first audio. */
    @Override
    public byte[] preroll(long firstPts, List<byte[]> carried) {
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        carried.forEach(payload::writeBytes);
        return preroll(firstPts, payload.toByteArray());
    }

    private byte[] preroll(long pts, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(pat);
        out.writeBytes(pmt);
        byte[] header = new byte[14];
        header[2] = 1;
        header[3] = (byte) (streamId >= 0 ? streamId : 0xC0); // as the segment's own PES
        int pesLen = 8 + payload.length;
        if (pesLen <= 0xFFFF) {
            header[4] = (byte) (pesLen >> 8);
            header[5] = (byte) pesLen;
        }
        header[6] = (byte) 0x80;
        header[7] = (byte) 0x80; // PTS only
        header[8] = 5;
        header[9] = (byte) (0x21 | ((pts >> 29) & 0x0E));
        header[10] = (byte) (pts >> 22);
        header[11] = (byte) (0x01 | ((pts >> 14) & 0xFE));
        header[12] = (byte) (pts >> 7);
        header[13] = (byte) (0x01 | ((pts << 1) & 0xFE));
        byte[] pes = new byte[header.length + payload.length];
        System.arraycopy(header, 0, pes, 0, header.length);
        System.arraycopy(payload, 0, pes, header.length, payload.length);
        int cc = 0;
        for (int i = 0; i < pes.length; ) {
            byte[] pkt = new byte[PACKET];
            pkt[0] = 0x47;
            pkt[1] = (byte) ((i == 0 ? 0x40 : 0) | ((pid >> 8) & 0x1F));
            pkt[2] = (byte) pid;
            int room = PACKET - 4;
            int left = pes.length - i;
            int o = 4;
            if (left < room) { // stuff with an adaptation field so the packet is full
                int af = room - left; // bytes for the adaptation field, its length byte included
                pkt[3] = (byte) (0x30 | cc);
                pkt[4] = (byte) (af - 1);
                if (af > 1) {
                    pkt[5] = 0;
                    for (int s = 6; s < 4 + af; s++) {
                        pkt[s] = (byte) 0xFF;
                    }
                }
                o = 4 + af;
            } else {
                pkt[3] = (byte) (0x10 | cc);
            }
            int n = PACKET - o;
            System.arraycopy(pes, i, pkt, o, n);
            i += n;
            cc = (cc + 1) & 0xF;
            out.writeBytes(pkt);
        }
        return out.toByteArray();
    }
}
