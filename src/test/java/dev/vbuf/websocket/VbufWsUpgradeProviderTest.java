package dev.vbuf.websocket;

import java.util.List;
import java.util.ServiceLoader;
import java.util.function.BooleanSupplier;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.RawWebSocket;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import io.helidon.common.HelidonServiceLoader;
import io.helidon.webserver.http1.spi.Http1UpgradeProvider;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/** The WebSocket upgrade Helidon uses is vbuf's, and its connection hands messages over intact. */
class VbufWsUpgradeProviderTest {

    @Test
    void helidonPicksThisProviderForWebSocket() {
        Http1UpgradeProvider<?> first = HelidonServiceLoader.create(ServiceLoader.load(Http1UpgradeProvider.class))
                .asList().stream()
                .filter(p -> p.protocolType().equals("websocket"))
                .findFirst().orElseThrow();
        assertThat(first, instanceOf(VbufWsUpgradeProvider.class));
    }

    @Test
    void aLargeSingleFrameArrivesIntact() throws Exception {
        // a real segment in one frame of over a megabyte (many read chunks): its audio only comes back whole if every
        // byte arrived as sent
        try (VbufServer server = TestServer.start();
             SegmentClient client = SegmentClient.connect(server.port(), "format=pcm")) {
            byte[] segment = TestMedia.segment(TestMedia.Kind.TS_AAC, 6.0, true);
            assertThat("a segment of over a megabyte", segment.length, greaterThan(1_000_000));
            client.sendOneFrame(segment);
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.type(), is("result"));
            assertThat("all of its 6 s of audio", reply.json().path("audioMs").asLong(), greaterThan(5900L));
        }
    }

    /**
     * The reading thread is a platform thread blocked in the kernel's read, which an interrupt does not end: a server
     * that stops while a client sits mid-frame must still end that thread (it closes the socket), not leave it behind.
     */
    @Test
    void stoppingEndsAReadingThreadBlockedMidFrame() throws Exception {
        VbufServer server = TestServer.start();
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "format=aac")) {
            ws.sendRawBytes(new byte[] {(byte) 0x82, (byte) 0xFE}); // a binary frame's first header bytes, then nothing
            waitFor(() -> !readingThreads().isEmpty());
            server.close();
            waitFor(() -> readingThreads().isEmpty());
            assertThat(readingThreads(), is(empty()));
        } finally {
            server.close();
        }
    }

    private static List<Thread> readingThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(VbufWsConnection.READER_THREAD_PREFIX))
                .toList();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }
}
