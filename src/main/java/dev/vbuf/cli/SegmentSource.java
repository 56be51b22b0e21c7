package dev.vbuf.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.client.Segment;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.tools.AudioProbe;
import dev.vbuf.media.HlsPlaylist;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The segments a player would send, from one of: a media file (split the way an HLS packager does, with FFmpeg's
 * segment muxer: stream copy, cut at keyframes, MPEG-TS or fragmented MP4), an HLS media playlist on disk (its segments, with the
 * EXT-X-MAP init segment in front of each fMP4 segment), or a list of segment files.
 */
public final class SegmentSource {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SegmentSource() {
    }

    /**
     * Segments for the command line's INPUT arguments: one playlist ({@code .m3u8}), one media file to split, or
     * several segment files in order.
     */
    public static List<Segment> of(List<Path> inputs, double segmentSeconds, Container container, Path workDir,
                                   FfmpegBinary ffmpeg) throws IOException, InterruptedException {
        for (Path p : inputs) {
            if (!Files.isRegularFile(p)) {
                throw new IOException("no such file: " + p);
            }
        }
        if (inputs.size() > 1) {
            return files(inputs, ffmpeg);
        }
        Path input = inputs.get(0);
        if (input.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".m3u8")) {
            return playlist(input);
        }
        return split(input, segmentSeconds, container, workDir, ffmpeg);
    }

    /** The container a split input's segments are written in. */
    public enum Container {
        /** MPEG-TS, as classic HLS. */
        TS("ts"),
        /** Fragmented MP4, each segment with its own moov (init) in front, as CMAF/HLS-fMP4 with the map inlined. */
        FMP4("mp4");

        private final String extension;

        Container(String extension) {
            this.extension = extension;
        }
    }

    /** Splits a media file with FFmpeg's segment muxer; the segment list gives each segment's start and end. */
    static List<Segment> split(Path input, double seconds, Container container, Path workDir, FfmpegBinary ffmpeg)
            throws IOException, InterruptedException {
        if (!(seconds > 0)) {
            throw new IOException("--segment-seconds must be > 0");
        }
        Path list = workDir.resolve("segments.csv");
        // ADTS AAC (from MPEG-TS) must lose its ADTS headers to go into MP4 (FFmpeg passes raw AAC through)
        boolean adtsToAsc = container == Container.FMP4
                            && "aac".equals(new AudioProbe(ffmpeg).probe(input, List.of()).codec());
        List<String> cmd = FfmpegFileCommand.split(ffmpeg.executable().toString(), input, seconds,
                                                   container == Container.FMP4, adtsToAsc, list,
                                                   workDir.resolve("segment-%05d." + container.extension));
        FfmpegFileCommand.run(cmd, "split " + input);
        List<Segment> segments = new ArrayList<>();
        for (String line : Files.readAllLines(list)) {
            String[] f = line.split(",");
            if (f.length < 3) {
                continue;
            }
            double start = Double.parseDouble(f[1]);
            double end = Double.parseDouble(f[2]);
            segments.add(new Segment(segments.size(), List.of(workDir.resolve(f[0])), start, end - start));
        }
        if (segments.isEmpty()) {
            throw new IOException("FFmpeg produced no segments from " + input);
        }
        return segments;
    }

    /** The segments of an HLS media playlist on disk (the EXT-X-MAP init segment, if any, in front of each). */
    static List<Segment> playlist(Path m3u8) throws IOException {
        List<Segment> segments = new ArrayList<>();
        for (HlsPlaylist.Entry e : HlsPlaylist.read(m3u8)) {
            List<Path> parts = new ArrayList<>();
            e.init().ifPresent(parts::add);
            parts.add(e.media());
            segments.add(new Segment(segments.size(), List.copyOf(parts), e.startSec(), e.durationSec()));
        }
        return segments;
    }

    /** Segment files given one by one; their durations come from ffprobe. */
    static List<Segment> files(List<Path> files, FfmpegBinary ffmpeg) throws IOException, InterruptedException {
        Path ffprobe = ffmpeg.sibling("ffprobe")
                .orElseThrow(() -> new IOException("ffprobe not found next to " + ffmpeg.executable()));
        List<Segment> segments = new ArrayList<>();
        double start = 0;
        for (Path f : files) {
            String out = FfmpegFileCommand.run(FfmpegFileCommand.probeDuration(ffprobe.toString(), f), "probe " + f);
            double duration = JSON.readTree(out).path("format").path("duration").asDouble(0);
            segments.add(new Segment(segments.size(), List.of(f), start, duration));
            start += duration;
        }
        return segments;
    }
}
