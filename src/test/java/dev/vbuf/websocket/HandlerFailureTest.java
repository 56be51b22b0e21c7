package dev.vbuf.websocket;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.RawWebSocket;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsRouting;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/**
 * A handler that lets an error escape (a bug on the server's side): the connection logs it and closes with 1011 and a
 * reason of its own, instead of a stack trace on stderr and a socket that just ends; other connections go on.
 */
class HandlerFailureTest {
    /** Echoes text; throws on binary. */
    static final class FailingOnBinary extends EchoHandler {
        @Override
        public void onBinary(byte[] buffer, int length) {
            throw new IllegalStateException("a bug in the handler");
        }
    }

    @Test
    void anErrorTheHandlerLetsEscapeClosesThatSessionWith1011() throws Exception {
        WebServer server = WebServer.builder().host("127.0.0.1").port(0)
                .addRouting(WsRouting.builder().endpoint(Protocol.PATH, FailingOnBinary::new))
                .build().start();
        try (RawWebSocket failing = RawWebSocket.open(server.port(), "");
             RawWebSocket other = RawWebSocket.open(server.port(), "")) {
            failing.send(true, 0x2, new byte[10]);
            RawWebSocket.Frame close = failing.readUntilClose();
            assertThat(close.closeCode(), is(1011));
            assertThat(close.closeReason(), is("internal error"));
            assertThat(failing.endedByServer(), is(true));
            other.send(true, 0x1, "still here".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            assertThat("another session goes on", other.read().text(), is("still here"));
        } finally {
            server.stop();
        }
    }
}
