package dev.vbuf.core;

import java.time.Duration;

import dev.vbuf.core.OutputFormat;

/**
 * The audio extracted from one segment.
 *
 * @param format     its format
 * @param bytes      the audio
 * @param audioMs    its duration as FFmpeg reported it (exact for PCM)
 * @param processing FFmpeg's wall time
 * @param queued     time from the segment's arrival until its FFmpeg process could start
 */
public record SegmentAudio(OutputFormat format, byte[] bytes, long audioMs, Duration processing, Duration queued) {
}
