package dev.vbuf.observe;

import java.net.URI;
import java.time.Duration;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.PrometheusText;
import dev.vbuf.testing.ReadmeTables;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

/** Metrics and health of a running server, checked against docs/operations.md and {@link MetricNames}. */
class ObservabilityTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static VbufServer server;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
            client.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            client.send(new byte[]{1, 2, 3});
            client.reply();
            client.reply();
        }
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    /** Metric name → the label names seen on it, from the Prometheus text. */
    private static Map<String, Set<String>> scrape() throws Exception {
        HttpResponse<String> res = get("/observe/metrics");
        assertThat(res.statusCode(), is(200));
        return PrometheusText.parse(res.body()).labelsByName();
    }

    @Test
    void everyDocumentedMetricIsExportedWithItsLabels() throws Exception {
        Map<String, Set<String>> seen = scrape();
        for (MetricNames.Metric metric : MetricNames.ALL) {
            String series = metric.type().equals("histogram") ? metric.name() + "_bucket" : metric.name();
            assertThat("exported: " + series, seen.keySet(), hasItem(series));
            assertThat(series + " labels", seen.get(series), hasItems(metric.labels().toArray(String[]::new)));
            if (metric.type().equals("histogram")) {
                assertThat(seen.keySet(), hasItems(metric.name() + "_count", metric.name() + "_sum"));
            }
        }
    }

    @Test
    void histogramsAreWellFormedPrometheusHistograms() throws Exception {
        String body = get("/observe/metrics").body();
        for (MetricNames.Metric metric : MetricNames.ALL) {
            if (metric.type().equals("histogram")) {
                assertThat(body, containsString("# TYPE " + metric.name() + " histogram"));
                List<String> quantiles = body.lines()
                        .filter(l -> l.startsWith(metric.name() + "{") && l.contains("quantile="))
                        .toList();
                assertThat(metric.name() + " has no quantile samples", quantiles, is(List.of()));
                assertThat(body, containsString(metric.name() + "_bucket{"));
                assertThat(body, containsString("le=\"+Inf\""));
            }
        }
    }

    /** A 47 ms latency lands in the le="0.05" bucket: not below it, and not only in "1.0" (summaries round up). */
    @Test
    void subSecondLatenciesLandInTheirOwnBuckets() throws Exception {
        String before = get("/observe/metrics").body();
        server.metrics().ffmpegRan(Duration.ofMillis(47));
        server.metrics().segmentAnswered(OutputFormat.PCM, "ok", Duration.ofMillis(47));
        String after = get("/observe/metrics").body();
        String pcm = MetricNames.LABEL_FORMAT + "=\"" + OutputFormat.PCM.wireName() + "\"";
        for (List<String> series : List.of(List.of(MetricNames.FFMPEG_SECONDS), List.of(MetricNames.SEGMENT_LATENCY, pcm))) {
            String name = series.get(0);
            List<String> labels = series.subList(1, series.size());
            assertThat(name + " le=0.025", delta(before, after, name + "_bucket", labels, "le=\"0.025\""), is(0.0));
            assertThat(name + " le=0.05", delta(before, after, name + "_bucket", labels, "le=\"0.05\""), is(1.0));
            assertThat(name + " le=1.0", delta(before, after, name + "_bucket", labels, "le=\"1.0\""), is(1.0));
            assertThat(name + " sum, in seconds", delta(before, after, name + "_sum", labels), closeTo(0.047, 1e-6));
        }
    }

    private static double delta(String before, String after, String sample, List<String> labels, String... more) {
        String[] pairs = Stream.concat(labels.stream(), Stream.of(more)).toArray(String[]::new);
        return PrometheusText.value(after, sample, pairs) - PrometheusText.value(before, sample, pairs);
    }

    @Test
    void readmeMetricsTableMatchesMetricNames() throws Exception {
        List<List<String>> rows = ReadmeTables.table(Path.of("docs/operations.md"), "name", "type", "labels", "meaning");
        List<List<String>> expected = MetricNames.ALL.stream()
                .map(m -> List.of(m.name(), m.type(), String.join(", ", m.labels())))
                .toList();
        assertThat(rows.stream().map(r -> r.subList(0, 3)).toList(), is(expected));
    }

    @Test
    void countsOutcomesAndReportsTheFfmpegVersion() throws Exception {
        String body = get("/observe/metrics").body();
        assertThat(body, containsString(MetricNames.FFMPEG_INFO + "{"));
        assertThat(body, containsString("version=\"" + server.ffmpeg().version() + "\""));
        assertThat(body, containsString("outcome=\"ok\""));
        assertThat(body, containsString("outcome=\"invalid_media\""));
    }

    @Test
    void healthEndpoints() throws Exception {
        for (String path : List.of("/observe/health/live", "/observe/health/ready", "/observe/health/started",
                                   "/observe/health", "/health")) {
            HttpResponse<String> res = get(path);
            assertThat(path + ": " + res.body(), res.statusCode(), is(200));
        }
        JsonNode health = new ObjectMapper().readTree(get("/observe/health").body());
        assertThat(health.toString(), containsString(server.ffmpeg().version()));
        JsonNode legacy = new ObjectMapper().readTree(get("/health").body());
        assertThat(legacy.path("status").asText(), is("UP"));
        assertThat(legacy.path("ffmpegVersion").asText(), is(server.ffmpeg().version()));
    }

    @Test
    void latencyHistogramHasBucketsBetween50msAnd5s() {
        long inRange = java.util.Arrays.stream(VbufMetrics.LATENCY_BUCKETS).filter(b -> b >= 0.05 && b <= 5).count();
        assertThat(inRange, greaterThanOrEqualTo(15L));
    }
}
