package dev.vbuf.media;

import java.util.Optional;

/**
 * What one parse of a segment found: its container (so FFmpeg's demuxer can be forced), whether its first audio
 * stream is AAC (so it can be stream-copied) and, when it was asked for and could be read, that stream's frames.
 *
 * @param container  the container
 * @param audioIsAac true only when an AAC first audio stream was positively seen
 * @param audio      the first audio track with its frames (MPEG-TS with ADTS, MPEG audio or AC-3; fragmented MP4
 *                   with AAC-LC); empty when not asked for, or for anything else
 */
public record ParsedSegment(InputContainer container, boolean audioIsAac, Optional<AudioTrack> audio) {
    static ParsedSegment of(InputContainer container, boolean audioIsAac) {
        return new ParsedSegment(container, audioIsAac, Optional.empty());
    }
}
