package dev.vbuf.hostile;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.HonestSession;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The opening handshake as clients really write it (RFC 6455 4.2.1): {@code Upgrade} and {@code Connection} are
 * case-insensitive token lists, so {@code Upgrade: WebSocket} or {@code Connection: keep-alive, Upgrade} get 101 and
 * a working WebSocket; an upgrade that is not a GET gets 405; a GET without the upgrade token is plain HTTP (426).
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

    static Stream<Arguments> upgrades() {
        return Stream.of(
                Arguments.of("Upgrade: websocket", "Connection: Upgrade"),
                Arguments.of("Upgrade: WebSocket", "Connection: Upgrade"),
                Arguments.of("Upgrade: WEBSOCKET", "Connection: upgrade"),
                Arguments.of("upgrade: websocket", "connection: UPGRADE"),
                Arguments.of("Upgrade: websocket", "Connection: keep-alive, Upgrade"),
                Arguments.of("Upgrade: WebSocket", "Connection: Upgrade, keep-alive"),
                Arguments.of("Upgrade: h2c, WebSocket", "Connection: keep-alive,Upgrade"));
    }

    private static RawWebSocket upgrade(String method, String... headers) throws Exception {
        List<String> all = new ArrayList<>(List.of(headers));
        all.add("Sec-WebSocket-Key: " + RawWebSocket.newKey());
        all.add("Sec-WebSocket-Version: 13");
        return RawWebSocket.request(server.port(), method, Protocol.PATH + "?format=aac", all.toArray(String[]::new));
    }

    @ParameterizedTest(name = "{0} / {1} -> 101")
    @MethodSource("upgrades")
    void anUpgradeInAnyCaseAndAsATokenListIsAWorkingWebSocket(String upgrade, String connection) throws Exception {
        try (RawWebSocket ws = upgrade("GET", upgrade, connection)) {
            assertThat(ws.head(), ws.status(), is(101));
            assertThat(ws.head(), ws.header("Sec-WebSocket-Accept"), notNullValue());
            ws.send(true, 0x8, new byte[] {0x03, (byte) 0xE8}); // close 1000: echoed by a working connection
            RawWebSocket.Frame close = ws.read();
            assertThat("the close echoed", close.opcode(), is(0x8));
            assertThat(close.closeCode(), is(1000));
        }
    }

    @ParameterizedTest(name = "{0} with an upgrade -> 405")
    @MethodSource("methods")
    void anUpgradeThatIsNotAGetIs405(String method) throws Exception {
        try (RawWebSocket ws = upgrade(method, "Upgrade: websocket", "Connection: Upgrade")) {
            assertThat(ws.head(), ws.status(), is(405));
            assertThat(ws.head(), ws.header("Allow"), is("GET"));
        }
    }

    static Stream<String> methods() {
        return Stream.of("POST", "PUT", "DELETE", "PATCH");
    }

    @Test
    void aGetWithoutTheUpgradeTokenInConnectionIsPlainHttp() throws Exception {
        try (RawWebSocket ws = upgrade("GET", "Upgrade: websocket", "Connection: keep-alive")) {
            assertThat(ws.head(), ws.status(), is(426));
        }
    }

    /** Every variant again, many times, while an honest session runs: none of them disturbs it. */
    @Test
    void upgradeVariantsDoNotDisturbAnHonestSession() throws Exception {
        HonestSession honest = HonestSession.start(server.port());
        int switched = 0;
        int refused = 0;
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            for (Arguments a : upgrades().toList()) {
                try (RawWebSocket ws = upgrade("GET", (String) a.get()[0], (String) a.get()[1])) {
                    switched += ws.status() == 101 ? 1 : 0;
                }
            }
            for (String m : methods().toList()) {
                try (RawWebSocket ws = upgrade(m, "Upgrade: WebSocket", "Connection: Upgrade")) {
                    refused += ws.status() == 405 ? 1 : 0;
                }
            }
        }
        HonestSession.Report r = honest.stop();
        MeasuredBound.report("upgrade header variants (case, token lists, non-GET)", switched + " upgrades in "
                             + upgrades().count() + " spellings switched (101), " + refused + " non-GET upgrades"
                             + " refused (405), in 3 s; " + r);
        assertThat("no upgrade spelling refused", switched % upgrades().count(), is(0L));
        assertThat(switched > 0 && refused > 0, is(true));
        MeasuredBound.assertUndisturbed(r);
    }
}
