package dev.vbuf.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.vbuf.client.Resumes;
import dev.vbuf.client.Segment;
import dev.vbuf.client.StreamReport;
import dev.vbuf.client.StreamRun;
import dev.vbuf.client.TokenSource;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.tools.AudioProbe;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vbuf stream INPUT... --url ws://host:port/v1/segments}: the reference client of protocol v1. Splits the input
 * like an HLS packager (or takes a playlist's or the given segments), streams them over one WebSocket, writes the
 * returned audio as one file and prints a summary.
 */
@Command(name = "stream", mixinStandardHelpOptions = true,
         description = "Stream a video to a vbuf server segment by segment and write the returned audio.")
public final class StreamCommand implements Callable<Integer> {
    /** Exit codes. */
    public static final int EXIT_OK = 0;
    public static final int EXIT_SEGMENTS_FAILED = 1;
    public static final int EXIT_CONNECTION = 3;
    public static final int EXIT_INPUT = 4;

    @Parameters(arity = "1..*", paramLabel = "INPUT",
                description = "A media file to split, an HLS media playlist (.m3u8) on disk, or segment files in order.")
    List<Path> inputs;

    @Option(names = "--url", required = true, description = "Server WebSocket URL, e.g. ws://localhost:8080/v1/segments")
    URI url;

    @Mixin
    TokenOption token;

    @Mixin
    FormatOption format;

    @Option(names = "--segment-seconds", defaultValue = "6", description = "Segment length when splitting (default: ${DEFAULT-VALUE})")
    double segmentSeconds;

    @Option(names = "--segment-container", defaultValue = "TS",
            description = "Container of split segments: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    SegmentSource.Container container;

    @Option(names = "--realtime", description = "Send at the media's own rate, as a live player would.")
    boolean realtime;

    @Option(names = "--pipeline", defaultValue = "2", description = "Segments in flight at once (default: ${DEFAULT-VALUE})")
    int pipeline;

    @Option(names = "--out", description = "Write the audio, in order, to this file.")
    Path out;

    @Option(names = "--protocol", defaultValue = "v1.1",
            description = "v1.1 (segment ids, placed replies, gapless pcm/webm) or v1 (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--max-retries", defaultValue = "20", description = "Overloaded or rate_limited answers tolerated per segment (default: ${DEFAULT-VALUE})")
    int maxRetries;

    @Option(names = "--max-reconnects", defaultValue = "" + StreamRun.DEFAULT_RECONNECTS,
            description = "Reconnect attempts in a row that bring no answer before giving up (default: ${DEFAULT-VALUE})")
    int maxReconnects;

    @Override
    public Integer call() throws Exception {
        if (pipeline < 1 || !(segmentSeconds > 0) || maxRetries < 0 || maxReconnects < 0) {
            System.err.println("vbuf stream: --pipeline must be >= 1, --segment-seconds > 0, --max-retries >= 0,"
                               + " --max-reconnects >= 0");
            return 2;
        }
        FfmpegBinary ffmpeg = FfmpegBinary.tool();   // splitting, probing, joining: the tool FFmpeg's work
        if (!protocol.equals("v1") && !protocol.equals("v1.1")) {
            System.err.println("vbuf stream: --protocol must be v1 or v1.1");
            return 2;
        }
        return stream(inputs, url, token.source(), format.format(), segmentSeconds, container, realtime, pipeline, maxRetries, out, ffmpeg,
                      System.out, protocol.equals("v1.1"), maxReconnects).exitCode();
    }

    /** The exit code, the report when the run got that far, and how it kept the reconnect contract. */
    public record Result(int exitCode, StreamReport report, Resumes resumes) {
        public Result(int exitCode, StreamReport report) {
            this(exitCode, report, Resumes.NONE);
        }
    }

    /** The whole job; also what {@code demo} runs. */
    public static Result stream(List<Path> inputs, URI url, Optional<String> token, OutputFormat format, double segmentSeconds,
                                SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries,
                                Path out, FfmpegBinary ffmpeg, PrintStream console)
            throws IOException, InterruptedException {
        return stream(inputs, url, token, format, segmentSeconds, container, realtime, pipeline, maxRetries, out, ffmpeg,
                      console, false);
    }

    /** As above; {@code v11}: speak protocol v1.1 (ids, placed replies, trims applied to the output). */
    public static Result stream(List<Path> inputs, URI url, Optional<String> token, OutputFormat format, double segmentSeconds,
                                SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries,
                                Path out, FfmpegBinary ffmpeg, PrintStream console, boolean v11)
            throws IOException, InterruptedException {
        return stream(inputs, url, token, format, segmentSeconds, container, realtime, pipeline, maxRetries, out, ffmpeg,
                      console, v11, StreamRun.DEFAULT_RECONNECTS);
    }

    /** As above; {@code maxReconnects}: attempts in a row without an answer before the run gives up. */
    public static Result stream(List<Path> inputs, URI url, Optional<String> token, OutputFormat format, double segmentSeconds,
                                SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries,
                                Path out, FfmpegBinary ffmpeg, PrintStream console, boolean v11, int maxReconnects)
            throws IOException, InterruptedException {
        return stream(inputs, url, TokenSource.fixed(token), format, segmentSeconds, container, realtime, pipeline,
                      maxRetries, out, ffmpeg, console, v11, maxReconnects);
    }

    /** As above; {@code token} is asked before every connect. */
    public static Result stream(List<Path> inputs, URI url, TokenSource token, OutputFormat format, double segmentSeconds,
                                SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries,
                                Path out, FfmpegBinary ffmpeg, PrintStream console, boolean v11, int maxReconnects)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("vbuf-stream");
        try {
            List<Segment> segments;
            try {
                segments = SegmentSource.of(inputs, segmentSeconds, container, work, ffmpeg);
            } catch (IOException e) {
                console.println("vbuf stream: " + e.getMessage());
                return new Result(EXIT_INPUT, null);
            }
            console.printf(Locale.ROOT, "streaming %d segments to %s as %s%s%n", segments.size(), url, format,
                           realtime ? " in real time" : "");
            StreamRun run = new StreamRun(segments, new StreamRun.Options(url, format, realtime, pipeline,
                                                                          Duration.ofSeconds(60), maxRetries, token, v11,
                                                                          maxReconnects),
                                          console);
            List<StreamRun.Outcome> outcomes;
            try {
                outcomes = run.run();
            } catch (StreamRun.StreamException e) {
                console.println("vbuf stream: " + e.getMessage());
                console.println(run.resumes().summary());
                return new Result(EXIT_CONNECTION, null, run.resumes());
            }
            Duration wall = run.elapsed();

            // Boundaries: each part's audio against the audio of the segment it came from (as sent: MPEG-TS keeps
            // the AAC priming frame that an MP4 edit list would hide).
            AudioProbe probe = new AudioProbe(ffmpeg);
            List<byte[]> parts = new ArrayList<>();
            List<Double> boundaries = new ArrayList<>();
            double inputAudio = 0;
            for (StreamRun.Outcome o : outcomes) {
                if (o.ok()) {
                    parts.add(o.audio());
                    double outSec = probe.probe(o.audio(), format.fileExtension(),
                                                OutputAssembler.probeArgs(format)).durationSec();
                    double inSec = probe.probe(segments.get(o.index()).bytes(), "seg", List.of()).durationSec();
                    inputAudio += inSec;
                    boundaries.add((outSec - inSec) * 1000);
                }
            }
            double outputAudio = 0;
            List<com.fasterxml.jackson.databind.JsonNode> placed = outcomes.stream().filter(StreamRun.Outcome::ok)
                    .map(StreamRun.Outcome::reply).filter(r -> r.has("samples")).toList();
            String boundaryLine = null;
            if (out != null && !parts.isEmpty()) {
                if (placed.size() == parts.size() && OutputAssembler.trimmed(placed)) {
                    OutputAssembler.writeTrimmed(format, parts, placed, out, ffmpeg, work);
                } else {
                    OutputAssembler.write(format, parts, out, ffmpeg, work);
                }
                outputAudio = probe.probe(out, OutputAssembler.probeArgs(format)).durationSec();
                if (placed.size() == parts.size() && parts.size() == segments.size() && inputs.size() == 1
                    && (format == OutputFormat.PCM || OutputAssembler.trimmed(placed))) {
                    boundaryLine = OutputAssembler.measure(format, parts, placed, inputs.get(0), ffmpeg, work);
                }
            }
            StreamReport report = StreamReport.of(segments, outcomes, wall, boundaries, inputAudio, outputAudio);
            report.print(console);
            Resumes resumes = run.resumes();
            console.println(resumes.summary() + ", unanswered " + outcomes.stream().filter(o -> o == null).count());
            if (boundaryLine != null) {
                console.println(boundaryLine);
            }
            for (StreamRun.Outcome o : outcomes) {
                if (!o.ok()) {
                    console.printf("segment %d: %s: %s%n", o.index(), o.errorCode(), o.errorMessage());
                }
            }
            if (out != null) {
                console.println(parts.isEmpty() ? "no audio to write" : "audio written to " + out.toAbsolutePath()
                        + (format == OutputFormat.PCM ? " (raw PCM: signed 16-bit little-endian, 16000 Hz, mono;"
                                                        + " play with: ffplay -f s16le -ar 16000 -ch_layout mono "
                                                        + out + ")" : ""));
            }
            return new Result(report.ok() == report.segments() ? EXIT_OK : EXIT_SEGMENTS_FAILED, report, resumes);
        } finally {
            deleteRecursively(work);
        }
    }

    static void deleteRecursively(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // temporary files
        }
    }
}
