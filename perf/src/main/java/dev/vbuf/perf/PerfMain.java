package dev.vbuf.perf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.vbuf.config.VbufConfig;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.log.LogSetup;
import dev.vbuf.log.ShutdownSafeLogManager;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Command line of vbuf's performance tools: {@code java -jar perf/target/vbuf-perf.jar bench|soak|capacity|plan}
 * (the scripts in perf/ run it). They are clients: every server they measure runs in its own process.
 */
@Command(name = "vbuf-perf", mixinStandardHelpOptions = true,
         description = "vbuf's benchmark, soak and capacity planner (see perf/README.md).",
         subcommands = {PerfMain.Bench.class, PerfMain.SoakCommand.class, PerfMain.CapacityCommand.class,
                        PerfMain.Plan.class, PerfMain.RealtimeCommand.class,
                        PerfMain.DriveCommand.class, PerfMain.FfmpegPathCommand.class,
                        PerfMain.FfmpegBuildsCommand.class})
public final class PerfMain implements Runnable {
    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.setProperty("java.util.logging.manager", ShutdownSafeLogManager.class.getName());
        LogSetup.configure("text", "WARNING");
        System.exit(commandLine().execute(args));
    }

    /** The command line, with the converters and the error handling every subcommand shares. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new PerfMain());
        cl.registerConverter(OutputFormat.class, PerfMain::format);
        cl.setExecutionExceptionHandler((e, command, parsed) -> {
            command.getErr().println("vbuf-perf " + command.getCommandName() + ": " + e);
            return 1;
        });
        return cl;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: bench, soak,"
                                                                     + " capacity or plan");
    }

    /** The FFmpeg the server uses too: {@code FFMPEG_PATH}, else the build's pinned one, else {@code PATH}. */
    static FfmpegBinary ffmpeg() {
        return FfmpegBinary.locate(VbufConfig.load().ffmpeg().path(), Optional.empty());
    }

    private static OutputFormat format(String name) {
        return OutputFormat.fromWireName(name.strip())
                .orElseThrow(() -> new CommandLine.TypeConversionException("unknown format " + name
                                                                           + " (aac, fmp4, webm, pcm)"));
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
             description = "Raw FFmpeg against the server over WebSocket, on the same machine and segments.")
    static final class Bench implements Callable<Integer> {
        @Option(names = "--segments", defaultValue = "48", description = "segments per run (default: ${DEFAULT-VALUE})")
        int segments;
        @Option(names = "--parallel", split = ",", defaultValue = "1,2,4",
                description = "parallelism levels N (default: ${DEFAULT-VALUE})")
        List<Integer> parallel;
        @Option(names = "--formats", split = ",", defaultValue = "aac,webm",
                description = "output formats (default: ${DEFAULT-VALUE})")
        List<OutputFormat> formats;
        @Option(names = "--seconds", defaultValue = "6", description = "segment length in seconds (default: ${DEFAULT-VALUE})")
        double seconds;
        @Option(names = "--server-jvm-opts", paramLabel = "OPTS",
                description = "JVM options for the server process, e.g. a flight recording")
        String serverJvmOpts;
        @Option(names = "--warm-up", defaultValue = "" + SegmentBench.WARM_UP_SEGMENTS,
                description = "segments each session sends to a server before it is measured, so the JIT's"
                              + " compiling is not (default: ${DEFAULT-VALUE})")
        int warmUp;
        @Option(names = "--warm-up-seconds", defaultValue = "" + SegmentBench.WARM_UP_LIMIT_SECONDS,
                description = "at most this long per server (default: ${DEFAULT-VALUE})")
        long warmUpSeconds;

        @Override
        public Integer call() throws Exception {
            SegmentBench.run(ffmpeg(), segments, parallel, formats, seconds, serverJvmOpts,
                             new SegmentBench.WarmUp(warmUp, Duration.ofSeconds(warmUpSeconds)));
            return 0;
        }
    }

    @Command(name = "soak", mixinStandardHelpOptions = true,
             description = {"Tens of thousands of segments (a share of them bad) over churning sessions; the server's"
                            + " descriptors, threads, children, RSS and heap are sampled.",
                            "Exit status 1 when something leaked."})
    static final class SoakCommand implements Callable<Integer> {
        @Option(names = "--segments", defaultValue = "20000", description = "segments in all (default: ${DEFAULT-VALUE})")
        int segments;
        @Option(names = "--sessions", defaultValue = "16", description = "concurrent sessions (default: ${DEFAULT-VALUE})")
        int sessions;
        @Option(names = "--per-session", defaultValue = "50",
                description = "segments before a session closes and a new one opens (default: ${DEFAULT-VALUE})")
        int perSession;
        @Option(names = "--bad-share", defaultValue = "0.1", description = "share of bad segments (default: ${DEFAULT-VALUE})")
        double badShare;
        @Option(names = "--sample-seconds", defaultValue = "15",
                description = "seconds between resource samples (default: ${DEFAULT-VALUE})")
        long sampleSeconds;
        @Option(names = "--seed", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
        long seed;

        @Override
        public Integer call() throws Exception {
            Soak.Report r = Soak.run(ffmpeg(), new Soak.Options(segments, sessions, perSession, badShare,
                                                                Duration.ofSeconds(sampleSeconds), seed), System.out);
            System.out.println();
            System.out.print(r.markdown());
            return r.leaks().isEmpty() ? 0 : 1;
        }
    }

    @Command(name = "capacity", mixinStandardHelpOptions = true,
             description = "CPU and wall time per segment by format and length, and latency against offered load;"
                           + " written as JSON for plan.")
    static final class CapacityCommand implements Callable<Integer> {
        @Option(names = "--out", defaultValue = "perf/results/capacity.json", description = "(default: ${DEFAULT-VALUE})")
        Path out;
        @Option(names = "--formats", split = ",", defaultValue = "aac,fmp4,webm,pcm", description = "(default: ${DEFAULT-VALUE})")
        List<OutputFormat> formats;
        @Option(names = "--seconds", split = ",", defaultValue = "2,6",
                description = "segment lengths (default: ${DEFAULT-VALUE})")
        List<Double> seconds;
        @Option(names = "--size", defaultValue = "1280x720", description = "video size (default: ${DEFAULT-VALUE})")
        String size;
        @Option(names = "--segments", defaultValue = "12",
                description = "segments measured per format and length (default: ${DEFAULT-VALUE})")
        int segments;
        @Option(names = "--curve-format", defaultValue = "aac", description = "(default: ${DEFAULT-VALUE})")
        OutputFormat curveFormat;
        @Option(names = "--curve-seconds", defaultValue = "6", description = "(default: ${DEFAULT-VALUE})")
        double curveSeconds;
        @Option(names = "--loads", split = ",", defaultValue = "0.25,0.5,0.75,0.9,1.0,1.2,1.5",
                description = "offered load as shares of the CPU estimate (default: ${DEFAULT-VALUE})")
        List<Double> loads;
        @Option(names = "--step-seconds", defaultValue = "20", description = "seconds per load step (default: ${DEFAULT-VALUE})")
        long stepSeconds;

        @Override
        public Integer call() throws Exception {
            Capacity.Options o = new Capacity.Options(formats, seconds, size, segments, curveFormat, curveSeconds,
                                                      loads, Duration.ofSeconds(stepSeconds));
            Capacity.Measurements m = Capacity.measure(ffmpeg(), o, System.out);
            m.write(out);
            System.out.println("wrote " + out);
            return 0;
        }
    }

    @Command(name = "realtime", mixinStandardHelpOptions = true,
             description = {"Real-time players against one server process limited as a container: each session sends"
                            + " one segment per segment length; reports p50/p95/p99, overloaded, lost, RSS and CPU per"
                            + " segment, and whether the load was held.",
                            "Exit status 1 when it was not held."})
    static final class RealtimeCommand implements Callable<Integer> {
        @Option(names = "--sessions", split = ",", defaultValue = "200",
                description = "session counts to run, one server each (default: ${DEFAULT-VALUE})")
        List<Integer> sessions;
        @Option(names = "--seconds", defaultValue = "6", description = "segment length and cadence (default: ${DEFAULT-VALUE})")
        double seconds;
        @Option(names = "--warm-up-seconds", defaultValue = "18", description = "(default: ${DEFAULT-VALUE})")
        long warmUp;
        @Option(names = "--measure-seconds", defaultValue = "60", description = "(default: ${DEFAULT-VALUE})")
        long measure;
        @Option(names = "--paced", description = "pace uploads as a player's: 64 KiB frames at 20 Mbit/s")
        boolean paced;
        @Option(names = "--container-memory-mib", defaultValue = "4096",
                description = "the memory the server JVM is limited to, -XX:MaxRAM (default: ${DEFAULT-VALUE})")
        long containerMib;
        @Option(names = "--budget-ms", defaultValue = "1000", description = "latency budget (default: ${DEFAULT-VALUE})")
        long budgetMs;

        @Override
        public Integer call() throws Exception {
            System.out.println(Realtime.header());
            boolean allHeld = true;
            for (int n : sessions) {
                Realtime.Report r = Realtime.run(ffmpeg(), new Realtime.Options(
                        n, seconds, Duration.ofSeconds(warmUp), Duration.ofSeconds(measure), paced,
                        containerMib << 20, Duration.ofMillis(budgetMs)), System.out);
                allHeld &= r.held();
            }
            return allHeld ? 0 : 1;
        }
    }

    @Command(name = "drive", mixinStandardHelpOptions = true,
             description = {"One session against a server already running on --port: a warm-up, then (after a line on"
                            + " stdin) N segments; prints the client's p50/p95. Used by perf/before-after.sh."})
    static final class DriveCommand implements Callable<Integer> {
        @Option(names = "--port", required = true, description = "the server's port")
        int port;
        @Option(names = "--segments", defaultValue = "40", description = "(default: ${DEFAULT-VALUE})")
        int segments;
        @Option(names = "--warm-up", defaultValue = "150", description = "segments before measuring (default: ${DEFAULT-VALUE})")
        int warmUp;
        @Option(names = "--paced", description = "pace uploads as a player's: 64 KiB frames at 20 Mbit/s")
        boolean paced;

        @Override
        public Integer call() throws Exception {
            Drive.run(ffmpeg(), port, segments, warmUp, paced, System.out);
            return 0;
        }
    }

    @Command(name = "ffmpeg-path", mixinStandardHelpOptions = true,
             description = {"The JVM's own CPU for the FFmpeg part of a segment alone, vbuf's command against the same"
                            + " command flushing every packet, in alternating blocks in one process. Used by"
                            + " perf/ffmpeg-path.sh."})
    static final class FfmpegPathCommand implements Callable<Integer> {
        @Option(names = "--format", defaultValue = "aac",
                description = "output format (default: ${DEFAULT-VALUE})")
        OutputFormat format;
        @Option(names = "--blocks", defaultValue = "20", description = "blocks each way (default: ${DEFAULT-VALUE})")
        int blocks;
        @Option(names = "--block-size", defaultValue = "20", description = "segments per block (default: ${DEFAULT-VALUE})")
        int blockSize;
        @Option(names = "--warm-up", defaultValue = "750", description = "segments each way first (default: ${DEFAULT-VALUE})")
        int warmUp;

        @Override
        public Integer call() throws Exception {
            FfmpegPath.run(ffmpeg(), format, blocks, blockSize, warmUp, System.out);
            return 0;
        }
    }

    @Command(name = "ffmpeg-builds", mixinStandardHelpOptions = true,
             description = {"FFmpeg's CPU per segment, the segment build against another build (default: the tool"
                            + " FFmpeg, the bundled general-purpose build), alternating blocks in one process, per"
                            + " format, with the ratio. Used by perf/ffmpeg-builds.sh."})
    static final class FfmpegBuildsCommand implements Callable<Integer> {
        @Option(names = "--formats", split = ",", defaultValue = "aac,fmp4,pcm,webm",
                description = "output formats (default: ${DEFAULT-VALUE})")
        List<OutputFormat> formats;
        @Option(names = "--blocks", defaultValue = "10", description = "blocks per build (default: ${DEFAULT-VALUE})")
        int blocks;
        @Option(names = "--block-size", defaultValue = "10", description = "segments per block (default: ${DEFAULT-VALUE})")
        int blockSize;
        @Option(names = "--other", paramLabel = "FFMPEG",
                description = "the build to compare with (default: the tool FFmpeg beside the segment FFmpeg)")
        Path other;

        @Override
        public Integer call() throws Exception {
            FfmpegBinary segment = ffmpeg();
            FfmpegBinary against = other != null ? FfmpegBinary.locate(Optional.of(other), Optional.empty())
                                                 : FfmpegBinary.tool(segment);
            FfmpegBuilds.run(segment, against, formats, blocks, blockSize, System.out);
            return 0;
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true,
             description = "Capacity and Cloud Run cost from capacity's measurements and the planner's inputs:"
                           + " a markdown report and two plots.")
    static final class Plan implements Callable<Integer> {
        @Option(names = "--measurements", defaultValue = "perf/results/capacity.json", description = "(default: ${DEFAULT-VALUE})")
        Path measurements;
        @Option(names = "--inputs", defaultValue = "perf/planner.yaml", description = "(default: ${DEFAULT-VALUE})")
        Path inputs;
        @Option(names = "--out", defaultValue = "perf/results", description = "directory (default: ${DEFAULT-VALUE})")
        Path out;

        @Override
        public Integer call() throws Exception {
            Path report = Planner.write(Capacity.Measurements.read(measurements), Planner.Inputs.read(inputs), out);
            System.out.println("wrote " + report + ", " + out.resolve("latency-vs-load.png") + ", "
                               + out.resolve("cost-vs-players.png"));
            return 0;
        }
    }
}
