package dev.vbuf.media;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.vbuf.core.SegmentException;

/**
 * MPEG-TS, in one pass over the packets: their sync bytes, the PAT and the PMT that announce the first audio stream,
 * and (when asked for) that stream's PES packets with their presentation times, split into frames
 * ({@link AudioFrames}). Untrusted input: every offset is bounds-checked.
 */
final class TsParser {
    static final int PACKET = 188;
    /** 90 kHz: the clock of MPEG-TS presentation times. */
    static final int TIMESCALE = 90_000;
    /** Stream type of ADTS AAC in a PMT. */
    private static final int STREAM_TYPE_ADTS = 0x0F;
    /** Packets the inspection reads for the PAT and PMT, and checks the sync bytes of. */
    private static final int INSPECTED_PACKETS = 2000;

    /** One PES packet of the audio stream: its PTS (90 kHz, 33 bits) and payload. */
    private record Pes(long pts, byte[] payload) {
    }

    /** The segment: {@code d[0, n)}. */
    private final byte[] d;
    private final int n;
    private int pmtPid = -1;
    private boolean pmtSeen;
    private boolean aac;
    private int audioPid = -1;
    private int streamType = -1;
    private int streamId = -1;
    /** Offsets of the first PAT and PMT packets (copied only for a track: its pre-roll repeats them). */
    private int patAt = -1;
    private int pmtAt = -1;
    private final List<Pes> pes = new ArrayList<>();
    private ByteArrayOutputStream current;
    private long currentPts = -1;

    private TsParser(byte[] d, int n) {
        this.d = d;
        this.n = n;
    }

    static ParsedSegment parse(byte[] d, int n, boolean withAudio) throws SegmentException {
        if (n % PACKET != 0) {
            throw SegmentParser.invalid("truncated MPEG-TS segment: " + n + " bytes is not a whole number of "
                                        + PACKET + "-byte packets");
        }
        TsParser ts = new TsParser(d, n);
        ts.read(withAudio);
        return new ParsedSegment(InputContainer.MPEG_TS, ts.aac, withAudio ? ts.track() : Optional.empty());
    }

    /** Reads the packets: up to the PMT for an inspection, to the end for the audio. */
    private void read(boolean withAudio) throws SegmentException {
        for (int i = 0; i < n / PACKET; i++) {
            int p = i * PACKET;
            if ((d[p] & 0xFF) != 0x47) {
                if (!pmtSeen && i < INSPECTED_PACKETS) {
                    throw SegmentParser.invalid("corrupt MPEG-TS segment: no sync byte at packet " + i);
                }
                audioPid = -1; // the audio cannot be followed past a lost sync
                return;
            }
            if (!pmtSeen && i >= INSPECTED_PACKETS && !withAudio) {
                return;
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
            if (off >= p + PACKET) {
                continue;
            }
            if (audioPid < 0) {
                if (unitStart) {
                    tables(i, p, off, pid);
                    if (pmtSeen && (audioPid < 0 || !withAudio)) {
                        return;
                    }
                }
            } else if (pid == audioPid) {
                pes(off, p + PACKET, unitStart);
            }
        }
        endPes();
    }

    /** A PAT or PMT section starting in packet {@code i}. */
    private void tables(int i, int p, int off, int pid) {
        int end = p + PACKET;
        int section = off + 1 + (d[off] & 0xFF); // pointer_field
        if (section + 8 > end) {
            return;
        }
        int tableId = d[section] & 0xFF;
        int sectionEnd = Math.min(end, section + 3 + (((d[section + 1] & 0x0F) << 8) | (d[section + 2] & 0xFF)) - 4);
        if (pid == 0 && tableId == 0x00 && pmtPid < 0) {
            for (int e = section + 8; e + 4 <= sectionEnd; e += 4) {
                if ((((d[e] & 0xFF) << 8) | (d[e + 1] & 0xFF)) != 0) {
                    pmtPid = ((d[e + 2] & 0x1F) << 8) | (d[e + 3] & 0xFF);
                    patAt = p;
                    break;
                }
            }
        } else if (pid == pmtPid && tableId == 0x02 && section + 12 <= end) {
            pmtSeen = true;
            int infoLen = ((d[section + 10] & 0x0F) << 8) | (d[section + 11] & 0xFF);
            for (int e = section + 12 + infoLen; e + 5 <= sectionEnd; ) {
                int type = d[e] & 0xFF;
                if (isAudio(type)) {
                    audioPid = ((d[e + 1] & 0x1F) << 8) | (d[e + 2] & 0xFF);
                    streamType = type;
                    aac = type == STREAM_TYPE_ADTS && i < INSPECTED_PACKETS;
                    pmtAt = p;
                    return;
                }
                e += 5 + (((d[e + 3] & 0x0F) << 8) | (d[e + 4] & 0xFF));
            }
        }
    }

    private static boolean isAudio(int streamType) {
        return switch (streamType) {
            case 0x03, 0x04, 0x0F, 0x11, 0x81, 0x87 -> true;
            default -> false;
        };
    }

    /** The payload {@code d[off, end)} of a packet of the audio stream. */
    private void pes(int off, int end, boolean unitStart) {
        if (!unitStart) {
            if (current != null) {
                current.write(d, off, end - off);
            }
            return;
        }
        endPes();
        // PES header: 00 00 01, stream id, length (2), flags (2), header length, [PTS (5)]
        if (off + 9 > end || d[off] != 0 || d[off + 1] != 0 || d[off + 2] != 1) {
            return;
        }
        int flags = d[off + 7] & 0xFF;
        int payload = off + 9 + (d[off + 8] & 0xFF);
        if ((flags & 0x80) == 0 || off + 14 > end || payload > end) {
            return;
        }
        currentPts = pts(off + 9);
        if (streamId < 0) {
            streamId = d[off + 3] & 0xFF;
        }
        current = new ByteArrayOutputStream();
        current.write(d, payload, end - payload);
    }

    private void endPes() {
        if (current != null && currentPts >= 0 && current.size() > 0) {
            pes.add(new Pes(currentPts, current.toByteArray()));
        }
        current = null;
        currentPts = -1;
    }

    private long pts(int o) {
        return ((long) (d[o] & 0x0E) << 29) | ((long) (d[o + 1] & 0xFF) << 22) | ((long) (d[o + 2] & 0xFE) << 14)
               | ((long) (d[o + 3] & 0xFF) << 7) | ((d[o + 4] & 0xFF) >> 1);
    }

    /**
     * The audio stream with its frames (a PES's PTS for its first frame, then one frame's duration per frame), or
     * empty when there is none, its codec's frames are not read here, or a payload is not a whole number of frames
     * of one configuration.
     */
    private Optional<AudioTrack> track() {
        Optional<AudioFrames.Codec> codec = AudioFrames.Codec.ofStreamType(streamType);
        if (audioPid < 0 || pes.isEmpty() || codec.isEmpty()) {
            return Optional.empty();
        }
        List<AudioFrames.Frame> frames = new ArrayList<>();
        AudioFrames.Config config = null;
        for (Pes p : pes) {
            Optional<List<byte[]>> split = AudioFrames.split(codec.get(), p.payload(), config);
            if (split.isEmpty() || frames.size() + split.get().size() > AudioFrames.MAX_FRAMES) {
                return Optional.empty();
            }
            int k = 0;
            for (byte[] f : split.get()) {
                config = AudioFrames.config(codec.get(), f).orElseThrow();
                frames.add(new AudioFrames.Frame(p.pts() + Math.round((double) k++ * config.samplesPerFrame()
                                                                      * TIMESCALE / config.sampleRate()), f));
            }
        }
        return frames.isEmpty() ? Optional.empty()
                : Optional.of(new TsAudioTrack(audioPid, streamId, Arrays.copyOfRange(d, patAt, patAt + PACKET),
                                               Arrays.copyOfRange(d, pmtAt, pmtAt + PACKET), List.copyOf(frames),
                                               config));
    }
}
