package dev.vbuf.client;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import dev.vbuf.protocol.Protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A protocol v1 client on the JDK's WebSocket client: sends segments as binary messages (in 64 KiB frames), and hands
 * back what the server sent, message by message, in order. Used by the benchmark and the tests.
 */
public final class SegmentClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One message from the server, or the close. */
    public sealed interface Event permits Text, Binary, Closed {
    }

    public record Text(JsonNode json) implements Event {
    }

    public record Binary(byte[] bytes) implements Event {
    }

    public record Closed(int code, String reason) implements Event {
    }

    /** A reply to one segment: the JSON, and the audio when it was a result. */
    public record Reply(JsonNode json, byte[] audio) {
        public long seq() {
            return json.path("seq").asLong(-1);
        }

        public String type() {
            return json.path("type").asText();
        }

        public String code() {
            return json.path("code").asText(null);
        }

        @Override
        public String toString() {
            return json.toString() + (audio == null ? "" : " +" + audio.length + " bytes");
        }
    }

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final WebSocket ws;

    private SegmentClient(WebSocket ws) {
        this.ws = ws;
    }

    /** The server broke protocol v1, closed, or did not answer in time. */
    public static final class ProtocolException extends RuntimeException {
        private final transient Closed closed;

        public ProtocolException(String message) {
            this(message, null);
        }

        ProtocolException(String message, Closed closed) {
            super(message);
            this.closed = closed;
        }

        /** The close that came instead of a reply, when that is what happened. */
        public java.util.Optional<Closed> closed() {
            return java.util.Optional.ofNullable(closed);
        }
    }

    public static SegmentClient connect(int port, String query) {
        return connect(URI.create("ws://localhost:" + port + "/v1/segments" + (query == null ? "" : "?" + query)));
    }

    public static SegmentClient connect(URI uri) {
        return connect(uri, Map.of());
    }

    /** Connects with extra handshake headers (e.g. {@code Authorization}). */
    public static SegmentClient connect(URI uri, Map<String, String> headers) {
        return connect(uri, headers, List.of());
    }

    /** Connects with extra handshake headers and offered sub-protocols ({@code Sec-WebSocket-Protocol}). */
    public static SegmentClient connect(URI uri, Map<String, String> headers, List<String> subprotocols) {
        Listener listener = new Listener();
        WebSocket.Builder builder = HTTP.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(10));
        headers.forEach(builder::header);
        if (!subprotocols.isEmpty()) {
            builder.subprotocols(subprotocols.get(0), subprotocols.subList(1, subprotocols.size()).toArray(String[]::new));
        }
        WebSocket ws = builder.buildAsync(uri, listener).join();
        SegmentClient client = new SegmentClient(ws);
        listener.client = client;
        return client;
    }

    /** Frame size a well-behaved client uses for big messages (see docs/protocol.md, "Frames"). */
    public static final int FRAME_BYTES = 64 * 1024;

    /** Sends one segment as one binary message, in frames of {@link #FRAME_BYTES}. */
    public void send(byte[] segment) {
        sendFragmented(segment, FRAME_BYTES);
    }

    /** Sends one segment as one binary message in a single frame. */
    public void sendOneFrame(byte[] segment) {
        ws.sendBinary(ByteBuffer.wrap(segment), true).join();
    }

    /** Sends one segment as one binary message split into frames of at most {@code frameBytes}. */
    public void sendFragmented(byte[] segment, int frameBytes) {
        for (int off = 0; off < segment.length || off == 0; off += frameBytes) {
            int n = Math.min(frameBytes, segment.length - off);
            boolean last = off + n >= segment.length;
            ws.sendBinary(ByteBuffer.wrap(segment, off, n), last).join();
            if (last) {
                break;
            }
        }
    }

    /**
     * Sends one segment the way a player on a real network does: frames of {@code frameBytes}, paced to
     * {@code bitsPerSecond} (each frame no earlier than its share of the upload time).
     */
    public void sendPaced(byte[] segment, int frameBytes, double bitsPerSecond) throws InterruptedException {
        long start = System.nanoTime();
        for (int off = 0; off < segment.length || off == 0; off += frameBytes) {
            long due = start + (long) (off * 8L / bitsPerSecond * 1e9);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
            }
            int n = Math.min(frameBytes, segment.length - off);
            boolean last = off + n >= segment.length;
            ws.sendBinary(ByteBuffer.wrap(segment, off, n), last).join();
            if (last) {
                break;
            }
        }
    }

    /** The sub-protocol the server selected ("" for none). */
    public String subprotocol() {
        return ws.getSubprotocol();
    }

    public void sendText(String text) {
        ws.sendText(text, true).join();
    }

    public Event next(Duration timeout) throws InterruptedException {
        Event e = events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new ProtocolException("no message from the server within " + timeout);
        }
        return e;
    }

    /** The next message or the close, or empty when none comes within {@code timeout}. */
    public java.util.Optional<Event> poll(Duration timeout) throws InterruptedException {
        return java.util.Optional.ofNullable(events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
    }

    /** The next reply: a text message, and for a result the binary message after it. */
    public Reply reply(Duration timeout) throws InterruptedException {
        Event e = next(timeout);
        if (!(e instanceof Text t)) {
            throw new ProtocolException("expected a text message, got " + e, e instanceof Closed c ? c : null);
        }
        if (t.json().path("type").asText().equals(Protocol.RESULT_MESSAGE)) {
            Event b = next(timeout);
            if (!(b instanceof Binary bin)) {
                throw new ProtocolException("expected the binary message after " + t.json() + ", got " + b,
                                            b instanceof Closed c ? c : null);
            }
            return new Reply(t.json(), bin.bytes());
        }
        return new Reply(t.json(), null);
    }

    public Reply reply() throws InterruptedException {
        return reply(Duration.ofSeconds(30));
    }

    /** Waits for the close and returns it. */
    public Closed awaitClose(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            Event e = next(Duration.ofNanos(Math.max(1, end - System.nanoTime())));
            if (e instanceof Closed c) {
                return c;
            }
        }
    }

    /** The underlying JDK WebSocket, for tests that need frame-level control. */
    public WebSocket webSocket() {
        return ws;
    }

    /** Drops the TCP connection without a close handshake (a vanished client). */
    public void abort() {
        ws.abort();
    }

    @Override
    public void close() {
        if (!ws.isOutputClosed()) {
            try {
                ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already gone
            }
        }
        ws.abort();
    }

    private static final class Listener implements WebSocket.Listener {
        private volatile SegmentClient client;
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
        private final BlockingQueue<Event> early = new LinkedBlockingQueue<>();

        private void emit(Event e) {
            SegmentClient c = client;
            if (c == null) {
                early.add(e);
                return;
            }
            early.drainTo(c.events);
            c.events.add(e);
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    emit(new Text(JSON.readTree(text.toString())));
                } catch (Exception e) {
                    emit(new Closed(-1, "server sent text that is not JSON: " + text));
                }
                text.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
            byte[] chunk = new byte[data.remaining()];
            data.get(chunk);
            binary.writeBytes(chunk);
            if (last) {
                emit(new Binary(binary.toByteArray()));
                binary.reset();
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            emit(new Closed(statusCode, reason));
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void onError(WebSocket webSocket, Throwable error) {
            emit(new Closed(-1, String.valueOf(error)));
        }
    }
}
