package dev.vbuf.perf;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.vbuf.protocol.OutputFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/** A tiny capacity run: the measurements are taken for real and round-trip through their JSON file. */
class CapacityTest {
    @Test
    void measuresCostAndACurveStepAndWritesThem(@TempDir Path dir) throws Exception {
        Capacity.Options o = new Capacity.Options(List.of(OutputFormat.AAC), List.of(1.0), "320x240", 2,
                                                  OutputFormat.AAC, 1.0, List.of(0.3), Duration.ofSeconds(2));
        Capacity.Measurements m = Capacity.measure(PerfMain.ffmpeg(), o, System.out);
        Path file = dir.resolve("capacity.json");
        m.write(file);
        Capacity.Measurements back = Capacity.Measurements.read(file);
        assertThat(back, is(m));
        Capacity.Cell cell = back.cell("aac", 1.0);
        assertThat(cell.raw().wallMs(), greaterThan(0.0));
        assertThat(cell.server().wallMs(), greaterThan(0.0));
        assertThat(cell.segmentBytes(), greaterThan(0));
        Capacity.Step step = back.curve().steps().get(0);
        assertThat(step.segments(), greaterThan(0));
        assertThat("at 30 % of the estimate nothing is refused", step.overloadedShare(), is(0.0));
        assertThat(step.errorShare(), is(0.0));
        assertThat(step.p95Ms(), greaterThan(0.0));
    }
}
