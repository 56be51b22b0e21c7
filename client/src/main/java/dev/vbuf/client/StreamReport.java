package dev.vbuf.client;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The end of a stream run: counts, errors by code, retries, latency percentiles, audio, wall time, real-time factor,
 * how the segment boundaries came out (each part's audio duration against its segment's duration), and the
 * reconnects.
 */
public record StreamReport(int segments, int ok, Map<String, Integer> errors, int retries, List<Long> latenciesMs,
                           double audioSec, Duration wall, List<Double> boundaryDiffMs, double inputAudioSec,
                           double outputAudioSec, Resumes resumes) {

    public static StreamReport of(List<Segment> segments, List<StreamRun.Outcome> outcomes, Duration wall,
                                  List<Double> boundaryDiffMs, double inputAudioSec, double outputAudioSec,
                                  Resumes resumes) {
        Map<String, Integer> errors = new TreeMap<>();
        List<Long> latencies = new ArrayList<>();
        int ok = 0;
        int retries = 0;
        double audio = 0;
        for (StreamRun.Outcome o : outcomes) {
            retries += o.retries();
            latencies.add(o.latencyMs());
            if (o.ok()) {
                ok++;
                audio += o.audioMs() / 1000.0;
            } else {
                errors.merge(o.errorCode(), 1, Integer::sum);
            }
        }
        return new StreamReport(segments.size(), ok, errors, retries, latencies, audio, wall, boundaryDiffMs,
                                inputAudioSec, outputAudioSec, resumes);
    }

    public long percentile(int p) {
        if (latenciesMs.isEmpty()) {
            return 0;
        }
        List<Long> sorted = new ArrayList<>(latenciesMs);
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    public double realTimeFactor() {
        double wallSec = wall.toNanos() / 1e9;
        return wallSec > 0 ? audioSec / wallSec : 0;
    }

    public void print(PrintStream out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"segments", String.valueOf(segments)});
        rows.add(new String[]{"ok", String.valueOf(ok)});
        rows.add(new String[]{"errors", errors.isEmpty() ? "0" : errors.toString().replaceAll("[{}]", "")});
        rows.add(new String[]{"retries (overloaded, rate_limited)", String.valueOf(retries)});
        rows.add(new String[]{"reconnects", resumes.reconnects()
                + (resumes.ends().isEmpty() ? "" : " (" + resumes.endsText() + ")")});
        rows.add(new String[]{"resent after a cut (may be processed twice)", String.valueOf(resumes.resent())});
        rows.add(new String[]{"duplicate answers dropped", String.valueOf(resumes.duplicateAnswers())});
        rows.add(new String[]{"latency p50 / p95 / p99 / max", String.format(Locale.ROOT, "%d / %d / %d / %d ms",
                percentile(50), percentile(95), percentile(99), percentile(100))});
        rows.add(new String[]{"audio duration", String.format(Locale.ROOT, "%.2f s", audioSec)});
        rows.add(new String[]{"wall time", String.format(Locale.ROOT, "%.2f s", wall.toNanos() / 1e9)});
        rows.add(new String[]{"real-time factor", String.format(Locale.ROOT, "%.1fx", realTimeFactor())});
        if (inputAudioSec > 0 && outputAudioSec > 0) {
            rows.add(new String[]{"output file vs audio sent", String.format(Locale.ROOT, "%.3f s vs %.3f s (%+.1f ms)",
                    outputAudioSec, inputAudioSec, (outputAudioSec - inputAudioSec) * 1000)});
        }
        if (!boundaryDiffMs.isEmpty()) {
            double mean = boundaryDiffMs.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            double worst = boundaryDiffMs.stream().mapToDouble(d -> Math.abs(d)).max().orElse(0);
            rows.add(new String[]{"per segment: audio out − audio in", String.format(Locale.ROOT,
                    "mean %+.1f ms, worst %.1f ms (+ = overlap at the next boundary, − = gap)", mean, worst)});
        }
        int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
        out.println();
        out.printf("| %-" + w + "s | %s |%n", "summary", "value");
        out.printf("|%s|---|%n", "-".repeat(w + 2));
        for (String[] r : rows) {
            out.printf("| %-" + w + "s | %s |%n", r[0], r[1]);
        }
    }
}
