package dev.vbuf.media;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.LongAdder;

import dev.vbuf.core.SegmentException;
import dev.vbuf.protocol.ErrorCode;

/**
 * The one entry to a segment's bytes before any process is started: recognises the container and hands the segment
 * to that container's parser ({@link TsParser}, {@link Mp4Parser}, {@link MatroskaParser}), once. Refuses what is
 * obviously unusable (empty, text, a playlist, truncated, an MP4 FFmpeg cannot read from a pipe) with
 * {@link ErrorCode#INVALID_MEDIA}. Only structure is read; nothing is decoded. The input is untrusted: every parser
 * bounds-checks its offsets, and nothing but that clear refusal leaves here.
 */
public final class SegmentParser {
    /** Every parse of a segment, so a test can see that each one is parsed once. */
    private static final LongAdder PARSES = new LongAdder();

    private SegmentParser() {
    }

    /** The container and codec of a whole segment, without its audio frames (what protocol v1 needs). */
    public static ParsedSegment inspect(byte[] data) throws SegmentException {
        return inspect(data, data.length);
    }

    /** As {@link #inspect(byte[])}, for the first {@code length} bytes of a (pooled, maybe longer) buffer. */
    public static ParsedSegment inspect(byte[] buffer, int length) throws SegmentException {
        return parse(buffer, length, false);
    }

    /**
     * The container and codec of the segment in {@code buffer[0, length)}, and its first audio track's frames with
     * their presentation times where it has them (what protocol v1.1 plans with).
     */
    public static ParsedSegment parse(byte[] buffer, int length) throws SegmentException {
        return parse(buffer, length, true);
    }

    /** How many segments have been parsed in this JVM. */
    public static long parses() {
        return PARSES.sum();
    }

    private static ParsedSegment parse(byte[] d, int n, boolean withAudio) throws SegmentException {
        if (n < 0 || n > d.length) {
            throw new IllegalArgumentException("length " + n + " outside a buffer of " + d.length);
        }
        PARSES.increment();
        if (n == 0) {
            throw invalid("empty segment (0 bytes)");
        }
        if (d[0] == 0x47 && (n <= TsParser.PACKET || (d[TsParser.PACKET] & 0xFF) == 0x47)) {
            return TsParser.parse(d, n, withAudio);
        }
        if (MatroskaParser.starts(d, n)) {
            return MatroskaParser.parse(d, n);
        }
        if (Mp4Parser.starts(d, n)) {
            return Mp4Parser.parse(d, n, withAudio);
        }
        throw invalid(describeUnknown(d, n));
    }

    /** The refusal of a segment that cannot be read. */
    static SegmentException invalid(String message) {
        return new SegmentException(ErrorCode.INVALID_MEDIA, message);
    }

    private static String describeUnknown(byte[] d, int n) {
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
        if (looksLikeText(d, n)) {
            return "this is text, not a media segment: expected MPEG-TS, MP4 or Matroska/WebM bytes";
        }
        return "unrecognised container: expected MPEG-TS, MP4 (fragmented or fast-start) or Matroska/WebM";
    }

    private static boolean looksLikeText(byte[] d, int n) {
        int head = Math.min(n, 512);
        for (int i = 0; i < head; i++) {
            int b = d[i] & 0xFF;
            if (b < 0x09 || (b > 0x0D && b < 0x20 && b != 0x1B)) {
                return false;
            }
        }
        return true;
    }
}
