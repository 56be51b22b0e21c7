package dev.vbuf.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.config.Setting;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * {@code server.request-header-timeout-ms} against a real server on real sockets: connections that do not complete a
 * request line and headers in time are closed, while a WebSocket session left idle, a slow but progressing POST body
 * and ordinary requests on other connections are not affected.
 */
class RequestHeaderTimeoutTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** Generous: the timeout plus its check period, on a loaded 2-core machine. */
    private static final Duration CLOSED_WITHIN = Duration.ofSeconds(20);

    private static VbufServer server() {
        return TestServer.start(Map.of(Setting.REQUEST_HEADER_TIMEOUT_MS, String.valueOf(TIMEOUT.toMillis())));
    }

    private static Socket connect(VbufServer server) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        s.setSoTimeout(1); // reads only poll: see closedByServer
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** True once the server has closed the connection (end of stream or reset); false while it is still open. */
    private static boolean closedByServer(Socket s) throws IOException {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                int b = in.read();
                if (b < 0) {
                    return true;
                }
                // a response (e.g. to a completed keep-alive request) is read past
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Polls until every socket is closed by the server, or fails after {@link #CLOSED_WITHIN} naming the open ones. */
    private static void awaitAllClosed(List<Socket> sockets, List<String> names) throws Exception {
        long deadline = System.nanoTime() + CLOSED_WITHIN.toNanos();
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < sockets.size(); i++) {
            open.add(i);
        }
        while (!open.isEmpty() && System.nanoTime() < deadline) {
            List<Integer> still = new ArrayList<>();
            for (int i : open) {
                if (!closedByServer(sockets.get(i))) {
                    still.add(i);
                }
            }
            open = still;
            if (!open.isEmpty()) {
                Thread.sleep(50);
            }
        }
        List<String> openNames = open.stream().map(names::get).distinct().toList();
        assertThat(open.size() + " of " + sockets.size() + " connections still open " + CLOSED_WITHIN.toSeconds()
                   + " s after a " + TIMEOUT.toMillis() + " ms header timeout, e.g. "
                   + openNames.subList(0, Math.min(5, openNames.size())), open.size(), is(0));
    }

    private static String get(VbufServer server, String path) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(30_000);
            send(s, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void halfSentRequestsAreClosedWhileWebSocketsSlowBodiesAndOtherRequestsGoOn() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 2.0);
        try (VbufServer server = server();
             SegmentClient session = SegmentClient.connect(server.port(), "format=aac")) {
            List<Socket> stalled = new ArrayList<>();
            List<String> names = new ArrayList<>();
            try {
                Socket nothing = connect(server);
                stalled.add(nothing);
                names.add("connected, sent nothing");
                Socket halfLine = connect(server);
                send(halfLine, "GET /observe/hea");
                stalled.add(halfLine);
                names.add("half a request line");
                Socket halfHeaders = connect(server);
                send(halfHeaders, "POST /v1/segments?format=aac HTTP/1.1\r\nHost: localhost\r\nContent-Le");
                stalled.add(halfHeaders);
                names.add("request line and half the headers");
                Socket keptAlive = connect(server);
                send(keptAlive, "GET /observe/health/ready HTTP/1.1\r\nHost: localhost\r\n\r\n");
                stalled.add(keptAlive);
                names.add("idle keep-alive after a complete request");

                // a POST whose headers are in and whose body arrives slowly, over three times the timeout
                Socket slow = new Socket(InetAddress.getLoopbackAddress(), server.port());
                slow.setSoTimeout(30_000);
                OutputStream out = slow.getOutputStream();
                out.write(("POST /v1/segments?format=aac HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                           + "Content-Length: " + segment.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                int parts = 6;
                for (int i = 0; i < parts; i++) {
                    int from = segment.length * i / parts;
                    int to = segment.length * (i + 1) / parts;
                    out.write(segment, from, to - from);
                    out.flush();
                    Thread.sleep(TIMEOUT.toMillis() / 2);
                }
                String slowReply = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                slow.close();
                assertThat("a slow but progressing body is answered", slowReply, startsWith("HTTP/1.1 200"));

                awaitAllClosed(stalled, names);

                // the WebSocket session, idle for longer than the timeout, still works
                session.send(segment);
                assertThat(session.reply(Duration.ofSeconds(30)).type(), is("result"));
                // and so do new requests
                assertThat(get(server, "/observe/health/ready"), startsWith("HTTP/1.1 200"));
            } finally {
                for (Socket s : stalled) {
                    s.close();
                }
            }
        }
    }

    @Test
    void hundredsOfHalfOpenConnectionsAreAllClosed() throws Exception {
        int n = 300;
        try (VbufServer server = server()) {
            List<Socket> sockets = new ArrayList<>();
            List<String> names = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    Socket s = connect(server);
                    send(s, i % 2 == 0 ? "GET /v1/segments?format=aac HTTP/1.1\r\nHost: local"
                                       : "POST /v1/segm");
                    sockets.add(s);
                    names.add("connection " + i);
                }
                awaitAllClosed(sockets, names);
                assertThat(get(server, "/observe/health/ready"), startsWith("HTTP/1.1 200"));
            } finally {
                for (Socket s : sockets) {
                    s.close();
                }
            }
        }
    }
}
