package dev.vbuf.perf;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.vbuf.protocol.OutputFormat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** The tools' options as perf/README.md documents them: defaults, lists replacing defaults, and refusals. */
class PerfMainTest {
    private static <T> T parse(Class<T> type, String... args) {
        CommandLine.ParseResult parsed = PerfMain.commandLine().parseArgs(args);
        return type.cast(parsed.subcommand().commandSpec().userObject());
    }

    @Test
    void benchDefaultsAndGivenListsReplaceThem() {
        PerfMain.Bench defaults = parse(PerfMain.Bench.class, "bench");
        assertThat(defaults.segments, is(48));
        assertThat(defaults.parallel, is(List.of(1, 2, 4)));
        assertThat(defaults.formats, is(List.of(OutputFormat.AAC, OutputFormat.WEBM)));
        assertThat(defaults.seconds, is(6.0));
        assertThat(defaults.warmUp, is(SegmentBench.WARM_UP_SEGMENTS));
        assertThat(defaults.warmUpSeconds, is((long) SegmentBench.WARM_UP_LIMIT_SECONDS));

        PerfMain.Bench given = parse(PerfMain.Bench.class, "bench", "--segments", "4", "--parallel", "1",
                                     "--formats", "aac", "--seconds", "2", "--warm-up", "10", "--warm-up-seconds", "5",
                                     "--server-jvm-opts", "-XX:StartFlightRecording=filename=/tmp/s.jfr -Xmx512m");
        assertThat(given.segments, is(4));
        assertThat(given.parallel, is(List.of(1)));
        assertThat(given.formats, is(List.of(OutputFormat.AAC)));
        assertThat(given.seconds, is(2.0));
        assertThat(given.warmUp, is(10));
        assertThat(given.warmUpSeconds, is(5L));
        assertThat(given.serverJvmOpts, is("-XX:StartFlightRecording=filename=/tmp/s.jfr -Xmx512m"));
    }

    @Test
    void ffmpegPathOptions() {
        PerfMain.FfmpegPathCommand d = parse(PerfMain.FfmpegPathCommand.class, "ffmpeg-path");
        assertThat(d.format, is(OutputFormat.AAC));
        assertThat(d.blocks, is(20));
        assertThat(d.blockSize, is(20));
        PerfMain.FfmpegPathCommand given = parse(PerfMain.FfmpegPathCommand.class, "ffmpeg-path", "--format", "pcm",
                                                 "--blocks", "3");
        assertThat(given.format, is(OutputFormat.PCM));
        assertThat(given.blocks, is(3));
    }

    @Test
    void capacitySoakAndPlanOptions() {
        PerfMain.CapacityCommand c = parse(PerfMain.CapacityCommand.class, "capacity", "--seconds", "1",
                                           "--loads", "0.5,1", "--curve-format", "webm", "--out", "/tmp/c.json");
        assertThat(c.seconds, is(List.of(1.0)));
        assertThat(c.loads, is(List.of(0.5, 1.0)));
        assertThat(c.curveFormat, is(OutputFormat.WEBM));
        assertThat(c.formats.size(), is(4));
        assertThat(c.out, is(Path.of("/tmp/c.json")));

        PerfMain.SoakCommand s = parse(PerfMain.SoakCommand.class, "soak", "--segments", "100", "--per-session", "5");
        assertThat(s.segments, is(100));
        assertThat(s.perSession, is(5));
        assertThat(s.sessions, is(16));

        PerfMain.Plan p = parse(PerfMain.Plan.class, "plan");
        assertThat(p.inputs, is(Path.of("perf/planner.yaml")));
        assertThat(p.measurements, is(Path.of("perf/results/capacity.json")));
    }

    @Test
    void anUnknownFormatOrOptionOrNoCommandIsRefusedWithStatus2() {
        Map<List<String>, String> cases = Map.of(List.of("bench", "--formats", "mp3"), "unknown format mp3",
                                                 List.of("soak", "--sesions", "2"), "--sesions",
                                                 List.of(), "a command is required");
        cases.forEach((args, says) -> {
            StringWriter err = new StringWriter();
            CommandLine cl = PerfMain.commandLine();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            assertThat(args.toString(), cl.execute(args.toArray(String[]::new)), is(2));
            assertThat(err.toString(), containsString(says));
        });
    }
}
