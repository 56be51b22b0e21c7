package dev.vbuf.perf;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.media.InputContainer;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.OutputFormat;

/**
 * FFmpeg's CPU per segment with the segment build against another build (the tool FFmpeg, the general-purpose build
 * the segment path used before), in one process on the same segment: for each format, blocks of segments alternate
 * between the two builds, each running the command line vbuf builds for it, and the medians of the blocks' CPU (the
 * reaped children's, {@link SegmentBench#childrenCpuMs}) are compared. Alternating blocks in one run is what makes the
 * ratio fair on a shared machine: both builds see the same noise.
 */
final class FfmpegBuilds {
    private FfmpegBuilds() {
    }

    /** One format's result: the medians per build (ms of CPU per segment) and the segment build's share. */
    record Row(OutputFormat format, double segmentMs, double otherMs, double ratio) {
    }

    static List<Row> run(FfmpegBinary segmentBuild, FfmpegBinary other, List<OutputFormat> formats, int blocks,
                         int blockSize, PrintStream out) throws Exception {
        byte[] segment = SegmentBench.makeSegment(6, "1280x720", true);
        out.printf(Locale.ROOT, "FFmpeg CPU per segment: segment build %s (%s) against %s (%s); 6-s 720p MPEG-TS"
                                + " (H.264 + AAC) of %d bytes; %d alternating blocks of %d segments per build and"
                                + " format%n%n", segmentBuild.version(), segmentBuild.executable(), other.version(),
                   other.executable(), segment.length, blocks, blockSize);
        Map<String, FfmpegBinary> builds = new LinkedHashMap<>();
        builds.put("segment", segmentBuild);
        builds.put("other", other);
        List<Row> rows = new ArrayList<>();
        for (OutputFormat format : formats) {
            Map<String, List<Double>> ms = new LinkedHashMap<>();
            for (FfmpegBinary b : builds.values()) {  // one untimed run each: page cache and dynamic loader warm
                once(command(b, format), segment);
            }
            for (int block = 0; block < blocks; block++) {
                for (Map.Entry<String, FfmpegBinary> e : builds.entrySet()) {
                    List<String> cmd = command(e.getValue(), format);
                    double before = SegmentBench.childrenCpuMs();
                    for (int i = 0; i < blockSize; i++) {
                        once(cmd, segment);
                    }
                    ms.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                            .add((SegmentBench.childrenCpuMs() - before) / blockSize);
                }
            }
            double s = median(ms.get("segment"));
            double o = median(ms.get("other"));
            rows.add(new Row(format, s, o, s / o));
        }
        out.printf(Locale.ROOT, "| format | %s CPU ms/seg (median) | segment build %s CPU ms/seg (median) | ratio |%n",
                   other.version(), segmentBuild.version());
        out.println("|---|---|---|---|");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.2f |%n", r.format().wireName(), r.otherMs(), r.segmentMs(),
                       r.ratio());
        }
        return rows;
    }

    private static List<String> command(FfmpegBinary b, OutputFormat format) {
        return FfmpegCommand.extractAudio(b.executable().toString(), InputContainer.MPEG_TS, true, format);
    }

    private static void once(List<String> command, byte[] segment) throws IOException, InterruptedException {
        ProcessRunner.Result r = ProcessRunner.of(command).stdin(segment).deadline(Duration.ofSeconds(30)).run();
        if (!r.succeeded() || r.stdout().length == 0) {
            throw new IllegalStateException("FFmpeg failed (" + command.get(0) + "): " + r.stderrTail());
        }
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }
}
