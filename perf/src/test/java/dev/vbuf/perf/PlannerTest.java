package dev.vbuf.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.vbuf.perf.Capacity.Cell;
import dev.vbuf.perf.Capacity.Cost;
import dev.vbuf.perf.Capacity.Curve;
import dev.vbuf.perf.Capacity.Machine;
import dev.vbuf.perf.Capacity.Measurements;
import dev.vbuf.perf.Capacity.Step;
import dev.vbuf.perf.Planner.FormatPlan;
import dev.vbuf.perf.Planner.Inputs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** The planner's arithmetic, checked by hand against perf/planner.yaml's prices, and its report and plots. */
class PlannerTest {
    private static Inputs inputs() throws Exception {
        // perf/planner.yaml (the tests run in perf/); unknown keys fail: the file and the model agree
        return Inputs.read(Path.of("planner.yaml"));
    }

    /** aac costs 100 CPU-ms and webm 1000 CPU-ms per 6-s segment; a two-step curve. */
    private static Measurements measurements() {
        return new Measurements(new Machine(2, "test CPU", "21", "8.0.1", "2026-11-25"),
                List.of(new Cell("aac", 6, 2_000_000, new Cost(30, 28), new Cost(60, 100)),
                        new Cell("webm", 6, 2_000_000, new Cost(190, 200), new Cost(250, 1000))),
                new Curve("aac", 6, 2, 20, List.of(new Step(10, 10, 60, 90, 120, 0, 0, 200),
                                                   new Step(25, 19, 400, 1500, 2000, 0.2, 0, 500))));
    }

    @Test
    void theAnalysisArithmeticRedoneWithPerSecondPrices() throws Exception {
        Inputs in = inputs();
        Planner.AnalysisOption a = in.analysis().get(0); // 4 vCPU x 30 instances at 40 %
        // 30 x 0.4 x 730 h x 3600 s x (4 x 0.000024 + 4 x 0.0000025) $/s
        assertThat(Planner.analysisCorrected(in, a), closeTo(3342.816, 0.01));
        assertThat("the analysis claimed", a.claimedMonthlyUsd(), is(926.0));
    }

    @Test
    void instanceBasedBillsEveryAllocatedVcpuAllMonth() throws Exception {
        Inputs in = inputs();
        // 30 instances x 730 h x 3600 s x (4 x 0.000018 + 4 x 0.000002)
        assertThat(Planner.instanceBasedMonthly(in, 4, 4, 30), closeTo(6307.2, 0.01));
    }

    @Test
    void idleAndCeilingBillTheMinimumAndMaximumInstancesWithTheirSidecarAllMonth() throws Exception {
        Inputs in = inputs();
        // 2 instances x 730 h x 3600 s x ((4 + 0.5) x 0.000018 + (4 + 0.25) x 0.000002)
        assertThat(Planner.idleMonthly(in), closeTo(470.412, 0.01));
        // the same for 30
        assertThat(Planner.ceilingMonthly(in), closeTo(7056.18, 0.01));
    }

    @Test
    void requestBasedBillsActiveHoursAndOneRequestPerSession() throws Exception {
        Inputs in = inputs();
        // 10 instances x 730 h x 3600 s x (4 x 0.000024 + 4 x 0.0000025) + 1000 players x 730 sessions x $0.40/M
        assertThat(Planner.requestBasedMonthly(in, 4, 4, 10, 1000), closeTo(2785.68 + 0.292, 0.001));
    }

    @Test
    void sessionsPerInstanceComeFromCpuCostCadenceAndTheCap() throws Exception {
        Inputs in = inputs();
        FormatPlan aac = Planner.formatPlan(measurements(), in, "aac");
        assertThat(aac.segmentsPerSecondPerVcpu(), closeTo(6.0, 1e-9)); // 0.6 x 1000 ms / 100 ms
        assertThat(aac.sessionsPerInstanceByCpu(), is(144)); // 6 x 4 vCPU x 6 s
        assertThat(aac.sessionsPerInstance(), is(144)); // under the session cap (300): the CPU limits
        assertThat(aac.limitedBy(), is("CPU"));
        assertThat(aac.instancesFor(1000, in.instance()), is(7));

        FormatPlan webm = Planner.formatPlan(measurements(), in, "webm");
        assertThat(webm.sessionsPerInstanceByCpu(), is(14)); // 0.6 x 4 x 6 = 14.4
        assertThat(webm.limitedBy(), is("CPU"));
        assertThat(webm.instancesUncapped(1000, in.instance()), is(72));
        assertThat("72 instances is over max instances", webm.instancesFor(1000, in.instance()), is(-1));
        assertThat("min instances hold", aac.instancesFor(1, in.instance()), is(in.instance().minInstances()));
    }

    @Test
    void writesTheReportAndTwoPlots(@TempDir Path dir) throws Exception {
        Path report = Planner.write(measurements(), inputs(), dir);
        String md = Files.readString(report);
        assertThat(md, containsString("Option A: 4 vCPU x 30 instances"));
        assertThat(md, containsString("$3,343"));
        assertThat(md, containsString("$926"));
        assertThat(md, containsString("| aac | 100 | 6.0 | 144 | 144 | CPU | 7 | 60 %"));
        assertThat(md, containsString("Highest load held with p95 < 1 s"));
        assertThat(md, containsString("Idle: 2 always-on instances (minInstances) of 4 vCPU + 4 GiB, each with the"
                                      + " metrics sidecar's 0.5 vCPU + 0.25 GiB: **$470 a month**"));
        assertThat(md, containsString("Ceiling: 30 instances (maxInstances) all month: **$7,056 a month**"));
        byte[] png = {(byte) 0x89, 'P', 'N', 'G'};
        for (String plot : List.of("latency-vs-load.png", "cost-vs-players.png")) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(dir.resolve(plot)), 4);
            assertThat(plot, Arrays.equals(head, png), is(true));
            assertThat(md, containsString("(" + plot + ")"));
        }
    }
}
