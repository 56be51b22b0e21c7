package dev.vbuf.perf;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.media.InputContainer;
import dev.vbuf.process.ProcessRunner;

/**
 * The JVM's own CPU for the FFmpeg part of a segment alone (spawn, stdin pipe, stdout and stderr pumps, reaping), for
 * the command vbuf runs and for the same command without {@code -flush_packets 0}, in one process: blocks of segments
 * alternate between the two after a common warm-up, and the medians of the blocks are compared. FFmpeg's CPU is the
 * reaped children's, as the bench reads it ({@link SegmentBench#childrenCpuMs}); the JVM's is its threads' run time in
 * nanoseconds ({@link #jvmThreadsMs}), because the process's own CPU time comes in 10-ms ticks here, steps of 0.5 ms
 * per segment in a block of 20.
 */
final class FfmpegPath {
    private FfmpegPath() {
    }

    static void run(FfmpegBinary ffmpeg, OutputFormat format, int blocks, int blockSize, int warmUp, PrintStream out)
            throws Exception {
        byte[] segment = SegmentBench.makeSegment(6, "1280x720", true);
        List<String> tuned = FfmpegCommand.extractAudio(ffmpeg.executable().toString(), InputContainer.MPEG_TS, true,
                                                        format);
        List<String> flushing = new ArrayList<>(tuned);
        int at = Collections.indexOfSubList(flushing, FfmpegCommand.NO_FLUSH_PER_PACKET);
        flushing.subList(at, at + FfmpegCommand.NO_FLUSH_PER_PACKET.size()).clear();
        Map<String, List<String>> commands = new LinkedHashMap<>();
        commands.put("as vbuf runs it (-flush_packets 0)", tuned);
        commands.put("flushing every packet", flushing);

        for (int i = 0; i < warmUp; i++) {
            for (List<String> c : commands.values()) {
                once(c, segment);
            }
        }
        Map<String, List<Double>> jvm = new LinkedHashMap<>();
        Map<String, List<Double>> ff = new LinkedHashMap<>();
        for (int b = 0; b < blocks; b++) {
            for (Map.Entry<String, List<String>> e : commands.entrySet()) {
                double own = jvmThreadsMs();
                double kids = SegmentBench.childrenCpuMs();
                for (int i = 0; i < blockSize; i++) {
                    once(e.getValue(), segment);
                }
                jvm.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add((jvmThreadsMs() - own) / blockSize);
                ff.computeIfAbsent(e.getKey(), k -> new ArrayList<>())
                        .add((SegmentBench.childrenCpuMs() - kids) / blockSize);
            }
        }
        out.printf(Locale.ROOT, "%s, 6-s 720p MPEG-TS segment of %d bytes; %d blocks of %d segments each way%n%n",
                   format.wireName(), segment.length, blocks, blockSize);
        out.println("| command | JVM CPU ms/seg, median (q1–q3) | FFmpeg CPU ms/seg, median |");
        out.println("|---|---|---|");
        for (String name : commands.keySet()) {
            List<Double> j = sorted(jvm.get(name));
            List<Double> f = sorted(ff.get(name));
            out.printf(Locale.ROOT, "| %s | %.2f (%.2f–%.2f) | %.1f |%n", name, j.get(j.size() / 2),
                       j.get(j.size() / 4), j.get(3 * j.size() / 4), f.get(f.size() / 2));
        }
    }

    private static void once(List<String> command, byte[] segment) throws IOException, InterruptedException {
        ProcessRunner.Result r = ProcessRunner.of(command).stdin(segment).deadline(Duration.ofSeconds(30)).run();
        if (!r.succeeded() || r.stdout().length == 0) {
            throw new IllegalStateException("FFmpeg failed: " + r.stderrTail());
        }
    }

    private static List<Double> sorted(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s;
    }

    /** Run time of this JVM's live threads, in ms (a thread that ended during a block is missed, in both modes alike). */
    private static double jvmThreadsMs() throws IOException {
        long nanos = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path t : tasks) {
                try {
                    nanos += Long.parseLong(Files.readString(t.resolve("schedstat")).split(" ")[0]);
                } catch (IOException ended) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return nanos / 1e6;
    }
}
