package dev.vbuf.hostile;

import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.startsWith;

/**
 * The opening handshake's headers as clients really send them, over a raw socket: {@code Upgrade} and
 * {@code Connection} are token lists with case-insensitive tokens (RFC 6455 4.2.1, RFC 9110 7.8), so every spelling
 * of a WebSocket upgrade is answered 101; a request without {@code Connection: upgrade} is plain HTTP (426 from the
 * segment route) and an upgrade that is not a GET is refused 405.
 */
class UpgradeHeaderTest {
    private static VbufServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> variants() {
        return Stream.of(
                Arguments.of("GET", "websocket", "Upgrade", "101"),
                Arguments.of("GET", "WebSocket", "Upgrade", "101"),
                Arguments.of("GET", "WEBSOCKET", "upgrade", "101"),
                Arguments.of("GET", "websocket", "keep-alive, Upgrade", "101"),
                Arguments.of("GET", "websocket", "Keep-Alive,UPGRADE", "101"),
                Arguments.of("GET", "h2c, WebSocket", "Upgrade", "101"),
                Arguments.of("GET", "websocket", "keep-alive", "426"),
                Arguments.of("POST", "websocket", "Upgrade", "405"),
                Arguments.of("PUT", "WebSocket", "keep-alive, Upgrade", "405"));
    }

    @ParameterizedTest(name = "{0} with Upgrade: {1}, Connection: {2} -> {3}")
    @MethodSource("variants")
    void upgradeHeaderVariants(String method, String upgrade, String connection, String status) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            byte[] nonce = new byte[16];
            ThreadLocalRandom.current().nextBytes(nonce);
            s.getOutputStream().write((method + " /v1/segments?format=aac HTTP/1.1\r\nHost: localhost\r\n"
                                       + "Upgrade: " + upgrade + "\r\nConnection: " + connection + "\r\n"
                                       + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
                                       + "Sec-WebSocket-Version: 13\r\n\r\n")
                                              .getBytes(StandardCharsets.US_ASCII));
            String head = RawWebSocket.httpHead(s.getInputStream());
            assertThat(head, startsWith("HTTP/1.1 " + status + " "));
            if (status.equals("101")) {
                assertThat(head, containsString("Sec-WebSocket-Accept: "));
            }
            if (status.equals("405")) {
                assertThat(head, containsString("GET"));
            }
        }
    }
}
