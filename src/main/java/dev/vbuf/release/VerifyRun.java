package dev.vbuf.release;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.client.Resumes;
import dev.vbuf.client.Segment;
import dev.vbuf.client.StreamReport;
import dev.vbuf.client.Resumes;
import dev.vbuf.client.StreamRun;
import dev.vbuf.client.TokenSource;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.protocol.OutputFormat;

/**
 * One release check of a running vbuf: readiness, then {@code sessions} players streaming a generated test segment in
 * real time for {@code seconds} over protocol v1.1, then readiness again. The players keep the reconnect contract
 * (a cut, a drain or a goaway is resumed on a new connection, and counted), so the check judges what users get: it
 * fails when the readiness endpoint fails three times in a row, when a player stops (a fatal close or refused upgrade,
 * or no answer through {@link StreamRun#DEFAULT_RECONNECTS} attempts in a row), or when the error share or the p95
 * latency (each answer timed from the send it answers) breaks the {@link ReleaseSlo}; not because a connection was
 * cut. What the canary gates of Cloud Deploy ({@code skaffold verify}) and Flagger
 * (its webhooks) run against a new revision, and what the build runs against the image before any traffic moves.
 */
public final class VerifyRun {
    /** Readiness failures in a row that fail the check (the analysis's "3 failed health checks"). */
    public static final int HEALTH_ATTEMPTS = 3;
    private static final Duration HEALTH_PAUSE = Duration.ofSeconds(2);
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param url            the {@code /v1/segments} WebSocket URL of the revision under test
     * @param healthUrl      its readiness endpoint
     * @param seconds        how long the players stream
     * @param sessions       players at once
     * @param segmentSeconds length of the test segment (one is sent per this many seconds per player)
     * @param format         output format asked for
     * @param token          where each connect gets its access token, when the service requires one
     * @param slo            the thresholds
     * @param tokens         where each connect (the first and every reconnect) gets its token: {@code token}'s
     *                       unless a {@code --token-command} is given
     */
    public record Options(URI url, URI healthUrl, int seconds, int sessions, double segmentSeconds,
                          OutputFormat format, TokenSource token, ReleaseSlo slo) {
    }

    /** The verdict, with the numbers it was made from; {@code resumes} adds up the players' reconnects. */
    public record Result(boolean passed, List<String> failures, int segments, int ok, Map<String, Integer> errors,
                         int lostSessions, long p50Ms, long p95Ms, long p99Ms, double errorRatio, Resumes resumes) {
    }

    /** One player's run: its outcomes (empty when it stopped), its reconnects, and why it stopped if it did. */
    private record Player(List<StreamRun.Outcome> outcomes, Resumes resumes, String stopped) {
    }

    private VerifyRun() {
    }

    /** Runs the check, printing what it does and the verdict to {@code out}. */
    public static Result run(Options o, FfmpegBinary ffmpeg, PrintStream out) throws IOException, InterruptedException {
        List<String> failures = new ArrayList<>();
        out.printf(Locale.ROOT, "vbuf verify: %s, %d players for %d s, thresholds: error share <= %.2f, p95 <= %d ms"
                                + " (from the rollback alerts)%n", o.url(), o.sessions(), o.seconds(),
                   o.slo().maxErrorRatio(), o.slo().maxP95Millis());
        health(o.healthUrl(), out).ifPresent(failures::add);
        if (!failures.isEmpty()) {
            return verdict(failures, List.of(), 0, Resumes.NONE, o, out);
        }
        Path work = Files.createTempDirectory("vbuf-verify");
        Path segment = work.resolve("verify-segment.ts");
        try {
            FfmpegFileCommand.run(testSegment(ffmpeg, o.segmentSeconds(), segment), "make the test segment");
            int perSession = Math.max(1, (int) Math.ceil(o.seconds() / o.segmentSeconds()));
            List<StreamRun.Outcome> outcomes = new ArrayList<>();
            Resumes resumes = Resumes.NONE;
            int lost = 0;
            try (ExecutorService players = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<Player>> runs = new ArrayList<>();
                for (int s = 0; s < o.sessions(); s++) {
                    long startDelayMs = (long) (s * o.segmentSeconds() * 1000 / o.sessions()); // spread the sends
                    List<Segment> segments = new ArrayList<>();
                    for (int i = 0; i < perSession; i++) {
                        segments.add(new Segment(i, List.of(segment), i * o.segmentSeconds(),
                                                               o.segmentSeconds()));
                    }
                    StreamRun.Options options = new StreamRun.Options(o.url(), o.format(), true, 2, REPLY_TIMEOUT, 3,
                                                                      o.token(), true, StreamRun.DEFAULT_RECONNECTS);
                    runs.add(players.submit(() -> {
                        Thread.sleep(startDelayMs);
                        StreamRun run = new StreamRun(segments, options, null);
                        try {
                            return new Player(run.run(), run.resumes(), null);
                        } catch (StreamRun.StreamException e) {
                            return new Player(List.of(), run.resumes(), e.getMessage());
                        }
                    }));
                }
                for (int s = 0; s < runs.size(); s++) {
                    Player p;
                    try {
                        p = runs.get(s).get();
                    } catch (java.util.concurrent.ExecutionException e) {
                        p = new Player(List.of(), Resumes.NONE, StreamRun.rootMessage(e.getCause()));
                    }
                    resumes = resumes.plus(p.resumes());
                    if (p.stopped() != null) {
                        lost++;
                        out.println("player " + s + ": " + p.stopped());
                    } else {
                        outcomes.addAll(p.outcomes());
                    }
                }
            }
            if (lost > 0) {
                failures.add(lost + " of " + o.sessions() + " players stopped (a fatal close or refused upgrade, or no"
                             + " answer through " + StreamRun.DEFAULT_RECONNECTS + " attempts in a row)");
            }
            health(o.healthUrl(), out).ifPresent(failures::add);
            out.println("players' " + resumes.summary() + " (a cut is resumed, not a failure)");
            return verdict(failures, outcomes, lost, resumes, o, out);
        } finally {
            Files.deleteIfExists(segment);
            Files.deleteIfExists(work);
        }
    }

    /**
     * The test segment's command: H.264 + AAC, as a player sends, with the tool FFmpeg where there is one; where there
     * is none (the container image carries the segment FFmpeg alone, which has no video encoder), AAC alone, made by
     * {@code ffmpeg}.
     */
    static List<String> testSegment(FfmpegBinary ffmpeg, double seconds, Path out) {
        try {
            return FfmpegFileCommand.testSegment(FfmpegBinary.tool().executable().toString(), seconds, out);
        } catch (IllegalStateException noTool) {
            return FfmpegFileCommand.audioTestSegment(ffmpeg.executable().toString(), seconds, out);
        }
    }

    private static Result verdict(List<String> failures, List<StreamRun.Outcome> outcomes, int lost, Resumes resumes,
                                  Options o, PrintStream out) {
        Map<String, Integer> errors = new TreeMap<>();
        List<Long> latencies = new ArrayList<>();
        int ok = 0;
        for (StreamRun.Outcome x : outcomes) {
            latencies.add(x.latencyMs());
            if (x.ok()) {
                ok++;
            } else {
                errors.merge(x.errorCode(), 1, Integer::sum);
            }
        }
        StreamReport report = new StreamReport(outcomes.size(), ok, errors, 0, latencies, 0, Duration.ZERO, List.of(),
                                               0, 0, resumes);
        long p50 = report.percentile(50);
        long p95 = report.percentile(95);
        long p99 = report.percentile(99);
        double errorRatio = outcomes.isEmpty() ? 0 : (outcomes.size() - ok) / (double) outcomes.size();
        if (!outcomes.isEmpty() && errorRatio > o.slo().maxErrorRatio()) {
            failures.add(String.format(Locale.ROOT, "error share %.3f > %.2f (%s)", errorRatio,
                                       o.slo().maxErrorRatio(), errors));
        }
        if (!outcomes.isEmpty() && p95 > o.slo().maxP95Millis()) {
            failures.add("p95 latency " + p95 + " ms > " + o.slo().maxP95Millis() + " ms");
        }
        if (outcomes.isEmpty() && failures.isEmpty()) {
            failures.add("no segment was answered");
        }
        out.printf(Locale.ROOT, "segments %d, ok %d, errors %s, players that stopped %d, latency p50/p95/p99"
                                + " %d/%d/%d ms, error share %.3f%n", outcomes.size(), ok, errors, lost, p50, p95,
                   p99, errorRatio);
        out.println(resumes.summary());
        if (failures.isEmpty()) {
            out.println("vbuf verify: PASS");
        } else {
            failures.forEach(f -> out.println("vbuf verify: FAIL: " + f));
            out.println("vbuf verify: note: rolling back moves new connections only; WebSocket sessions already open"
                        + " on this revision stay on it until they close (at most the request timeout, 3600 s)");
        }
        return new Result(failures.isEmpty(), List.copyOf(failures), outcomes.size(), ok, errors, lost, p50, p95, p99,
                          errorRatio, resumes);
    }

    /** Empty when the endpoint answered 200 within {@link #HEALTH_ATTEMPTS} tries, else why not. */
    static Optional<String> health(URI url, PrintStream out) throws InterruptedException {
        String last = "";
        for (int i = 1; i <= HEALTH_ATTEMPTS; i++) {
            try {
                int status = HTTP.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
                                       HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200) {
                    return Optional.empty();
                }
                last = "HTTP " + status;
            } catch (IOException e) {
                last = StreamRun.rootMessage(e);
            }
            out.println("readiness " + url + " attempt " + i + ": " + last);
            if (i < HEALTH_ATTEMPTS) {
                Thread.sleep(HEALTH_PAUSE.toMillis());
            }
        }
        return Optional.of(url + " failed " + HEALTH_ATTEMPTS + " checks in a row (" + last + ")");
    }

    /** The readiness URL of the server behind a {@code ws(s)://host/v1/segments} URL. */
    public static URI healthUrlFor(URI wsUrl) {
        String scheme = "wss".equalsIgnoreCase(wsUrl.getScheme()) ? "https" : "http";
        return URI.create(scheme + "://" + wsUrl.getRawAuthority() + "/observe/health/ready");
    }

    /**
     * The URL of a Cloud Run revision tag: {@code https://vbuf-abc-ue.a.run.app} with tag {@code canary} becomes
     * {@code wss://canary---vbuf-abc-ue.a.run.app/v1/segments}.
     */
    public static URI taggedSegmentsUrl(URI serviceUrl, Optional<String> tag) {
        String scheme = switch (serviceUrl.getScheme().toLowerCase(Locale.ROOT)) {
            case "https", "wss" -> "wss";
            default -> "ws";
        };
        String host = tag.map(t -> t + "---").orElse("") + serviceUrl.getHost();
        String port = serviceUrl.getPort() > 0 ? ":" + serviceUrl.getPort() : "";
        String path = serviceUrl.getRawPath() == null || serviceUrl.getRawPath().isEmpty()
                      || serviceUrl.getRawPath().equals("/") ? "/v1/segments" : serviceUrl.getRawPath();
        return URI.create(scheme + "://" + host + port + path);
    }
}
