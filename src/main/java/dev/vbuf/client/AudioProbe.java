package dev.vbuf.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
        List<String> cmd = new ArrayList<>(List.of(ffprobe.toString(), "-v", "error", "-print_format", "json",
                                                   "-show_format", "-show_streams", "-select_streams", "a:0",
                                                   "-count_packets", "-show_entries",
                                                   "format=format_name,duration:stream=codec_name,profile,sample_rate,channels,"
                                                   + "duration,nb_read_packets,time_base"));
        cmd.addAll(inputArgs);
        cmd.add(file.toString());
        try {
            JsonNode root = JSON.readTree(SegmentSource.run(cmd, "probe " + file));
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
        List<String> cmd = new ArrayList<>(List.of(ffprobe.toString(), "-v", "error", "-print_format", "json",
                                                   "-select_streams", "a:0", "-show_entries",
                                                   "packet=pts_time,duration_time"));
        cmd.addAll(inputArgs);
        cmd.add(file.toString());
        JsonNode root = JSON.readTree(SegmentSource.run(cmd, "read the audio packets of " + file));
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
