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
import dev.vbuf.protocol.CloseCodes;
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
    public static final int EXIT_USAGE = 2;
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
            description = "Attempts in a row that bring no answer (failed connects, connections that end before an"
                          + " answer) before giving up (default: ${DEFAULT-VALUE})")
    int maxReconnects;

    @Option(names = "--reply-timeout", defaultValue = "60",
            description = "Seconds a connection may stay silent while segments are in flight before it counts as"
                          + " broken and the stream resumes on a new one (default: ${DEFAULT-VALUE})")
    int replyTimeoutSeconds;

    @Override
    public Integer call() throws Exception {
        if (pipeline < 1 || !(segmentSeconds > 0) || maxRetries < 0 || maxReconnects < 0 || replyTimeoutSeconds < 1) {
            System.err.println("vbuf stream: --pipeline must be >= 1, --segment-seconds > 0, --max-retries >= 0,"
                               + " --max-reconnects >= 0, --reply-timeout >= 1");
            return EXIT_USAGE;
        }
        FfmpegBinary ffmpeg = FfmpegBinary.tool();   // splitting, probing, joining: the tool FFmpeg's work
        if (!protocol.equals("v1") && !protocol.equals("v1.1")) {
            System.err.println("vbuf stream: --protocol must be v1 or v1.1");
            return EXIT_USAGE;
        }
        if (token.conflict().isPresent()) {
            System.err.println("vbuf stream: " + token.conflict().get());
            return EXIT_USAGE;
        }
        Request request = new Request(inputs, url, token.source(), format.format(), segmentSeconds, container,
                                      realtime, pipeline, maxRetries, out, protocol.equals("v1.1"), maxReconnects,
                                      Duration.ofSeconds(replyTimeoutSeconds));
        return stream(request, ffmpeg, System.out).exitCode();
    }

    /**
     * The exit code, the report when the run got that far, and each segment's outcome (empty when the run did not
     * finish).
     */
    public record Result(int exitCode, StreamReport report, List<StreamRun.Outcome> outcomes) {
    }

    /** One {@code stream} job: what the command line says. */
    public record Request(List<Path> inputs, URI url, TokenSource token, OutputFormat format, double segmentSeconds,
                          SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries, Path out,
                          boolean v11, int maxReconnects, Duration replyTimeout) {
        /** The defaults of the command line for everything not given. */
        public static Request of(List<Path> inputs, URI url, OutputFormat format, Path out) {
            return new Request(inputs, url, TokenSource.NONE, format, 6, SegmentSource.Container.TS, false, 2, 20, out,
                               true, StreamRun.DEFAULT_RECONNECTS, DEFAULT_REPLY_TIMEOUT);
        }

        public Request withSegmentSeconds(double seconds) {
            return new Request(inputs, url, token, format, seconds, container, realtime, pipeline, maxRetries, out, v11,
                               maxReconnects, replyTimeout);
        }

        public Request withRealtime(boolean on) {
            return new Request(inputs, url, token, format, segmentSeconds, container, on, pipeline, maxRetries, out, v11,
                               maxReconnects, replyTimeout);
        }

        public Request withMaxReconnects(int n) {
            return new Request(inputs, url, token, format, segmentSeconds, container, realtime, pipeline, maxRetries, out,
                               v11, n, replyTimeout);
        }

        public Request withToken(TokenSource source) {
            return new Request(inputs, url, source, format, segmentSeconds, container, realtime, pipeline, maxRetries,
                               out, v11, maxReconnects, replyTimeout);
        }

        public Request withReplyTimeout(Duration timeout) {
            return new Request(inputs, url, token, format, segmentSeconds, container, realtime, pipeline, maxRetries,
                               out, v11, maxReconnects, timeout);
        }
    }

    /** How long a connection may stay silent with segments in flight, by default. */
    public static final Duration DEFAULT_REPLY_TIMEOUT = Duration.ofSeconds(60);

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

    /** As above; {@code maxReconnects}: attempts in a row without an answer before giving up. */
    public static Result stream(List<Path> inputs, URI url, Optional<String> token, OutputFormat format, double segmentSeconds,
                                SegmentSource.Container container, boolean realtime, int pipeline, int maxRetries,
                                Path out, FfmpegBinary ffmpeg, PrintStream console, boolean v11, int maxReconnects)
            throws IOException, InterruptedException {
        return stream(new Request(inputs, url, TokenSource.fixed(token), format, segmentSeconds, container, realtime,
                                  pipeline, maxRetries, out, v11, maxReconnects, DEFAULT_REPLY_TIMEOUT),
                      ffmpeg, console);
    }

    /** The whole job. */
    public static Result stream(Request request, FfmpegBinary ffmpeg, PrintStream console)
            throws IOException, InterruptedException {
        List<Path> inputs = request.inputs();
        OutputFormat format = request.format();
        Path out = request.out();
        Path work = Files.createTempDirectory("vbuf-stream");
        try {
            List<Segment> segments;
            try {
                segments = SegmentSource.of(inputs, request.segmentSeconds(), request.container(), work, ffmpeg);
            } catch (IOException e) {
                console.println("vbuf stream: " + e.getMessage());
                return new Result(EXIT_INPUT, null, List.of());
            }
            console.printf(Locale.ROOT, "streaming %d segments to %s as %s%s%n", segments.size(), request.url(), format,
                           request.realtime() ? " in real time" : "");
            StreamRun run = new StreamRun(segments, new StreamRun.Options(request.url(), format, request.realtime(), request.pipeline(),
                                                                          request.replyTimeout(), request.maxRetries(), request.token(),
                                                                          request.v11(), request.maxReconnects()),
                                          console);
            List<StreamRun.Outcome> outcomes;
            try {
                outcomes = run.run();
            } catch (StreamRun.StreamException e) {
                console.println("vbuf stream: " + e.getMessage());
                console.println("vbuf stream: " + run.resumes().summary());
                return new Result(EXIT_CONNECTION, null, List.of());
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
            Resumes resumes = run.resumes();
            StreamReport report = StreamReport.of(segments, outcomes, wall, boundaries, inputAudio, outputAudio,
                                                  resumes);
            report.print(console);
            if (resumes.reconnects() > 0) {
                console.println("reconnected " + resumes.reconnects() + " time(s) (" + resumes.endsText() + "); "
                                + resumes.resent() + " segment(s) resent, " + resumes.duplicateAnswers()
                                + " duplicate answer(s) dropped: every segment answered once");
            }
            if (resumes.endClose() != null && resumes.endClose() != CloseCodes.NORMAL) {
                console.println("note: after `end` the server closed with " + resumes.endClose()
                                + " instead of 1000 (a server from before `end`, or none within 10 s)");
            }
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
            return new Result(report.ok() == report.segments() ? EXIT_OK : EXIT_SEGMENTS_FAILED, report, outcomes);
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
