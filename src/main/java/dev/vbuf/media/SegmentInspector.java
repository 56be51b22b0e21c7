package dev.vbuf.media;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.core.SegmentException;

/**
 * Looks at a segment's bytes before any process is started: which container it is (so FFmpeg's demuxer can be forced),
 * whether its first audio stream is AAC (so it can be stream-copied), and whether it is obviously unusable (empty,
 * text, truncated, an MP4 FFmpeg cannot read from a pipe). Only structure is read; nothing is decoded.
 * All offsets are bounds-checked: the input is untrusted.
 */
public final class SegmentInspector {
    private static final int TS_PACKET = 188;
    private static final int TS_SCAN_PACKETS = 2000;


    /** What the inspection found. {@code audioIsAac} is true only when an AAC first audio stream was positively seen. */
    public record Inspection(InputContainer container, boolean audioIsAac) {
    }

    public static Inspection inspect(byte[] data) throws SegmentException {
        return inspect(data, data.length);
    }

    /**
     * Inspects the first {@code length} bytes of {@code buffer} (a pooled buffer may be longer than its segment).
     */
    public static Inspection inspect(byte[] buffer, int length) throws SegmentException {
        if (length < 0 || length > buffer.length) {
            throw new IllegalArgumentException("length " + length + " outside a buffer of " + buffer.length);
        }
        return new SegmentInspector(buffer, length).inspect();
    }

    /** The segment: {@code d[0, n)}. */
    private final byte[] d;
    private final int n;

    private SegmentInspector(byte[] d, int n) {
        this.d = d;
        this.n = n;
    }

    private Inspection inspect() throws SegmentException {
        if (n == 0) {
            throw invalid("empty segment (0 bytes)");
        }
        if (d[0] == 0x47 && (n <= TS_PACKET || (d[TS_PACKET] & 0xFF) == 0x47)) {
            return inspectTs();
        }
        if (n >= 4 && (d[0] & 0xFF) == 0x1A && (d[1] & 0xFF) == 0x45
            && (d[2] & 0xFF) == 0xDF && (d[3] & 0xFF) == 0xA3) {
            return inspectMatroska();
        }
        if (n >= 8 && isMp4TopLevelType(fourcc(4))) {
            return inspectMp4();
        }
        throw invalid(describeUnknown());
    }

    // ---------------------------------------------------------------- MPEG-TS

    private Inspection inspectTs() throws SegmentException {
        if (n % TS_PACKET != 0) {
            throw invalid("truncated MPEG-TS segment: " + n + " bytes is not a whole number of "
                          + TS_PACKET + "-byte packets");
        }
        int pmtPid = -1;
        int packets = Math.min(n / TS_PACKET, TS_SCAN_PACKETS);
        for (int i = 0; i < packets; i++) {
            int p = i * TS_PACKET;
            if ((d[p] & 0xFF) != 0x47) {
                throw invalid("corrupt MPEG-TS segment: no sync byte at packet " + i);
            }
            boolean unitStart = (d[p + 1] & 0x40) != 0;
            int pid = ((d[p + 1] & 0x1F) << 8) | (d[p + 2] & 0xFF);
            int afc = (d[p + 3] >> 4) & 0x3;
            if (!unitStart || (afc & 0x1) == 0) {
                continue;
            }
            int off = p + 4;
            if (afc == 3) {
                off += 1 + (d[off] & 0xFF);
            }
            if (off >= p + TS_PACKET) {
                continue;
            }
            int section = off + 1 + (d[off] & 0xFF); // pointer_field
            int end = p + TS_PACKET;
            if (section + 8 > end) {
                continue;
            }
            int tableId = d[section] & 0xFF;
            int sectionEnd = Math.min(end, section + 3 + (((d[section + 1] & 0x0F) << 8) | (d[section + 2] & 0xFF)) - 4);
            if (pid == 0 && tableId == 0x00 && pmtPid < 0) {
                for (int e = section + 8; e + 4 <= sectionEnd; e += 4) {
                    int program = ((d[e] & 0xFF) << 8) | (d[e + 1] & 0xFF);
                    if (program != 0) {
                        pmtPid = ((d[e + 2] & 0x1F) << 8) | (d[e + 3] & 0xFF);
                        break;
                    }
                }
            } else if (pid == pmtPid && tableId == 0x02 && section + 12 <= end) {
                int infoLen = ((d[section + 10] & 0x0F) << 8) | (d[section + 11] & 0xFF);
                for (int e = section + 12 + infoLen; e + 5 <= sectionEnd; ) {
                    int streamType = d[e] & 0xFF;
                    int esInfoLen = ((d[e + 3] & 0x0F) << 8) | (d[e + 4] & 0xFF);
                    if (isTsAudio(streamType)) {
                        return new Inspection(InputContainer.MPEG_TS, streamType == 0x0F);
                    }
                    e += 5 + esInfoLen;
                }
                return new Inspection(InputContainer.MPEG_TS, false);
            }
        }
        return new Inspection(InputContainer.MPEG_TS, false);
    }

    private static boolean isTsAudio(int streamType) {
        return switch (streamType) {
            case 0x03, 0x04, 0x0F, 0x11, 0x81, 0x87 -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- MP4

    private static boolean isMp4TopLevelType(String type) {
        return switch (type) {
            case "ftyp", "styp", "moov", "moof", "sidx", "free", "skip", "wide", "mdat", "emsg", "prft" -> true;
            default -> false;
        };
    }

    private Inspection inspectMp4() throws SegmentException {
        List<Mp4Boxes.Box> boxes;
        try {
            boxes = Mp4Boxes.children(d, 0, n);
        } catch (Mp4Boxes.MalformedBox e) {
            throw invalid((e.truncated() ? "truncated" : "corrupt") + " MP4 segment: " + e.getMessage());
        }
        boolean sawMoov = false;
        boolean sawMdatBeforeMoov = false;
        boolean aac = false;
        boolean sawMoof = false;
        for (Mp4Boxes.Box box : boxes) {
            switch (box.type()) {
                case "moov" -> {
                    sawMoov = true;
                    aac = moovHasAacAudio(box);
                }
                case "mdat" -> sawMdatBeforeMoov |= !sawMoov;
                case "moof" -> sawMoof = true;
                default -> { }
            }
        }
        if (!sawMoov) {
            throw invalid(sawMoof
                          ? "fragmented MP4 media segment without its initialization segment (no 'moov' box):"
                            + " send the init segment (EXT-X-MAP) and the media segment together as one message"
                          : "MP4 segment without a 'moov' box");
        }
        if (sawMdatBeforeMoov && !sawMoof) {
            throw invalid("MP4 with its 'moov' box after the media data cannot be read from a stream:"
                          + " send fragmented MP4 or a fast-start MP4 (moov first)");
        }
        return new Inspection(InputContainer.MP4, aac);
    }

    /** True when the first audio ('soun') track of the moov box has an 'mp4a' sample entry. */
    private boolean moovHasAacAudio(Mp4Boxes.Box moov) {
        int off = moov.bodyStart();
        while (true) {
            Optional<Mp4Boxes.Box> trak = Mp4Boxes.find(d, off, moov.end(), "trak");
            if (trak.isEmpty()) {
                return false;
            }
            off = trak.get().end();
            Optional<Mp4Boxes.Box> mdia = Mp4Boxes.path(d, trak.get(), "mdia");
            Optional<Mp4Boxes.Box> hdlr = mdia.flatMap(m -> Mp4Boxes.path(d, m, "hdlr"));
            // hdlr: header(8) version/flags(4) pre_defined(4) handler_type(4)
            if (hdlr.isEmpty() || hdlr.get().start() + 20 > hdlr.get().end()
                || !Mp4Boxes.fourcc(d, hdlr.get().start() + 16).equals("soun")) {
                continue;
            }
            Optional<Mp4Boxes.Box> stsd = Mp4Boxes.path(d, mdia.get(), "minf", "stbl", "stsd");
            // stsd: header(8) version/flags(4) entry_count(4), then the first sample entry: size(4) type(4)
            return stsd.isPresent() && stsd.get().start() + 24 <= stsd.get().end()
                   && Mp4Boxes.fourcc(d, stsd.get().start() + 20).equals("mp4a");
        }
    }

    // ---------------------------------------------------------------- Matroska / WebM

    private static final long EBML_UNKNOWN = -1;

    private Inspection inspectMatroska() throws SegmentException {
        int[] pos = {0};
        long headerId = readId(pos);
        long headerSize = readSize(pos);
        if (headerId != 0x1A45DFA3L || headerSize == EBML_UNKNOWN || pos[0] + headerSize > n) {
            throw invalid("truncated or corrupt Matroska/WebM segment: bad EBML header");
        }
        pos[0] += (int) headerSize;
        if (pos[0] >= n) {
            throw invalid("truncated Matroska/WebM segment: nothing after the EBML header");
        }
        long segmentId = readId(pos);
        long segmentSize = readSize(pos);
        if (segmentId != 0x18538067L) {
            throw invalid("corrupt Matroska/WebM segment: expected a Segment element after the EBML header");
        }
        if (segmentSize != EBML_UNKNOWN && segmentSize > n - pos[0]) {
            throw invalid("truncated Matroska/WebM segment: Segment declares " + segmentSize + " bytes but only "
                          + (n - pos[0]) + " are present");
        }
        long end = segmentSize == EBML_UNKNOWN ? n : pos[0] + segmentSize;
        boolean aac = false;
        while (pos[0] < end) {
            int elementStart = pos[0];
            long id = readId(pos);
            long size = readSize(pos);
            if (id < 0) {
                throw invalid("corrupt Matroska/WebM segment: bad element at byte " + elementStart);
            }
            if (size == EBML_UNKNOWN) {
                break; // live-style cluster of unknown size: nothing more to check cheaply
            }
            if (size > end - pos[0]) {
                throw invalid("truncated Matroska/WebM segment: element at byte " + elementStart + " declares " + size
                              + " bytes but only " + (end - pos[0]) + " are present");
            }
            if (id == 0x1654AE6BL) {
                aac = firstAudioTrackIsAac(pos[0], (int) (pos[0] + size));
            }
            pos[0] += (int) size;
        }
        return new Inspection(InputContainer.MATROSKA, aac);
    }

    private boolean firstAudioTrackIsAac(int from, int to) {
        int[] pos = {from};
        while (pos[0] < to) {
            long id = readId(pos);
            long size = readSize(pos);
            if (id < 0 || size < 0 || size > to - pos[0]) {
                return false;
            }
            if (id == 0xAE) { // TrackEntry
                int[] p = {pos[0]};
                int entryEnd = (int) (pos[0] + size);
                long trackType = -1;
                String codec = "";
                while (p[0] < entryEnd) {
                    long cid = readId(p);
                    long csize = readSize(p);
                    if (cid < 0 || csize < 0 || csize > entryEnd - p[0]) {
                        return false;
                    }
                    if (cid == 0x83 && csize <= 8) {
                        trackType = 0;
                        for (int i = 0; i < csize; i++) {
                            trackType = (trackType << 8) | (d[p[0] + i] & 0xFF);
                        }
                    } else if (cid == 0x86) {
                        codec = new String(d, p[0], (int) csize, StandardCharsets.US_ASCII);
                    }
                    p[0] += (int) csize;
                }
                if (trackType == 2) {
                    return codec.startsWith("A_AAC");
                }
            }
            pos[0] += (int) size;
        }
        return false;
    }

    /** Reads an EBML element ID (marker bits kept); -1 when malformed or out of bounds. */
    private long readId(int[] pos) {
        if (pos[0] >= n) {
            return -1;
        }
        int first = d[pos[0]] & 0xFF;
        int len = Integer.numberOfLeadingZeros(first) - 23; // 1..8 for a non-zero byte
        if (first == 0 || len > 4 || pos[0] + len > n) {
            pos[0] = n;
            return -1;
        }
        long v = 0;
        for (int i = 0; i < len; i++) {
            v = (v << 8) | (d[pos[0] + i] & 0xFF);
        }
        pos[0] += len;
        return v;
    }

    /** Reads an EBML size; {@link #EBML_UNKNOWN} for "unknown size" or malformed input. */
    private long readSize(int[] pos) {
        if (pos[0] >= n) {
            return EBML_UNKNOWN;
        }
        int first = d[pos[0]] & 0xFF;
        int len = Integer.numberOfLeadingZeros(first) - 23;
        if (first == 0 || pos[0] + len > n) {
            pos[0] = n;
            return EBML_UNKNOWN;
        }
        long v = first & (0xFF >> len);
        boolean allOnes = v == (0xFF >> len);
        for (int i = 1; i < len; i++) {
            int b = d[pos[0] + i] & 0xFF;
            allOnes &= b == 0xFF;
            v = (v << 8) | b;
        }
        pos[0] += len;
        return allOnes || v < 0 ? EBML_UNKNOWN : v;
    }

    // ---------------------------------------------------------------- helpers

    private String describeUnknown() {
        String head = new String(d, 0, Math.min(n, 512), StandardCharsets.ISO_8859_1);
        String trimmed = head.stripLeading();
        if (trimmed.startsWith("\uFEFF")) {
            trimmed = trimmed.substring(1);
        }
        if (trimmed.startsWith("#EXTM3U") || head.startsWith("\u00EF\u00BB\u00BF#EXTM3U")) {
            return "this is an HLS playlist, not a media segment: send the segments it lists, one message each";
        }
        if (trimmed.startsWith("ffconcat") || trimmed.startsWith("file ") || trimmed.startsWith("file\t")) {
            return "this is an FFmpeg concat list, not a media segment";
        }
        if (looksLikeText()) {
            return "this is text, not a media segment: expected MPEG-TS, MP4 or Matroska/WebM bytes";
        }
        return "unrecognised container: expected MPEG-TS, MP4 (fragmented or fast-start) or Matroska/WebM";
    }

    private boolean looksLikeText() {
        int head = Math.min(n, 512);
        for (int i = 0; i < head; i++) {
            int b = d[i] & 0xFF;
            if (b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B)) {
                return false;
            }
        }
        return true;
    }

    private static SegmentException invalid(String message) {
        return new SegmentException(ErrorCode.INVALID_MEDIA, message);
    }

    private long u32(int off) {
        if (off < 0 || off + 4 > n) {
            return 0;
        }
        return ((long) (d[off] & 0xFF) << 24) | ((d[off + 1] & 0xFF) << 16) | ((d[off + 2] & 0xFF) << 8) | (d[off + 3] & 0xFF);
    }

    private String fourcc(int off) {
        if (off < 0 || off + 4 > n) {
            return "";
        }
        return new String(d, off, 4, StandardCharsets.ISO_8859_1);
    }
}
