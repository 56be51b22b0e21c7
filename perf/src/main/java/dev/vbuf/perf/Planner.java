package dev.vbuf.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.perf.Capacity.Cell;
import dev.vbuf.perf.Capacity.Measurements;
import dev.vbuf.perf.Capacity.Step;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Turns capacity measurements ({@link Capacity}) and the inputs in {@code perf/planner.yaml} (prices, instance shape,
 * cadence) into a plan: segments/s per vCPU at the target utilisation, sessions per instance, instances for N players,
 * and the monthly Cloud Run bill under instance-based and request-based billing, next to what the deployment analysis
 * claimed. Writes a markdown report and two plots (PNG).
 */
public final class Planner {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true);

    public record Prices(String source, Rates instanceBased, Rates requestBased, double hoursPerMonth) {
    }

    public record Rates(double vcpuSecond, double gibSecond, double perMillionRequests) {
    }

    public record Instance(int vcpu, double memoryGib, int maxSessions, int minInstances, int maxInstances) {
    }

    /** The metrics sidecar every Cloud Run instance runs beside vbuf (cloudrun/service.yaml, container collector). */
    public record Sidecar(double vcpu, double memoryGib) {
    }

    public record AnalysisOption(String name, int vcpu, double memoryGib, int instances, double utilisation,
                                 int claimedPlayers, double claimedMonthlyUsd) {
    }

    /** perf/planner.yaml. */
    public record Inputs(Prices prices, Instance instance, Sidecar sidecar, double targetUtilisation, double segmentSeconds,
                         double sessionMinutes, double activeHoursPerDay, List<String> formats, int plotMaxPlayers,
                         List<AnalysisOption> analysis, int players) {
        public static Inputs read(Path file) throws IOException {
            return YAML.readValue(file.toFile(), Inputs.class);
        }

        /** The same inputs for another instance shape. */
        Inputs withInstance(Instance other) {
            return new Inputs(prices, other, sidecar, targetUtilisation, segmentSeconds, sessionMinutes, activeHoursPerDay,
                              formats, plotMaxPlayers, analysis, players);
        }
    }

    /** What one format needs: CPU per segment, and what an instance of the configured shape serves with it. */
    public record FormatPlan(String format, double cpuMsPerSegment, double segmentsPerSecondPerVcpu,
                             int sessionsPerInstanceByCpu, int sessionsPerInstance, String limitedBy) {
        /** Instances for {@code players} concurrent players, within [min, max]; -1 if max is not enough. */
        public int instancesFor(int players, Instance instance) {
            int needed = (int) Math.ceil(players / (double) sessionsPerInstance);
            int n = Math.max(instance.minInstances(), needed);
            return n > instance.maxInstances() ? -1 : n;
        }

        /** Instances needed ignoring max instances (for the plot and the comparison). */
        public int instancesUncapped(int players, Instance instance) {
            return instances(players, sessionsPerInstance, instance);
        }

        /** Instances needed if the session cap were raised to what the CPU allows. */
        public int instancesByCpu(int players, Instance instance) {
            return instances(players, Math.max(1, sessionsPerInstanceByCpu), instance);
        }

        private static int instances(int players, int perInstance, Instance instance) {
            return Math.max(instance.minInstances(), (int) Math.ceil(players / (double) perInstance));
        }
    }

    private Planner() {
    }

    // ---- the model ----

    /** Per-format capacity of one instance at the inputs' cadence and utilisation, from the measured CPU cost. */
    public static FormatPlan formatPlan(Measurements m, Inputs in, String format) {
        Cell cell = m.cell(format, in.segmentSeconds());
        double cpuMs = cell.server().cpuMs();
        double perVcpu = in.targetUtilisation() * 1000.0 / cpuMs;
        // one session sends one segment per segmentSeconds
        int byCpu = (int) Math.floor(perVcpu * in.instance().vcpu() * in.segmentSeconds());
        int sessions = Math.min(byCpu, in.instance().maxSessions());
        String limit = byCpu <= in.instance().maxSessions() ? "CPU" : "session cap (maxSessions)";
        return new FormatPlan(format, cpuMs, perVcpu, byCpu, Math.max(1, sessions), limit);
    }

    /** Monthly cost, instance-based billing: every instance billed all month; min instances outside active hours. */
    public static double instanceBasedMonthly(Inputs in, int vcpu, double memoryGib, int instancesActive) {
        double activeShare = in.activeHoursPerDay() / 24.0;
        double instanceHours = in.prices().hoursPerMonth()
                               * (activeShare * instancesActive
                                  + (1 - activeShare) * Math.min(instancesActive, in.instance().minInstances()));
        Rates r = in.prices().instanceBased();
        return instanceHours * 3600 * (vcpu * r.vcpuSecond() + memoryGib * r.gibSecond());
    }

    /**
     * Monthly cost, request-based billing: instances are billed while they serve a request; with players connected
     * over WebSockets, that is every active hour. Requests: one per session of at most {@code sessionMinutes}.
     */
    public static double requestBasedMonthly(Inputs in, int vcpu, double memoryGib, int instancesActive, int players) {
        double activeHours = in.prices().hoursPerMonth() * in.activeHoursPerDay() / 24.0;
        Rates r = in.prices().requestBased();
        double compute = activeHours * 3600 * instancesActive * (vcpu * r.vcpuSecond() + memoryGib * r.gibSecond());
        double requests = players * activeHours * 60.0 / in.sessionMinutes();
        return compute + requests / 1e6 * r.perMillionRequests();
    }

    /** What the service costs with no player connected: its minimum instances, vbuf and the sidecar, all month. */
    public static double idleMonthly(Inputs in) {
        return alwaysOnMonthly(in, in.instance().minInstances());
    }

    /** The most it can cost: its maximum instances, vbuf and the sidecar, all month (instance-based). */
    public static double ceilingMonthly(Inputs in) {
        return alwaysOnMonthly(in, in.instance().maxInstances());
    }

    private static double alwaysOnMonthly(Inputs in, int instances) {
        Rates r = in.prices().instanceBased();
        double vcpu = in.instance().vcpu() + in.sidecar().vcpu();
        double gib = in.instance().memoryGib() + in.sidecar().memoryGib();
        return instances * in.prices().hoursPerMonth() * 3600 * (vcpu * r.vcpuSecond() + gib * r.gibSecond());
    }

    /** The analysis's own arithmetic redone with per-second prices: vCPU-hours x 3600 x price per vCPU-second. */
    public static double analysisCorrected(Inputs in, AnalysisOption o) {
        Rates r = in.prices().requestBased(); // the analysis used the request-based prices
        double hours = o.instances() * o.utilisation() * in.prices().hoursPerMonth();
        return hours * 3600 * (o.vcpu() * r.vcpuSecond() + o.memoryGib() * r.gibSecond());
    }

    // ---- the report ----

    /** Writes capacity-report.md, latency-vs-load.png and cost-vs-players.png into {@code dir}; returns the report. */
    public static Path write(Measurements m, Inputs in, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        Files.createDirectories(dir);
        latencyChart(m, dir.resolve("latency-vs-load.png"));
        costChart(m, in, dir.resolve("cost-vs-players.png"));
        Path report = dir.resolve("capacity-report.md");
        Files.writeString(report, markdown(m, in));
        return report;
    }

    static String markdown(Measurements m, Inputs in) {
        StringBuilder md = new StringBuilder();
        Instance inst = in.instance();
        md.append("# vbuf capacity and cost plan\n\n");
        md.append(String.format(Locale.ROOT, "Measured on %d CPUs (%s), Java %s, FFmpeg %s, %s. Inputs:"
                                             + " `perf/planner.yaml` (prices: %s).%n%n",
                                m.machine().cpus(), m.machine().cpuModel(), m.machine().java(), m.machine().ffmpeg(),
                                m.machine().date(), in.prices().source()));
        md.append("![latency vs offered load](latency-vs-load.png)\n\n![monthly cost vs concurrent players]"
                  + "(cost-vs-players.png)\n\n");

        md.append("## Cost of one segment\n\nPer segment, averaged; CPU = the server JVM plus its FFmpeg process."
                  + " Raw FFmpeg is the baseline (the same command, no server).\n\n");
        md.append("| format | segment | bytes | raw wall ms | raw CPU ms | server wall ms | server CPU ms |"
                  + " server/raw CPU |\n|---|---|---|---|---|---|---|---|\n");
        for (Cell c : m.cells()) {
            md.append(String.format(Locale.ROOT, "| %s | %.0f s | %d | %.0f | %.0f | %.0f | %.0f | %.2f |%n",
                                    c.format(), c.segmentSeconds(), c.segmentBytes(), c.raw().wallMs(),
                                    c.raw().cpuMs(), c.server().wallMs(), c.server().cpuMs(),
                                    c.server().cpuMs() / Math.max(1e-9, c.raw().cpuMs())));
        }

        if (m.curve() != null) {
            md.append(String.format(Locale.ROOT, "%n## Latency as offered load rises%n%n%s, %.0f-s segments, %d"
                                                 + " FFmpeg permits (default), open-loop arrivals; estimated capacity"
                                                 + " %.1f segments/s (CPUs / server CPU per segment).%n%n",
                                    m.curve().format(), m.curve().segmentSeconds(), m.curve().permits(),
                                    m.curve().estimatedCapacityPerSecond()));
            md.append("| offered/s | ok/s | p50 ms | p95 ms | p99 ms | overloaded | errors |\n"
                      + "|---|---|---|---|---|---|---|\n");
            for (Step s : m.curve().steps()) {
                md.append(String.format(Locale.ROOT, "| %.1f | %.1f | %s | %s | %s | %.1f %% | %.1f %% |%n",
                                        s.offeredPerSecond(), s.okPerSecond(), ms(s.p50Ms()), ms(s.p95Ms()),
                                        ms(s.p99Ms()), s.overloadedShare() * 100, s.errorShare() * 100));
            }
            Step best = null;
            for (Step s : m.curve().steps()) {
                if (s.p95Ms() >= 0 && s.p95Ms() < 1000 && s.overloadedShare() < 0.01
                    && (best == null || s.okPerSecond() > best.okPerSecond())) {
                    best = s;
                }
            }
            if (best != null) {
                md.append(String.format(Locale.ROOT, "%nHighest load held with p95 < 1 s and < 1 %% overloaded:"
                                                     + " %.1f segments/s on %d CPUs (%.2f per CPU), i.e. %.0f %% of"
                                                     + " the CPU estimate.%n", best.okPerSecond(),
                                        m.machine().cpus(), best.okPerSecond() / m.machine().cpus(),
                                        100 * best.okPerSecond() / m.curve().estimatedCapacityPerSecond()));
            }
        }

        md.append(String.format(Locale.ROOT, "%n## One instance (%d vCPU, %.0f GiB), %.0f-s segments in real time,"
                                             + " %.0f %% target CPU%n%n", inst.vcpu(), inst.memoryGib(),
                                in.segmentSeconds(), in.targetUtilisation() * 100));
        md.append("| format | CPU ms/segment | segments/s per vCPU | sessions by CPU | sessions (cap "
                  + inst.maxSessions() + ") | limited by | instances for " + in.players() + " players |"
                  + " CPU at the cap | instance-based $/month | request-based $/month |\n"
                  + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (String f : in.formats()) {
            FormatPlan p = formatPlan(m, in, f);
            int n = p.instancesUncapped(in.players(), inst);
            double cpuAtCap = p.sessionsPerInstance() / in.segmentSeconds() * p.cpuMsPerSegment()
                              / (1000.0 * inst.vcpu());
            md.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f | %d | %d | %s | %d%s | %.0f %% | %s | %s |%n",
                                    f, p.cpuMsPerSegment(), p.segmentsPerSecondPerVcpu(), p.sessionsPerInstanceByCpu(),
                                    p.sessionsPerInstance(), p.limitedBy(), n,
                                    n > inst.maxInstances() ? " (over max " + inst.maxInstances() + ")" : "",
                                    cpuAtCap * 100,
                                    usd(instanceBasedMonthly(in, inst.vcpu(), inst.memoryGib(), n)),
                                    usd(requestBasedMonthly(in, inst.vcpu(), inst.memoryGib(), n, in.players()))));
        }

        for (String f : in.formats()) {
            FormatPlan p = formatPlan(m, in, f);
            if (p.sessionsPerInstanceByCpu() > p.sessionsPerInstance()) {
                int n = p.instancesByCpu(in.players(), inst);
                md.append(String.format(Locale.ROOT, "%n%s: the session cap, not the CPU, sets the instance count."
                                                     + " With the cap raised to %d sessions (" + Setting.MAX_SESSIONS.envVar() + " and"
                                                     + " containerConcurrency), %d players need %d instances: %s a"
                                                     + " month instance-based. Memory must follow: the manifests'"
                                                     + " rule (sessions x 2 segments x 16 MiB within the 60 %% heap)"
                                                     + " then asks for %.1f GiB per instance, or a smaller"
                                                     + " " + Setting.MAX_SEGMENT_BYTES.envVar() + ".", f, p.sessionsPerInstanceByCpu(),
                                        in.players(), n, usd(instanceBasedMonthly(in, inst.vcpu(), inst.memoryGib(),
                                                                                  n)),
                                        p.sessionsPerInstanceByCpu() * 2 * 16 / 1024.0 / 0.6));
            }
        }
        md.append(String.format(Locale.ROOT, "%n%n## Idle and ceiling (instance-based, with the sidecar)%n%n"
                                             + "- Idle: %d always-on instances (minInstances) of %d vCPU + %.0f GiB, each with"
                                             + " the metrics sidecar's %.1f vCPU + %.2f GiB: **%s a month** with no"
                                             + " player connected.%n"
                                             + "- Ceiling: %d instances (maxInstances) all month: **%s a month**.%n",
                                inst.minInstances(), inst.vcpu(), inst.memoryGib(), in.sidecar().vcpu(),
                                in.sidecar().memoryGib(), usd(idleMonthly(in)), inst.maxInstances(),
                                usd(ceilingMonthly(in))));
        md.append("\n\n## The deployment analysis, side by side\n\n");
        md.append("| configuration | analysis: players | analysis: $/month | its arithmetic with per-second prices"
                  + " | instance-based, as configured | players it serves, measured (aac / webm) |\n"
                  + "|---|---|---|---|---|---|\n");
        for (AnalysisOption o : in.analysis()) {
            Instance shape = new Instance(o.vcpu(), o.memoryGib(), inst.maxSessions(), o.instances(), o.instances());
            Inputs at = in.withInstance(shape);
            List<String> served = new ArrayList<>();
            for (String f : List.of("aac", "webm")) {
                if (m.cells().stream().anyMatch(c -> c.format().equals(f) && c.segmentSeconds() == in.segmentSeconds())) {
                    FormatPlan p = formatPlan(m, at, f);
                    served.add(String.valueOf(p.sessionsPerInstanceByCpu() * o.instances()));
                }
            }
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %s | %s | %s |%n", o.name(), o.claimedPlayers(),
                                    usd(o.claimedMonthlyUsd()), usd(analysisCorrected(in, o)),
                                    usd(instanceBasedMonthly(at, o.vcpu(), o.memoryGib(), o.instances())),
                                    String.join(" / ", served) + " (by CPU; the session cap is separate)"));
        }
        md.append("""

                How to read it: the analysis's monthly figure does not follow from its own inputs. It counts
                vCPU-**hours** (30 x 4 x 0.4 x 730 = 35,040) but prices them per vCPU-**second**; redone, the same
                inputs cost the column "its arithmetic with per-second prices". And under instance-based billing an
                instance is billed for all of its allocated vCPUs whether busy or not, so a utilisation factor does
                not reduce the bill ("instance-based, as configured"). With WebSockets, request-based billing is no
                cheaper: an open session is an active request, so instances are billed every active hour, at the
                higher request-based rate. "Players it serves" is what the measured CPU cost per segment allows
                at the target utilisation, before the per-instance session cap; the cap (cloudrun/service.yaml) is
                what Cloud Run actually routes.
                """);
        return md.toString();
    }

    private static String ms(double v) {
        return v < 0 ? "-" : String.format(Locale.ROOT, "%.0f", v);
    }

    private static String usd(double v) {
        return String.format(Locale.ROOT, "$%,.0f", v);
    }

    // ---- plots ----

    static void latencyChart(Measurements m, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(540)
                .title("vbuf latency vs offered load (" + (m.curve() == null ? "no curve" : m.curve().format() + ", "
                       + m.curve().segmentSeconds() + "-s segments, " + m.machine().cpus() + " CPUs") + ")")
                .xAxisTitle("offered segments/s").yAxisTitle("latency of answered segments (ms)").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        if (m.curve() != null && !m.curve().steps().isEmpty()) {
            List<Step> steps = m.curve().steps().stream().filter(s -> s.p50Ms() >= 0).toList();
            double[] x = steps.stream().mapToDouble(Step::offeredPerSecond).toArray();
            if (x.length > 0) {
                chart.addSeries("p50", x, steps.stream().mapToDouble(Step::p50Ms).toArray());
                chart.addSeries("p95", x, steps.stream().mapToDouble(Step::p95Ms).toArray());
                chart.addSeries("p99", x, steps.stream().mapToDouble(Step::p99Ms).toArray());
                chart.addSeries("1 s budget", new double[] {x[0], x[x.length - 1]}, new double[] {1000, 1000})
                        .setMarker(SeriesMarkers.NONE);
                XYSeries overloaded = chart.addSeries("overloaded share (%, right axis)", x,
                        steps.stream().mapToDouble(s -> s.overloadedShare() * 100).toArray());
                overloaded.setYAxisGroup(1);
                chart.setYAxisGroupTitle(1, "overloaded answers (%)");
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static void costChart(Measurements m, Inputs in, Path file) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(540)
                .title(String.format(Locale.ROOT, "Cloud Run monthly cost vs concurrent players (%d vCPU / %.0f GiB"
                                                  + " instances, %.0f-s segments, %.0f h/day)", in.instance().vcpu(),
                                     in.instance().memoryGib(), in.segmentSeconds(), in.activeHoursPerDay()))
                .xAxisTitle("concurrent players").yAxisTitle("USD per month").build();
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNW);
        int points = 50;
        for (String f : in.formats()) {
            FormatPlan p = formatPlan(m, in, f);
            double[] x = new double[points + 1];
            double[] inst = new double[points + 1];
            double[] req = new double[points + 1];
            for (int i = 0; i <= points; i++) {
                int players = Math.max(1, in.plotMaxPlayers() * i / points);
                int n = p.instancesUncapped(players, in.instance());
                x[i] = players;
                inst[i] = instanceBasedMonthly(in, in.instance().vcpu(), in.instance().memoryGib(), n);
                req[i] = requestBasedMonthly(in, in.instance().vcpu(), in.instance().memoryGib(), n, players);
            }
            chart.addSeries(f + ", instance-based", x, inst).setMarker(SeriesMarkers.NONE);
            chart.addSeries(f + ", request-based", x, req).setMarker(SeriesMarkers.NONE);
            if (p.sessionsPerInstanceByCpu() > p.sessionsPerInstance()) {
                // what the same instances would cost with the session cap raised to what the CPU allows
                double[] byCpu = new double[points + 1];
                for (int i = 0; i <= points; i++) {
                    byCpu[i] = instanceBasedMonthly(in, in.instance().vcpu(), in.instance().memoryGib(),
                                                    p.instancesByCpu((int) x[i], in.instance()));
                }
                chart.addSeries(f + ", instance-based, cap raised to " + p.sessionsPerInstanceByCpu() + " sessions",
                                x, byCpu).setMarker(SeriesMarkers.NONE);
            }
        }
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
