package dev.vbuf.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.vbuf.ffmpeg.FfmpegFileCommand;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * ffprobe (next to the FFmpeg in use) on bytes or files: container, first audio stream, audio duration. Run through
 * vbuf's process runner and read with Jackson rather than through ffmpeg-cli-wrapper's {@code FFprobe}: that one reads
 * ffprobe's whole output before it waits, with no deadline, so a hung ffprobe would hang the client, and the JSON
 * reader behind its result model is internal to it (not usable on output read another way).
 */
public final class AudioProbe {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path ffprobe;

    public AudioProbe(dev.vbuf.ffmpeg.FfmpegBinary ffmpeg) {
        this.ffprobe = ffmpeg.sibling("ffprobe").orElseThrow(
                () -> new IllegalStateException("ffprobe not found next to " + ffmpeg.executable()));
    }

    /**
     * What ffprobe says of a file.
     *
     * @param formatName   container (ffprobe's format_name)
     * @param codec        first audio stream's codec, or null
     * @param profile      its profile as ffprobe names it ("LC" for AAC-LC; "-1" when the codec config is missing)
     * @param sampleRate   its sample rate
     * @param channels     its channels
     * @param durationSec  the audio duration, from decoding every packet (not the header)
     */
    public record Info(String formatName, String codec, String profile, int sampleRate, int channels,
                       double durationSec) {
    }

    public Info probe(byte[] data, String extension) {
        return probe(data, extension, List.of());
    }

    /** @param inputArgs e.g. {@code -f s16le -ar 16000 -ac 1} for raw PCM */
    public Info probe(byte[] data, String extension, List<String> inputArgs) {
        try {
            Path f = Files.createTempFile("vbuf-probe", "." + extension);
            try {
                Files.write(f, data);
                return probe(f, inputArgs);
            } finally {
                Files.deleteIfExists(f);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Info probe(Path file, List<String> inputArgs) {
        List<String> cmd = FfmpegFileCommand.probeAudio(ffprobe.toString(), inputArgs, file);
        try {
            JsonNode root = JSON.readTree(FfmpegFileCommand.run(cmd, "probe " + file));
            JsonNode stream = root.path("streams").path(0);
            double duration = audioDuration(file, inputArgs);
            return new Info(root.path("format").path("format_name").asText(),
                            stream.isMissingNode() ? null : stream.path("codec_name").asText(),
                            stream.path("profile").asText(null),
                            stream.path("sample_rate").asInt(), stream.path("channels").asInt(), duration);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Audio duration: end of the last audio packet minus start of the first, read packet by packet. */
    private double audioDuration(Path file, List<String> inputArgs) throws IOException, InterruptedException {
        List<String> cmd = FfmpegFileCommand.probeAudioPackets(ffprobe.toString(), inputArgs, file);
        JsonNode root = JSON.readTree(FfmpegFileCommand.run(cmd, "read the audio packets of " + file));
        double first = Double.NaN;
        double end = Double.NaN;
        for (JsonNode pkt : root.path("packets")) {
            double pts = pkt.path("pts_time").asDouble(Double.NaN);
            double dur = pkt.path("duration_time").asDouble(0);
            if (Double.isNaN(pts)) {
                continue;
            }
            if (Double.isNaN(first) || pts < first) {
                first = pts;
            }
            if (Double.isNaN(end) || pts + dur > end) {
                end = pts + dur;
            }
        }
        return Double.isNaN(first) ? 0 : end - first;
    }
}
