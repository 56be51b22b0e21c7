package dev.vbuf.media;

import java.util.List;
import java.util.Optional;

import dev.vbuf.core.SegmentException;

/**
 * MP4 (fragmented, or fast-start): its top-level boxes, read strictly with {@link Mp4Boxes}; whether FFmpeg can read
 * it from a pipe (a {@code moov}, and no media data before it unless fragmented); whether its first audio track is
 * AAC; and (when asked for) that track's samples ({@link Fmp4AudioReader}).
 */
final class Mp4Parser {
    private Mp4Parser() {
    }

    /** Whether {@code d[0, n)} starts with a box of a type a top-level MP4 box has. */
    static boolean starts(byte[] d, int n) {
        return n >= 8 && switch (Mp4Boxes.fourcc(d, 4)) {
            case "ftyp", "styp", "moov", "moof", "sidx", "free", "skip", "wide", "mdat", "emsg", "prft" -> true;
            default -> false;
        };
    }

    static ParsedSegment parse(byte[] d, int n, boolean withAudio) throws SegmentException {
        List<Mp4Boxes.Box> boxes;
        try {
            boxes = Mp4Boxes.children(d, 0, n);
        } catch (Mp4Boxes.MalformedBox e) {
            throw SegmentParser.invalid((e.truncated() ? "truncated" : "corrupt") + " MP4 segment: " + e.getMessage());
        }
        Mp4Boxes.Box firstMoov = null;
        boolean sawMdatBeforeMoov = false;
        boolean aac = false;
        boolean sawMoof = false;
        for (Mp4Boxes.Box box : boxes) {
            switch (box.type()) {
                case "moov" -> {
                    firstMoov = firstMoov == null ? box : firstMoov;
                    aac = hasAacAudio(d, box);
                }
                case "mdat" -> sawMdatBeforeMoov |= firstMoov == null;
                case "moof" -> sawMoof = true;
                default -> { }
            }
        }
        if (firstMoov == null) {
            throw SegmentParser.invalid(sawMoof
                    ? "fragmented MP4 media segment without its initialization segment (no 'moov' box):"
                      + " send the init segment (EXT-X-MAP) and the media segment together as one message"
                    : "MP4 segment without a 'moov' box");
        }
        if (sawMdatBeforeMoov && !sawMoof) {
            throw SegmentParser.invalid("MP4 with its 'moov' box after the media data cannot be read from a stream:"
                                        + " send fragmented MP4 or a fast-start MP4 (moov first)");
        }
        return new ParsedSegment(InputContainer.MP4, aac,
                                 withAudio ? Fmp4AudioReader.read(d, n, boxes, firstMoov) : Optional.empty());
    }

    /** True when the first audio track of the moov box has an 'mp4a' sample entry. */
    private static boolean hasAacAudio(byte[] d, Mp4Boxes.Box moov) {
        Optional<Mp4Boxes.Box> stsd = soundTrak(d, moov).flatMap(t -> Mp4Boxes.path(d, t, "mdia", "minf", "stbl", "stsd"));
        // stsd: header(8) version/flags(4) entry_count(4), then the first sample entry: size(4) type(4)
        return stsd.isPresent() && stsd.get().start() + 24 <= stsd.get().end()
               && Mp4Boxes.fourcc(d, stsd.get().start() + 20).equals("mp4a");
    }

    /** The moov's first track whose handler is 'soun', read leniently (a malformed box ends the search). */
    static Optional<Mp4Boxes.Box> soundTrak(byte[] d, Mp4Boxes.Box moov) {
        int off = moov.bodyStart();
        while (true) {
            Optional<Mp4Boxes.Box> trak = Mp4Boxes.find(d, off, moov.end(), "trak");
            if (trak.isEmpty()) {
                return trak;
            }
            off = trak.get().end();
            // hdlr: header(8) version/flags(4) pre_defined(4) handler_type(4)
            Optional<Mp4Boxes.Box> hdlr = Mp4Boxes.path(d, trak.get(), "mdia", "hdlr");
            if (hdlr.isPresent() && hdlr.get().start() + 20 <= hdlr.get().end()
                && Mp4Boxes.fourcc(d, hdlr.get().start() + 16).equals("soun")) {
                return trak;
            }
        }
    }
}
