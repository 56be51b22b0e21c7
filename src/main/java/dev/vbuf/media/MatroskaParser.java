package dev.vbuf.media;

import java.nio.charset.StandardCharsets;

import dev.vbuf.core.SegmentException;

/**
 * Matroska / WebM: the EBML header, the Segment element and its top-level elements, checked against the bytes
 * present, and whether the first audio track is AAC. Untrusted input: every size is checked before it is used.
 */
final class MatroskaParser {
    /** The segment: {@code d[0, n)}. */
    private final byte[] d;
    private final int n;

    private MatroskaParser(byte[] d, int n) {
        this.d = d;
        this.n = n;
    }

    /** Whether {@code d[0, n)} starts with the EBML magic. */
    static boolean starts(byte[] d, int n) {
        return n >= 4 && (d[0] & 0xFF) == 0x1A && (d[1] & 0xFF) == 0x45 && (d[2] & 0xFF) == 0xDF
               && (d[3] & 0xFF) == 0xA3;
    }

    static ParsedSegment parse(byte[] d, int n) throws SegmentException {
        return new MatroskaParser(d, n).parse();
    }

    private static final long EBML_UNKNOWN = -1;

    private ParsedSegment parse() throws SegmentException {
        int[] pos = {0};
        long headerId = readId(pos);
        long headerSize = readSize(pos);
        if (headerId != 0x1A45DFA3L || headerSize == EBML_UNKNOWN || pos[0] + headerSize > n) {
            throw SegmentParser.invalid("truncated or corrupt Matroska/WebM segment: bad EBML header");
        }
        pos[0] += (int) headerSize;
        if (pos[0] >= n) {
            throw SegmentParser.invalid("truncated Matroska/WebM segment: nothing after the EBML header");
        }
        long segmentId = readId(pos);
        long segmentSize = readSize(pos);
        if (segmentId != 0x18538067L) {
            throw SegmentParser.invalid("corrupt Matroska/WebM segment: expected a Segment element after the EBML header");
        }
        if (segmentSize != EBML_UNKNOWN && segmentSize > n - pos[0]) {
            throw SegmentParser.invalid("truncated Matroska/WebM segment: Segment declares " + segmentSize + " bytes but only "
                          + (n - pos[0]) + " are present");
        }
        long end = segmentSize == EBML_UNKNOWN ? n : pos[0] + segmentSize;
        boolean aac = false;
        while (pos[0] < end) {
            int elementStart = pos[0];
            long id = readId(pos);
            long size = readSize(pos);
            if (id < 0) {
                throw SegmentParser.invalid("corrupt Matroska/WebM segment: bad element at byte " + elementStart);
            }
            if (size == EBML_UNKNOWN) {
                break; // live-style cluster of unknown size: nothing more to check cheaply
            }
            if (size > end - pos[0]) {
                throw SegmentParser.invalid("truncated Matroska/WebM segment: element at byte " + elementStart + " declares " + size
                              + " bytes but only " + (end - pos[0]) + " are present");
            }
            if (id == 0x1654AE6BL) {
                aac = firstAudioTrackIsAac(pos[0], (int) (pos[0] + size));
            }
            pos[0] += (int) size;
        }
        return ParsedSegment.of(InputContainer.MATROSKA, aac);
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
}
