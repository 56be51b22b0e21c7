package dev.vbuf.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code ffmpeg} section: which FFmpeg, and how far one process may go.
 *
 * @param path            the executable; empty = the bundled build, else {@code ffmpeg} on {@code PATH}
 *                        ({@code ffmpeg.path})
 * @param requiredVersion the version the start insists on, if any ({@code ffmpeg.required-version})
 * @param timeout         deadline of one process ({@code ffmpeg.timeout-ms})
 * @param maxOutputBytes  largest output of one process ({@code ffmpeg.max-output-bytes})
 */
public record FfmpegConfig(Optional<Path> path, Optional<String> requiredVersion, Duration timeout,
                           int maxOutputBytes) {
    static FfmpegConfig read(SettingReader r) {
        return new FfmpegConfig(r.optional(Setting.FFMPEG_PATH).map(Path::of),
                                r.optional(Setting.FFMPEG_REQUIRED_VERSION),
                                r.millis(Setting.FFMPEG_TIMEOUT_MS, 1),
                                r.integer(Setting.FFMPEG_MAX_OUTPUT_BYTES, 1));
    }
}
