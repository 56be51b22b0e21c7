package dev.vbuf.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.notNullValue;

/** The sender's close handshake: the client has a few seconds to answer the close frame, then it is dropped. */
class ReplySenderTest {

    /** A text message is not protocol v1: the server closes with 1003. */
    private static RawWebSocket.Frame provokeClose(RawWebSocket ws) throws Exception {
        ws.send(true, 0x1, "hello".getBytes(StandardCharsets.UTF_8));
        RawWebSocket.Frame close = ws.readUntilClose();
        assertThat("the server's close frame", close, notNullValue());
        assertThat(close.closeReason(), close.closeCode(), is(CloseCodes.UNSUPPORTED_DATA));
        return close;
    }

    @Test
    void aClientThatNeverAnswersTheCloseFrameIsDroppedAfterTheHandshakeTime() throws Exception {
        try (VbufServer server = TestServer.start(); RawWebSocket ws = RawWebSocket.open(server.port(), "format=pcm")) {
            provokeClose(ws);
            long closeSeen = System.nanoTime();
            assertThat("the server ends the connection", ws.endedByServer(), is(true));
            Duration waited = Duration.ofNanos(System.nanoTime() - closeSeen);
            assertThat("waited for the client's close frame (ms)", waited.toMillis(), greaterThanOrEqualTo(2_500L));
            assertThat("then dropped the connection (ms)", waited.toMillis(), lessThan(15_000L));
        }
    }

    @Test
    void aClientThatAnswersTheCloseFrameEndsTheSessionAtOnce() throws Exception {
        try (VbufServer server = TestServer.start(); RawWebSocket ws = RawWebSocket.open(server.port(), "format=pcm")) {
            RawWebSocket.Frame close = provokeClose(ws);
            long answered = System.nanoTime();
            ws.sendClose(close.closeCode(), new byte[0]);
            assertThat("the server ends the connection", ws.endedByServer(), is(true));
            assertThat("without waiting out the handshake time (ms)",
                       Duration.ofNanos(System.nanoTime() - answered).toMillis(), lessThan(2_500L));
        }
    }
}
