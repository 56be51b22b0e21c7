package dev.vbuf.api;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** Pings are answered with pongs carrying the same payload (RFC 6455 5.5.2), also between a segment and its reply. */
class PingTest {

    @Test
    void pingsAreAnsweredWithTheirPayloadAlongsideReplies() throws Exception {
        try (VbufServer server = TestServer.start()) {
            BlockingQueue<String> events = new LinkedBlockingQueue<>();
            WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/v1/segments?format=pcm"),
                                new WebSocket.Listener() {
                                    @Override
                                    public CompletionStage<?> onPong(WebSocket w, ByteBuffer message) {
                                        events.add("pong " + StandardCharsets.UTF_8.decode(message));
                                        w.request(1);
                                        return null;
                                    }

                                    @Override
                                    public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                                        events.add("text " + data);
                                        w.request(1);
                                        return null;
                                    }

                                    @Override
                                    public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
                                        if (last) {
                                            events.add("binary");
                                        }
                                        w.request(1);
                                        return null;
                                    }
                                }).join();
            ws.sendPing(ByteBuffer.wrap("first".getBytes(StandardCharsets.UTF_8))).join();
            assertThat(events.poll(10, TimeUnit.SECONDS), is("pong first"));

            ws.sendBinary(ByteBuffer.wrap(TestMedia.segment(Kind.TS_AAC, 2.0)), true).join();
            ws.sendPing(ByteBuffer.wrap("second".getBytes(StandardCharsets.UTF_8))).join();
            java.util.List<String> seen = new java.util.ArrayList<>();
            while (seen.size() < 3) {
                String e = events.poll(30, TimeUnit.SECONDS);
                assertThat("events so far: " + seen, e != null, is(true));
                seen.add(e);
            }
            assertThat(seen.toString(), seen.contains("pong second"), is(true));
            String reply = seen.stream().filter(e -> e.startsWith("text ")).findFirst().orElseThrow();
            assertThat(reply, containsString("\"type\":\"result\""));
            assertThat("the result's audio follows its JSON", seen.indexOf("binary"), is(seen.indexOf(reply) + 1));
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").join();
        }
    }
}
