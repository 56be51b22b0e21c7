package dev.vbuf.contract.monitoring;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.PrometheusText;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

/**
 * What the alert rules, the dashboard and Terraform reference exists on a real server: after ok, bad and overloaded
 * segments, its /observe/metrics has every vbuf metric, label and matched label value they use.
 */
class MetricsContractTest {
    /** Labels Prometheus (or Managed Prometheus) adds at scrape time, not the app. */
    private static final Set<String> TARGET_LABELS = Set.of("instance", "job", "pod", "namespace", "cluster",
                                                            "location", "service_name", "revision_name");

    @Test
    void everythingTheRulesAndDashboardReferenceIsExported() throws Exception {
        String scrape;
        Map<Setting, String> tight = Map.of(Setting.MAX_CONCURRENT, "1", Setting.QUEUE_CAPACITY, "0",
                                            Setting.TARGET_LATENCY_MS, "200");
        try (VbufServer server = TestServer.start(tight);
             SegmentClient a = SegmentClient.connect(server.port(), "format=webm");
             SegmentClient b = SegmentClient.connect(server.port(), "format=webm")) {
            byte[] segment = TestMedia.segment(Kind.TS_AAC, 4.0);
            a.send(segment);
            b.send(segment);  // one of these two is refused: one worker, no queue
            a.send(new byte[]{1, 2, 3});
            int overloaded = 0;
            for (SegmentClient c : List.of(a, b)) {
                overloaded += "overloaded".equals(c.reply().code()) ? 1 : 0;
            }
            a.reply();
            assertThat("an overloaded answer was produced", overloaded, greaterThan(0));
            scrape = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/observe/metrics"))
                            .build(), HttpResponse.BodyHandlers.ofString()).body();
        }
        PrometheusText parsed = PrometheusText.parse(scrape);
        Map<String, Set<String>> exported = parsed.labelsByName();
        Set<String> pairs = parsed.pairs();
        Map<String, Set<String>> referenced = MonitoringAsCodeTest.referencedVbufSeries();
        assertThat("the rules and dashboard use vbuf metrics", referenced.size(), greaterThan(5));
        for (Map.Entry<String, Set<String>> ref : referenced.entrySet()) {
            assertThat("exported: " + ref.getKey(), exported.keySet(), hasItem(ref.getKey()));
            assertThat(ref.getKey() + " labels", exported.get(ref.getKey()),
                       hasItems(ref.getValue().toArray(String[]::new)));
        }
        for (String pair : MonitoringAsCodeTest.equalityMatchers()) {
            assertThat("a series with " + pair, pairs, hasItem(pair));
        }
        Set<String> allLabels = new HashSet<>();
        exported.values().forEach(allLabels::addAll);
        for (String label : MonitoringAsCodeTest.groupingLabels()) {
            assertThat("grouping label " + label + " exists", allLabels.contains(label)
                                                              || TARGET_LABELS.contains(label), is(true));
        }
        assertThat(scrape, containsString("outcome=\"overloaded\""));
        assertThat(scrape, containsString("outcome=\"invalid_media\""));
    }
}
