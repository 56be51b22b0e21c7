package dev.vbuf.media;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The first audio stream of an MPEG-TS segment, read in Java (nothing is decoded): its PID and stream type, the PAT
 * and PMT packets that announce it, and its PES packets with their presentation times; for AAC (ADTS), MPEG audio
 * and AC-3, the frames inside each PES ({@link AudioFrames}). Also the inverse: TS packets that carry given audio
 * frames on that PID, to put in front of a segment (the pre-roll of protocol v1.1 reaches FFmpeg on the same stdin
 * pipe, through the same forced demuxer).
 * <p>
 * Untrusted input: every offset is bounds-checked, and anything unexpected gives {@link Optional#empty()}.
 */
public final class TsAudio {
    private static final int PACKET = 188;
    /** 90 kHz: the clock of MPEG-TS presentation times. */
    public static final int TIMESCALE = 90_000;
    /** Stream type of ADTS AAC in a PMT. */
    public static final int STREAM_TYPE_ADTS = 0x0F;
    private static final int MAX_FRAMES = 100_000;

    private TsAudio() {
    }

    /** One PES packet of the audio stream: its PTS (90 kHz, 33 bits) and payload. */
    public record Pes(long pts, byte[] payload) {
    }

    /** One audio frame (ADTS, MPEG audio or AC-3) and the presentation time it starts at (90 kHz). */
    public record Frame(long pts, byte[] bytes) {
    }

    /**
     * @param pid        the audio PID
     * @param streamType its stream type (0x0F ADTS AAC, 0x03/0x04 MPEG audio, 0x81 AC-3, ...)
     * @param streamId   the PES stream id of its first PES (0xC0 for MPEG audio streams, 0xBD for private ones)
     * @param pat        the first PAT packet (188 bytes)
     * @param pmt        the first PMT packet (188 bytes)
     * @param pes        the PES packets of the audio stream that carry a PTS, in order
     */
    public record Track(int pid, int streamType, int streamId, byte[] pat, byte[] pmt, List<Pes> pes) {
        public boolean isAdts() {
            return streamType == STREAM_TYPE_ADTS;
        }

        /** The codec whose frames {@link #frames} reads, or empty (E-AC-3, ...). */
        public Optional<AudioFrames.Codec> codec() {
            return AudioFrames.Codec.ofStreamType(streamType);
        }
    }

    /** The first audio stream of a TS segment, or empty when there is none or the bytes are not sound TS. */
    public static Optional<Track> read(byte[] d, int length) {
        if (length < PACKET || length % PACKET != 0 || length > d.length) {
            return Optional.empty();
        }
        int pmtPid = -1;
        int audioPid = -1;
        int streamType = -1;
        int streamId = -1;
        byte[] pat = null;
        byte[] pmt = null;
        List<Pes> pes = new ArrayList<>();
        ByteArrayOutputStream current = null;
        long currentPts = -1;
        for (int p = 0; p + PACKET <= length; p += PACKET) {
            if ((d[p] & 0xFF) != 0x47) {
                return Optional.empty();
            }
            boolean unitStart = (d[p + 1] & 0x40) != 0;
            int pid = ((d[p + 1] & 0x1F) << 8) | (d[p + 2] & 0xFF);
            int afc = (d[p + 3] >> 4) & 0x3;
            if ((afc & 1) == 0) {
                continue;
            }
            int off = p + 4;
            if (afc == 3) {
                off += 1 + (d[off] & 0xFF);
            }
            int end = p + PACKET;
            if (off >= end) {
                continue;
            }
            if (audioPid < 0) {
                if (!unitStart) {
                    continue;
                }
                int section = off + 1 + (d[off] & 0xFF);
                if (section + 8 > end) {
                    continue;
                }
                int tableId = d[section] & 0xFF;
                int sectionEnd = Math.min(end, section + 3
                                               + (((d[section + 1] & 0x0F) << 8) | (d[section + 2] & 0xFF)) - 4);
                if (pid == 0 && tableId == 0 && pmtPid < 0) {
                    for (int e = section + 8; e + 4 <= sectionEnd; e += 4) {
                        if ((((d[e] & 0xFF) << 8) | (d[e + 1] & 0xFF)) != 0) {
                            pmtPid = ((d[e + 2] & 0x1F) << 8) | (d[e + 3] & 0xFF);
                            pat = java.util.Arrays.copyOfRange(d, p, end);
                            break;
                        }
                    }
                } else if (pid == pmtPid && tableId == 2 && section + 12 <= end) {
                    int infoLen = ((d[section + 10] & 0x0F) << 8) | (d[section + 11] & 0xFF);
                    for (int e = section + 12 + infoLen; e + 5 <= sectionEnd; ) {
                        int type = d[e] & 0xFF;
                        if (isAudio(type)) {
                            audioPid = ((d[e + 1] & 0x1F) << 8) | (d[e + 2] & 0xFF);
                            streamType = type;
                            pmt = java.util.Arrays.copyOfRange(d, p, end);
                            break;
                        }
                        e += 5 + (((d[e + 3] & 0x0F) << 8) | (d[e + 4] & 0xFF));
                    }
                    if (audioPid < 0) {
                        return Optional.empty();
                    }
                }
                continue;
            }
            if (pid != audioPid) {
                continue;
            }
            if (unitStart) {
                addPes(pes, current, currentPts);
                current = null;
                currentPts = -1;
                // PES header: 00 00 01, stream id, length (2), flags (2), header length, [PTS (5)]
                if (off + 9 > end || d[off] != 0 || d[off + 1] != 0 || d[off + 2] != 1) {
                    continue;
                }
                int flags = d[off + 7] & 0xFF;
                int headerLen = d[off + 8] & 0xFF;
                int payload = off + 9 + headerLen;
                if ((flags & 0x80) == 0 || off + 14 > end || payload > end) {
                    continue;
                }
                currentPts = pts(d, off + 9);
                if (streamId < 0) {
                    streamId = d[off + 3] & 0xFF;
                }
                current = new ByteArrayOutputStream();
                current.write(d, payload, end - payload);
            } else if (current != null) {
                current.write(d, off, end - off);
            }
        }
        addPes(pes, current, currentPts);
        if (audioPid < 0 || pes.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Track(audioPid, streamType, streamId, pat, pmt, List.copyOf(pes)));
    }

    private static void addPes(List<Pes> pes, ByteArrayOutputStream payload, long pts) {
        if (payload != null && pts >= 0 && payload.size() > 0) {
            pes.add(new Pes(pts, payload.toByteArray()));
        }
    }

    private static boolean isAudio(int streamType) {
        return switch (streamType) {
            case 0x03, 0x04, 0x0F, 0x11, 0x81, 0x87 -> true;
            default -> false;
        };
    }

    private static long pts(byte[] d, int o) {
        return ((long) (d[o] & 0x0E) << 29) | ((long) (d[o + 1] & 0xFF) << 22) | ((long) (d[o + 2] & 0xFE) << 14)
               | ((long) (d[o + 3] & 0xFF) << 7) | ((d[o + 4] & 0xFF) >> 1);
    }

    /**
     * The frames of a track (ADTS, MPEG audio or AC-3), each with its presentation time (a PES's PTS for its first
     * frame, then one frame's duration per frame), or empty when the codec is not one of these or a payload is not a
     * whole number of frames of one configuration.
     */
    public static Optional<List<Frame>> frames(Track track) {
        Optional<AudioFrames.Codec> codec = track.codec();
        if (codec.isEmpty()) {
            return Optional.empty();
        }
        List<Frame> frames = new ArrayList<>();
        AudioFrames.Config config = null;
        for (Pes p : track.pes()) {
            Optional<List<byte[]>> split = AudioFrames.split(codec.get(), p.payload(), config);
            if (split.isEmpty() || frames.size() + split.get().size() > MAX_FRAMES) {
                return Optional.empty();
            }
            int n = 0;
            for (byte[] f : split.get()) {
                config = AudioFrames.header(codec.get(), f, 0, f.length).orElseThrow().config();
                frames.add(new Frame(p.pts() + Math.round((double) n++ * config.samplesPerFrame() * TIMESCALE
                                                          / config.sampleRate()), f));
            }
        }
        return frames.isEmpty() ? Optional.empty() : Optional.of(frames);
    }

    /** The configuration of the frame {@code frame} of a stream of {@code codec}, or empty when it is not one. */
    public static Optional<AudioFrames.Config> config(AudioFrames.Codec codec, byte[] frame) {
        return AudioFrames.header(codec, frame, 0, frame.length).map(AudioFrames.Header::config);
    }

    /**
     * TS packets that announce the track (its PAT and PMT) and carry {@code payload} as one PES with presentation
     * time {@code pts} on the track's PID: put in front of a segment of the same stream, FFmpeg's MPEG-TS demuxer
     * reads them as the stream's first audio.
     */
    public static byte[] preroll(Track track, long pts, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(track.pat());
        out.writeBytes(track.pmt());
        byte[] header = new byte[14];
        header[2] = 1;
        header[3] = (byte) (track.streamId() >= 0 ? track.streamId() : 0xC0); // as the segment's own PES
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
            pkt[1] = (byte) ((i == 0 ? 0x40 : 0) | ((track.pid() >> 8) & 0x1F));
            pkt[2] = (byte) track.pid();
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
