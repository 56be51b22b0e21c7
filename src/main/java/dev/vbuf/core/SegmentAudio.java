package dev.vbuf.core;

import java.time.Duration;

import dev.vbuf.protocol.OutputFormat;

/**
 * The audio extracted from one segment.
 *
 * @param format     its format
 * @param bytes      the audio
 * @param audioMs    its duration as FFmpeg reported it (exact for PCM)
 * @param processing FFmpeg's wall time
 * @param queued     time from the segment's arrival until its FFmpeg process could start
 * @param placement  where it sits on the input's timeline (protocol v1.1), or null
 */
public record SegmentAudio(OutputFormat format, byte[] bytes, long audioMs, Duration processing, Duration queued,
                           AudioPlacement placement) {
    public SegmentAudio(OutputFormat format, byte[] bytes, long audioMs, Duration processing, Duration queued) {
        this(format, bytes, audioMs, processing, queued, null);
    }
}
