package dev.vbuf.protocol;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The audio formats vbuf returns, defined once. The wire name is what clients put in {@code ?format=}.
 */
public enum OutputFormat {
    /** ADTS AAC; stream copy when the input audio is AAC (gapless across segments), encoded otherwise. */
    AAC("aac", "audio/aac", "aac", "adts"),
    /** Fragmented MP4 with AAC, ready for Media Source Extensions. */
    FMP4("fmp4", "audio/mp4", "m4a", "mp4"),
    /** WebM with Opus. */
    WEBM("webm", "audio/webm", "webm", "webm"),
    /** Raw signed 16-bit little-endian PCM, 16 kHz, mono: the feed for speech-to-text. */
    PCM("pcm", "audio/L16; channels=1; rate=16000", "pcm", "s16le");

    /** The format used when a client names none. */
    public static final OutputFormat DEFAULT = FMP4;

    /** PCM output parameters (bytes per second follow from them). */
    public static final int PCM_SAMPLE_RATE = 16_000;
    public static final int PCM_CHANNELS = 1;
    public static final int PCM_BYTES_PER_SAMPLE = 2;

    private final String wireName;
    private final String contentType;
    private final String fileExtension;
    private final String muxer;

    OutputFormat(String wireName, String contentType, String fileExtension, String muxer) {
        this.wireName = wireName;
        this.contentType = contentType;
        this.fileExtension = fileExtension;
        this.muxer = muxer;
    }

    public String wireName() {
        return wireName;
    }

    public String contentType() {
        return contentType;
    }

    public String fileExtension() {
        return fileExtension;
    }

    /** FFmpeg muxer ({@code -f}) that writes this format to a pipe. */
    public String muxer() {
        return muxer;
    }

    public static Optional<OutputFormat> fromWireName(String name) {
        if (name == null) {
            return Optional.empty();
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.wireName.equals(n)).findFirst();
    }

    /** The list of accepted names, for error messages. */
    public static String wireNames() {
        return Arrays.stream(values()).map(OutputFormat::wireName).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return wireName;
    }
}
