package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.ffmpeg.FfmpegProcess;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.media.InputContainer;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * Each bad input gets its own error code and a message that says what was wrong, and the session goes on: after every
 * bad segment a good one is answered normally.
 */
class BadInputTest {
    /** A small limit so the over-limit cases stay cheap. */
    private static final int MAX_BYTES = 1024 * 1024;
    private static final int MAX_FRAME_BYTES = 2 * MAX_BYTES;
    private static VbufServer server;
    private static byte[] good;

    @BeforeAll
    static void start() {
        server = TestServer.start(Map.of(Setting.MAX_SEGMENT_BYTES, String.valueOf(MAX_BYTES),
                                         Setting.MAX_FRAME_BYTES, String.valueOf(MAX_FRAME_BYTES)));
        good = TestMedia.segment(Kind.TS_AAC, 1.0);
        assertThat("test segment fits the limit", good.length < MAX_BYTES, is(true));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** Sends the bad segment then a good one on the same session; returns the bad one's reply. */
    private static SegmentClient.Reply badThenGood(byte[] bad, ErrorCode expected) throws Exception {
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
            client.send(bad);
            client.send(good);
            SegmentClient.Reply first = client.reply();
            SegmentClient.Reply second = client.reply();
            assertThat(first.toString(), first.type(), is("error"));
            assertThat(first.toString(), first.code(), is(expected.wireName()));
            assertThat(first.seq(), is(0L));
            assertThat("the error reply has a message", first.json().path("message").asText().isBlank(), is(false));
            assertThat("session continues after " + first, second.type(), is("result"));
            assertThat(second.seq(), is(1L));
            return first;
        }
    }

    @Test
    void randomBytes() throws Exception {
        byte[] noise = new byte[100_000];
        new Random(42).nextBytes(noise);
        noise[0] = 0x12; // not a TS sync byte, not an MP4 box, not EBML
        assertThat(badThenGood(noise, ErrorCode.INVALID_MEDIA).json().path("message").asText(),
                   containsString("unrecognised container"));
    }

    @Test
    void randomBytesBehindATsSyncByte() throws Exception {
        byte[] noise = new byte[188 * 500];
        new Random(7).nextBytes(noise);
        for (int i = 0; i < noise.length; i += 188) {
            noise[i] = 0x47; // looks like TS packets, holds garbage: FFmpeg itself must reject it
        }
        badThenGood(noise, ErrorCode.INVALID_MEDIA);
    }

    @Test
    void emptyMessage() throws Exception {
        assertThat(badThenGood(new byte[0], ErrorCode.INVALID_MEDIA).json().path("message").asText(),
                   containsString("empty"));
    }

    @Test
    void videoOnly() throws Exception {
        badThenGood(TestMedia.segment(Kind.TS_VIDEO_ONLY, 1.0), ErrorCode.NO_AUDIO);
    }

    @Test
    void truncatedTs() throws Exception {
        byte[] ts = TestMedia.segment(Kind.TS_AAC, 1.0);
        assertThat(badThenGood(Arrays.copyOf(ts, ts.length / 2 + 1), ErrorCode.INVALID_MEDIA)
                           .json().path("message").asText(), containsString("truncated"));
    }

    @Test
    void truncatedFragmentedMp4() throws Exception {
        byte[] mp4 = TestMedia.segment(Kind.FMP4_AAC, 1.0);
        assertThat(badThenGood(Arrays.copyOf(mp4, mp4.length / 2), ErrorCode.INVALID_MEDIA)
                           .json().path("message").asText(), containsString("truncated"));
    }

    @Test
    void mp4WithMoovAtTheEnd() throws Exception {
        assertThat(badThenGood(TestMedia.segment(Kind.MP4_MOOV_AT_END, 1.0), ErrorCode.INVALID_MEDIA)
                           .json().path("message").asText(), containsString("moov"));
    }

    @Test
    void overLimitMessageInManyFramesIsReadToItsEndAndDiscarded() throws Exception {
        byte[] big = new byte[MAX_BYTES * 3];
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
            client.sendFragmented(big, 256 * 1024);
            client.send(good);
            SegmentClient.Reply first = client.reply();
            assertThat(first.toString(), first.code(), is(ErrorCode.TOO_LARGE.wireName()));
            assertThat(first.json().path("message").asText(), containsString(String.valueOf(MAX_BYTES)));
            assertThat(client.reply().type(), is("result"));
        }
    }

    @Test
    void overLimitMessageInOneFrame() throws Exception {
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
            client.sendOneFrame(new byte[MAX_BYTES + 1]);
            client.sendOneFrame(good);
            assertThat(client.reply().code(), is(ErrorCode.TOO_LARGE.wireName()));
            assertThat(client.reply().type(), is("result"));
        }
    }

    /**
     * A frame header announcing more than the frame limit is answered with a 1009 close before its payload is read.
     * A raw socket announces the frame without sending it, so the close can be read back deterministically.
     */
    /** A POST declaring a body too large even to read is refused before it is read, with the same JSON error. */
    @Test
    void httpBodyDeclaredFarOverTheLimitGets413WithTheJsonError() throws Exception {
        try (java.net.Socket raw = new java.net.Socket("127.0.0.1", server.port())) {
            raw.setSoTimeout(10_000);
            raw.getOutputStream().write(("POST /v1/segments?format=aac HTTP/1.1\r\nHost: localhost\r\n"
                                         + "Content-Length: 100000000\r\n\r\n" + "x".repeat(188))
                                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            String response = new String(raw.getInputStream().readNBytes(4096),
                                         java.nio.charset.StandardCharsets.UTF_8);
            assertThat(response, response.startsWith("HTTP/1.1 413"), is(true));
            assertThat(response, containsString("application/json"));
            String body = response.substring(response.indexOf("\r\n\r\n") + 4);
            var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(body);
            assertThat(body, json.path("code").asText(), is(ErrorCode.TOO_LARGE.wireName()));
            assertThat(body, json.path("message").asText(), containsString("segment limit"));
        }
    }

    @Test
    void frameOverTheFrameLimitClosesWith1009() throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            var out = s.getOutputStream();
            var in = s.getInputStream();
            out.write(("GET /v1/segments?format=aac HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                       + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = readHeaders(in);
            assertThat(response, containsString(" 101 "));
            long announced = MAX_FRAME_BYTES + 1L;
            byte[] header = new byte[14];
            header[0] = (byte) 0x82;            // FIN, binary
            header[1] = (byte) (0x80 | 127);    // masked, 64-bit length follows
            for (int i = 0; i < 8; i++) {
                header[2 + i] = (byte) (announced >>> (56 - 8 * i));
            }
            out.write(header);                   // + 4 mask bytes (zero); no payload
            out.flush();
            int opcode = in.read() & 0x0F;
            int len = in.read() & 0x7F;
            byte[] payload = in.readNBytes(len);
            assertThat("close frame", opcode, is(0x8));
            int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
            assertThat(code, is(CloseCodes.MESSAGE_TOO_BIG));
        }
        badThenGood(new byte[0], ErrorCode.INVALID_MEDIA); // the server is unharmed
    }

    /**
     * A client that sends whole frames over the frame limit, two in a row as a pipelining browser client does, reads the
     * 1009 close frame every time,
     * and the close handshake completes: the server reads and drops the frame before closing, where closing with it
     * unread would reset the connection, which can reach the client before the close frame (it would see 1006).
     */
    @Test
    void aWholeFrameOverTheLimitIsReadSoTheClientGetsThe1009() throws Exception {
        byte[] payload = new byte[MAX_FRAME_BYTES + 64 * 1024];
        int tries = 6;
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < tries; i++) {
            try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
                ws.socket().setSoTimeout(10_000);
                ws.send(true, 0x2, payload);
                ws.send(true, 0x2, payload); // a pipelining client's next segment, sent before the close arrives
                RawWebSocket.Frame close = ws.readUntilClose();
                seen.add(close == null ? "ended without a close frame" : close.closeCode() + " " + close.closeReason());
                if (close != null) {
                    ws.sendClose(close.closeCode(), new byte[0]);
                    assertThat("the server ends the connection once the handshake is done", ws.endedByServer(), is(true));
                }
            } catch (java.net.SocketException e) {
                seen.add("failed: " + e.getMessage());
            }
        }
        assertThat(seen.toString(), seen.stream().filter(c -> c.startsWith(CloseCodes.MESSAGE_TOO_BIG + " "))
                .count(), is((long) tries));
        badThenGood(new byte[0], ErrorCode.INVALID_MEDIA); // the server is unharmed
    }

    /**
     * A segment over the segment limit is answered {@code too_large} even when the memory budget is spent and its first
     * frame was refused for want of memory ({@code overloaded} would invite a retry that cannot succeed); a segment
     * within the limit refused that way is answered {@code overloaded}. Another session holds the budget with a frame
     * it never finishes.
     */
    @Test
    void overTheLimitIsTooLargeEvenWhenTheMemoryBudgetIsSpent() throws Exception {
        int budget = MAX_BYTES; // the least the budget may be: one segment
        try (VbufServer tight = TestServer.start(Map.of(Setting.MAX_SEGMENT_BYTES, String.valueOf(MAX_BYTES),
                                                        Setting.MAX_FRAME_BYTES, String.valueOf(MAX_FRAME_BYTES),
                                                        Setting.MEMORY_BUDGET_BYTES, String.valueOf(budget)));
             RawWebSocket holder = RawWebSocket.open(tight.port(), "format=aac");
             RawWebSocket ws = RawWebSocket.open(tight.port(), "format=aac")) {
            byte[] frame = RawWebSocket.clientFrame(0x82, new byte[MAX_BYTES], new byte[] {1, 2, 3, 4});
            holder.sendRawBytes(Arrays.copyOf(frame, frame.length - 1)); // all but its last byte: its memory stays
            long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (tight.buffers().inUseBytes() < budget && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat("the holder took the budget", tight.buffers().inUseBytes(), is((long) budget));
            ws.send(false, 0x2, new byte[MAX_BYTES / 2]);  // within the limit so far: refused for want of memory
            ws.send(true, 0x0, new byte[MAX_BYTES]);       // and now over it
            assertThat(ws.read().text(), containsString("\"code\":\"" + ErrorCode.TOO_LARGE.wireName() + "\""));
            ws.send(true, 0x2, new byte[MAX_BYTES / 2]);   // within the limit, no memory for it
            assertThat(ws.read().text(), containsString("\"code\":\"" + ErrorCode.OVERLOADED.wireName() + "\""));
        }
    }

    private static String readHeaders(java.io.InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        while (!sb.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }

    @Test
    void textMessageClosesWith1003AfterPendingReplies() throws Exception {
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=aac")) {
            client.send(good);
            client.sendText("{\"hello\":1}");
            assertThat(client.reply().type(), is("result"));
            SegmentClient.Closed closed = client.awaitClose(Duration.ofSeconds(10));
            assertThat(closed.code(), is(CloseCodes.UNSUPPORTED_DATA));
            assertThat(closed.reason(), containsString("binary"));
        }
    }

    @Test
    void unknownFormatRefusesTheUpgradeWith400() throws Exception {
        var res = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://localhost:" + server.port() + "/v1/segments?format=mp3")).GET().build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode(), is(400));
        assertThat(res.body(), containsString("unknown format 'mp3'"));
        var failure = org.junit.jupiter.api.Assertions.assertThrows(
                Exception.class, () -> SegmentClient.connect(server.port(), "format=mp3"));
        Throwable cause = failure.getCause();
        assertThat(String.valueOf(failure), cause instanceof java.net.http.WebSocketHandshakeException, is(true));
        assertThat(((java.net.http.WebSocketHandshakeException) cause).getResponse().statusCode(), is(400));
    }

    // ------------------------------------------------------------ playlists and concat lists: no file or network access

    @Test
    void hlsPlaylistAndConcatListAreRefusedWithoutTouchingFilesOrNetwork() throws Exception {
        try (Canary canary = new Canary()) {
            for (byte[] text : canary.hostileTexts()) {
                assertThat(badThenGood(text, ErrorCode.INVALID_MEDIA).json().path("message").asText(),
                           containsString("not a media segment"));
            }
            canary.assertUntouched();
        }
    }

    /**
     * Defence in depth: even if the inspector were bypassed, the FFmpeg command itself (forced demuxer, pipe-only
     * protocol) must not open what a playlist or concat list names.
     */
    @Test
    void ffmpegCommandDoesNotFollowPlaylistsEvenWhenFedOneDirectly() throws Exception {
        try (Canary canary = new Canary()) {
            for (byte[] text : canary.hostileTexts()) {
                for (InputContainer container : InputContainer.values()) {
                    List<String> cmd = FfmpegCommand.extractAudio(TestMedia.FFMPEG.executable().toString(), container,
                                                                  true, OutputFormat.AAC);
                    FfmpegProcess.Result r = FfmpegProcess.run(cmd, text, Duration.ofSeconds(10), 1 << 20,
                                                                   ProcessRunner.newLiveSet());
                    assertThat(container + " exit", r.exitCode(), greaterThan(0));
                    assertThat(r.output().length, is(0));
                }
            }
            canary.assertUntouched();
        }
    }

    /** A local TCP listener and a local file that hostile playlists point at; records any access. */
    private static final class Canary implements AutoCloseable {
        private final ServerSocket listener;
        private final AtomicInteger connections = new AtomicInteger();
        private final Path secret;
        private final Thread acceptor;

        Canary() throws IOException {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            listener.setSoTimeout(100);
            secret = Files.createTempFile("vbuf-canary", ".ts");
            Files.write(secret, TestMedia.segment(Kind.TS_AAC, 1.0));
            acceptor = Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try (Socket s = listener.accept()) {
                        connections.incrementAndGet();
                    } catch (SocketTimeoutException ignored) {
                        // poll again
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        List<byte[]> hostileTexts() {
            String url = "http://127.0.0.1:" + listener.getLocalPort() + "/seg.ts";
            return List.of(
                    ("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n" + url + "\n#EXTINF:6.0,\n"
                     + secret.toUri() + "\n#EXTINF:6.0,\n" + secret + "\n#EXT-X-ENDLIST\n")
                            .getBytes(StandardCharsets.UTF_8),
                    ("ffconcat version 1.0\nfile '" + secret + "'\nfile '" + url + "'\n")
                            .getBytes(StandardCharsets.UTF_8),
                    ("file '" + secret + "'\n").getBytes(StandardCharsets.UTF_8));
        }

        void assertUntouched() throws Exception {
            Thread.sleep(200); // a connection attempt would have been accepted by now
            assertThat("connections to the canary listener", connections.get(), is(0));
            assertThat("the secret file exists", Files.exists(secret), is(true));
        }

        @Override
        public void close() throws Exception {
            listener.close();
            acceptor.join();
            Files.deleteIfExists(secret);
        }
    }

    @Test
    void errorRepliesAreWellFormedJson() throws Exception {
        SegmentClient.Reply r = badThenGood(new byte[]{1, 2, 3}, ErrorCode.INVALID_MEDIA);
        assertThat(r.json().path("type").asText(), is("error"));
        assertThat("the reply's seq is an integer", r.json().path("seq").isIntegralNumber(), is(true));
        assertThat(r.json().get("code"), notNullValue());
        assertThat("no retryAfterMs on non-overload errors", r.json().has("retryAfterMs"), is(false));
    }
}
