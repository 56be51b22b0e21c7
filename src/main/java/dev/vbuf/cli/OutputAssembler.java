package dev.vbuf.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.gapless.GaplessPlanner;
import dev.vbuf.tools.AudioProbe;
import dev.vbuf.tools.BoundaryCheck;

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
                List<String> cmd = FfmpegFileCommand.concat(ffmpeg.executable().toString(), listFile, format, out);
                FfmpegFileCommand.run(cmd, "join the " + format + " parts into " + out);
            }
        }
    }

    /** Whether any protocol v1.1 reply asks for samples to be dropped (re-encoded output). */
    static boolean trimmed(List<com.fasterxml.jackson.databind.JsonNode> placed) {
        return placed.stream().anyMatch(r -> r.path("trimStartSamples").asLong() != 0
                                             || r.path("trimEndSamples").asLong() != 0);
    }

    /**
     * Protocol v1.1, re-encoded formats: each reply decoded, its {@code trimStartSamples} dropped and
     * {@code samples} kept, the results joined and encoded once into one file of the format.
     */
    static void writeTrimmed(OutputFormat format, List<byte[]> parts, List<com.fasterxml.jackson.databind.JsonNode> placed,
                             Path out, FfmpegBinary ffmpeg, Path workDir) throws IOException, InterruptedException {
        Trimmed t = trim(parts, placed, format, ffmpeg, workDir);
        Path raw = workDir.resolve("trimmed.s16");
        Files.write(raw, t.bytes());
        List<String> cmd = FfmpegFileCommand.encodePcm(ffmpeg.executable().toString(), t.rate(), t.channels(), raw,
                                                       format, out);
        FfmpegFileCommand.run(cmd, "encode the trimmed " + format + " parts into " + out);
    }

    /** The kept samples of all parts, joined (s16le), and where each part ends. */
    record Trimmed(byte[] bytes, int rate, int channels, List<Long> ends) {
    }

    static Trimmed trim(List<byte[]> parts, List<com.fasterxml.jackson.databind.JsonNode> placed, OutputFormat format,
                        FfmpegBinary ffmpeg, Path workDir) throws IOException, InterruptedException {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        List<Long> ends = new ArrayList<>();
        int rate = placed.get(0).path("sampleRate").asInt();
        int channels = format == OutputFormat.PCM ? OutputFormat.PCM_CHANNELS
                : Math.max(1, new AudioProbe(ffmpeg).probe(parts.get(0), format.fileExtension()).channels());
        for (int i = 0; i < parts.size(); i++) {
            byte[] pcm;
            if (format == OutputFormat.PCM) {
                pcm = parts.get(i);
            } else {
                Path part = workDir.resolve(String.format("trim-%05d.%s", i, format.fileExtension()));
                Files.write(part, parts.get(i));
                short[] s = BoundaryCheck.decode(ffmpeg, part, List.of(), rate, channels);
                int from = (int) placed.get(i).path("trimStartSamples").asLong() * channels;
                int n = (int) placed.get(i).path("samples").asLong() * channels;
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.asShortBuffer().put(s, from, Math.min(n, s.length - from));
                pcm = b.array();
            }
            all.writeBytes(pcm);
            ends.add((long) all.size() / (2L * channels));
        }
        return new Trimmed(all.toByteArray(), rate, channels, ends);
    }

    /**
     * The summary line of a v1.1 run: the assembled audio against a single-pass decode of the input (pcm: as the
     * server decodes it; webm and AAC encoded from MP3 or AC-3: the source audio, with the same encoder's own error
     * over the whole input at the same places for scale).
     */
    static String measure(OutputFormat format, List<byte[]> parts, List<com.fasterxml.jackson.databind.JsonNode> placed,
                          Path input, FfmpegBinary ffmpeg, Path workDir) throws IOException, InterruptedException {
        Trimmed t = trim(parts, placed, format, ffmpeg, workDir);
        List<Long> boundaries = t.ends().subList(0, t.ends().size() - 1);
        short[] ours = BoundaryCheck.samples(t.bytes());
        short[] source = BoundaryCheck.decode(ffmpeg, input, List.of(), t.rate(), t.channels());
        BoundaryCheck.Report r = BoundaryCheck.compare(ours, source, t.channels(), t.rate(), boundaries);
        String line = String.format(java.util.Locale.ROOT,
                "boundaries vs a single-pass decode: %d, worst offset %d samples, worst error %d LSB within %d ms"
                + " (between boundaries %d), length %+d samples%s", boundaries.size(), r.worstOffset(),
                r.worstBoundaryError(), BoundaryCheck.WINDOW_MS, r.awayMaxError(), r.lengthDiff(),
                r.identical() ? ", bit-identical" : "");
        if (format != OutputFormat.PCM) {
            // the same encoder once over the whole input, at the same places, for scale
            boolean opus = format == OutputFormat.WEBM;
            Path single = workDir.resolve(opus ? "single-pass.webm" : "single-pass.aac");
            List<String> cmd = FfmpegFileCommand.encodeOnce(ffmpeg.executable().toString(), input, opus, single);
            FfmpegFileCommand.run(cmd, "encode " + input + " once");
            short[] once = BoundaryCheck.decode(ffmpeg, single, List.of(), t.rate(), t.channels());
            if (!opus) { // ADTS keeps the encoder's priming
                once = java.util.Arrays.copyOfRange(once, GaplessPlanner.AAC_PRIMING * t.channels(), once.length);
            }
            BoundaryCheck.Report r1 = BoundaryCheck.compare(once, source, t.channels(), t.rate(), boundaries);
            line += String.format(java.util.Locale.ROOT, "; single-pass %s at the same boundaries: worst %d LSB",
                                  opus ? "Opus" : "AAC", r1.worstBoundaryError());
        }
        return line;
    }

    /** ffprobe arguments that make raw output readable. */
    static List<String> probeArgs(OutputFormat format) {
        return format == OutputFormat.PCM
                ? List.of("-f", "s16le", "-sample_rate", String.valueOf(OutputFormat.PCM_SAMPLE_RATE),
                          "-ch_layout", "mono")
                : List.of();
    }
}
