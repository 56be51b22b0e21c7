package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/** Ordering under pipelining, overload answers, and the idle timeout. */
class AdmissionTest {

    @Test
    void repliesComeInSegmentOrderWhenPipelined() throws Exception {
        // Mixed cheap and expensive segments on one session, several in progress at once: replies stay in order.
        try (VbufServer server = TestServer.start(Map.of(Setting.PER_SESSION, "3", Setting.MAX_CONCURRENT, "3"));
             SegmentClient client = SegmentClient.connect(server.port(), "format=webm")) {
            byte[] slow = TestMedia.segment(Kind.TS_AAC, 4.0);
            byte[] fast = new byte[]{9, 9, 9};
            List<byte[]> sent = List.of(slow, fast, slow, fast, fast, slow, fast, slow);
            sent.forEach(client::send);
            for (int i = 0; i < sent.size(); i++) {
                SegmentClient.Reply r = client.reply();
                assertThat(r.toString(), r.seq(), is((long) i));
                assertThat(r.toString(), r.type(), is(sent.get(i) == slow ? "result" : "error"));
            }
        }
    }

    @Test
    void overloadIsAnsweredAtOnceWithRetryAfterAndEverySegmentIsAnsweredExactlyOnce() throws Exception {
        // One worker, a queue of one, a tight budget, and six clients sending four Opus encodes each.
        Map<Setting, String> settings = Map.of(Setting.MAX_CONCURRENT, "1",
                                               Setting.QUEUE_CAPACITY, "1",
                                               Setting.TARGET_LATENCY_MS, "400",
                                               Setting.PER_SESSION, "2");
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 4.0);
        int clients = 6;
        int perClient = 4;
        try (VbufServer server = TestServer.start(settings)) {
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<List<SegmentClient.Reply>>> futures = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                futures.add(pool.submit((Callable<List<SegmentClient.Reply>>) () -> {
                    try (SegmentClient client = SegmentClient.connect(server.port(), "format=webm")) {
                        for (int i = 0; i < perClient; i++) {
                            client.send(segment);
                        }
                        List<SegmentClient.Reply> replies = new ArrayList<>();
                        for (int i = 0; i < perClient; i++) {
                            replies.add(client.reply());
                        }
                        return replies;
                    }
                }));
            }
            int ok = 0;
            int overloaded = 0;
            for (Future<List<SegmentClient.Reply>> f : futures) {
                List<SegmentClient.Reply> replies = f.get();
                for (int i = 0; i < perClient; i++) {
                    SegmentClient.Reply r = replies.get(i);
                    assertThat("exactly one reply per seq, in order: " + replies, r.seq(), is((long) i));
                    if (r.type().equals("result")) {
                        ok++;
                    } else {
                        assertThat(r.toString(), r.code(), is(ErrorCode.OVERLOADED.wireName()));
                        assertThat(r.toString(), r.json().path("retryAfterMs").asLong(), greaterThan(0L));
                        overloaded++;
                    }
                }
            }
            pool.shutdown();
            assertThat(ok + overloaded, is(clients * perClient));
            assertThat("some segments were refused", overloaded, greaterThan(0));
            assertThat("some segments were processed", ok, greaterThan(0));
            // nothing left in the gate
            assertThat(server.gate().running(), is(0));
            assertThat(server.gate().queued(), is(0));
        }
    }

    @Test
    void overloadedHttpRequestGets429WithRetryAfter() throws Exception {
        Map<Setting, String> settings = Map.of(Setting.MAX_CONCURRENT, "1",
                                               Setting.QUEUE_CAPACITY, "0",
                                               Setting.TARGET_LATENCY_MS, "300");
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 4.0);
        try (VbufServer server = TestServer.start(settings)) {
            var http = java.net.http.HttpClient.newHttpClient();
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                            "http://localhost:" + server.port() + "/v1/segments?format=webm"))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(segment)).build();
            List<java.util.concurrent.CompletableFuture<java.net.http.HttpResponse<String>>> all = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                all.add(http.sendAsync(req, java.net.http.HttpResponse.BodyHandlers.ofString()));
            }
            int refused = 0;
            for (var f : all) {
                var res = f.join();
                if (res.statusCode() == 429) {
                    refused++;
                    assertThat(res.body(), org.hamcrest.Matchers.containsString("\"code\":\"overloaded\""));
                    assertThat(Integer.parseInt(res.headers().firstValue("Retry-After").orElseThrow()),
                               greaterThanOrEqualTo(1));
                } else {
                    assertThat(res.statusCode(), is(200));
                }
            }
            assertThat(refused, greaterThan(0));
        }
    }

    @Test
    void idleSessionIsClosedWith1001() throws Exception {
        // 0.02 minutes = 1.2 s
        try (VbufServer server = TestServer.start(Map.of(Setting.SESSION_TIMEOUT_MINUTES, "0.02"));
             SegmentClient client = SegmentClient.connect(server.port(), "format=pcm")) {
            client.send(TestMedia.segment(Kind.TS_AAC, 1.0));
            assertThat(client.reply().type(), is("result"));
            long start = System.nanoTime();
            SegmentClient.Closed closed = client.awaitClose(Duration.ofSeconds(15));
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(closed.toString(), closed.code(), is(CloseCodes.GOING_AWAY));
            assertThat(closed.reason(), org.hamcrest.Matchers.containsString("idle"));
            assertThat("not closed before the timeout", waitedMs, greaterThanOrEqualTo(1000L));
            assertThat(waitedMs, lessThanOrEqualTo(10_000L));
        }
    }
}
