package dev.vbuf.server;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.vbuf.config.Setting;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.PrometheusText;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * {@link VbufServer#setup}, the wiring without the start: real HTTP on an ephemeral port, with an FFmpeg that does not
 * exist and no self-test. What answers here answers before any segment reaches FFmpeg: health, metrics, the
 * request-level errors of the segment endpoint, and opening a WebSocket session.
 */
class WiringTest {
    private static final int MAX_SEGMENT_BYTES = 4096;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static TestServer.Wired wired;

    @BeforeAll
    static void serve() {
        wired = TestServer.wired(Map.of(Setting.MAX_SEGMENT_BYTES, String.valueOf(MAX_SEGMENT_BYTES)));
    }

    @AfterAll
    static void stop() {
        wired.close();
    }

    private static URI uri(String scheme, String pathAndQuery) {
        return URI.create(scheme + "://127.0.0.1:" + wired.port() + pathAndQuery);
    }

    private static HttpResponse<String> get(String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri("http", pathAndQuery)).GET().build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String pathAndQuery, int bodyBytes) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri("http", pathAndQuery))
                                 .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[bodyBytes]))
                                 .build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    private static double metric(String name) throws Exception {
        HttpResponse<String> res = get("/observe/metrics");
        assertThat("GET /observe/metrics status", res.statusCode(), is(200));
        return PrometheusText.value(res.body(), name);
    }

    @Test
    void healthIsDownUntilTheServerSaysStarted() throws Exception {
        assertThat("/health before started", get("/health").statusCode(), is(503));
        assertThat("/observe/health/ready before started", get("/observe/health/ready").statusCode(), is(503));
        assertThat("/observe/health/live", get("/observe/health/live").statusCode(), is(200));
        assertThat(MetricNames.READY + " before started", metric(MetricNames.READY), is(0.0));
        wired.parts().health().started();
        HttpResponse<String> health = get("/health");
        assertThat("/health once started", health.statusCode(), is(200));
        assertThat("/health's FFmpeg version", JSON.readTree(health.body()).path("ffmpegVersion").asText(),
                   is(wired.parts().ffmpeg().version()));
        assertThat(MetricNames.READY + " once started", metric(MetricNames.READY), is(1.0));
    }

    @Test
    void requestErrorsAreAnsweredWithTheirCodes() throws Exception {
        HttpResponse<String> unknown = post(Protocol.PATH + "?format=mp3", 10);
        assertThat("POST with an unknown format", unknown.statusCode(), is(400));
        JsonNode error = JSON.readTree(unknown.body());
        assertThat("its code", error.path("code").asText(), is(ErrorCode.BAD_REQUEST.wireName()));
        assertThat("its message", error.path("message").asText(),
                   is("unknown format 'mp3': expected one of " + OutputFormat.wireNames()));

        assertThat("plain GET of the WebSocket endpoint", get(Protocol.PATH + "?format=aac").statusCode(), is(426));

        String aac = Protocol.PATH + "?format=" + OutputFormat.AAC.wireName();
        HttpResponse<String> tooLarge = post(aac, MAX_SEGMENT_BYTES + 1);
        assertThat("a body one byte over the limit (read, then refused)", tooLarge.statusCode(), is(413));
        assertThat("its code", JSON.readTree(tooLarge.body()).path("code").asText(), is(ErrorCode.TOO_LARGE.wireName()));
        HttpResponse<String> farTooLarge = post(aac, 4 * MAX_SEGMENT_BYTES);
        assertThat("a body over twice the limit (refused by Helidon, unread)", farTooLarge.statusCode(), is(413));
        assertThat("its code, the same", JSON.readTree(farTooLarge.body()).path("code").asText(), is(ErrorCode.TOO_LARGE.wireName()));
        assertThat("FFmpeg processes run", wired.parts().gate().running(), is(0));
    }

    /** The session gauge reads the registry the segment API fills: one registry, built once by the wiring. */
    @Test
    void anOpenSessionIsCountedByTheMetrics() throws Exception {
        WebSocket ws = HTTP.newWebSocketBuilder()
                .buildAsync(uri("ws", Protocol.PATH + "?format=aac"), new WebSocket.Listener() { })
                .get(10, TimeUnit.SECONDS);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (wired.parts().sessions().size() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the session registers once its upgrade is through, on the server's thread
            }
            assertThat("open sessions in the registry", wired.parts().sessions().size(), is(1));
            assertThat(MetricNames.WS_SESSIONS, metric(MetricNames.WS_SESSIONS), is(1.0));
        } finally {
            ws.abort();
        }
    }
}
