package dev.vbuf.client;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.core.OutputFormat;

/**
 * Writes the audio of all segments, in order, as one playable file. ADTS AAC and raw PCM are concatenations by
 * nature; fragmented MP4 and WebM replies are whole files each, so they are joined with FFmpeg's concat demuxer
 * (stream copy) into one fragmented MP4 (still MSE-ready) or one WebM.
 */
final class OutputAssembler {
    private OutputAssembler() {
    }

    static void write(OutputFormat format, List<byte[]> parts, Path out, FfmpegBinary ffmpeg, Path workDir)
            throws IOException, InterruptedException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        switch (format) {
            case AAC, PCM -> {
                try (OutputStream o = Files.newOutputStream(out)) {
                    for (byte[] p : parts) {
                        o.write(p);
                    }
                }
            }
            case FMP4, WEBM -> {
                List<String> list = new ArrayList<>();
                for (int i = 0; i < parts.size(); i++) {
                    Path part = workDir.resolve(String.format("part-%05d.%s", i, format.fileExtension()));
                    Files.write(part, parts.get(i));
                    list.add("file '" + part.toAbsolutePath().toString().replace("'", "'\\''") + "'");
                }
                Path listFile = workDir.resolve("parts.txt");
                Files.write(listFile, list);
                List<String> cmd = new ArrayList<>(List.of(
                        ffmpeg.executable().toString(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                        "-f", "concat", "-safe", "0", "-i", listFile.toString(), "-c", "copy"));
                if (format == OutputFormat.FMP4) {
                    cmd.addAll(List.of("-f", "mp4", "-movflags", FfmpegCommand.FMP4_MOVFLAGS));
                } else {
                    cmd.addAll(List.of("-f", "webm"));
                }
                cmd.add(out.toString());
                SegmentSource.run(cmd, "join the " + format + " parts into " + out);
            }
        }
    }

    /** ffprobe arguments that make raw output readable. */
    static List<String> probeArgs(OutputFormat format) {
        return format == OutputFormat.PCM
                ? List.of("-f", "s16le", "-sample_rate", String.valueOf(OutputFormat.PCM_SAMPLE_RATE),
                          "-ch_layout", "mono")
                : List.of();
    }
}
