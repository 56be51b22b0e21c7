package dev.vbuf.api;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Random;
import java.util.ServiceLoader;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import io.helidon.common.HelidonServiceLoader;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.CompositeBufferData;
import io.helidon.webserver.http1.spi.Http1UpgradeProvider;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.instanceOf;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

/** The WebSocket upgrade Helidon uses is vbuf's, and it hands frames over intact, in one piece. */
class ContiguousFrameUpgradeProviderTest {

    @Test
    void helidonPicksThisProviderForWebSocket() {
        Http1UpgradeProvider<?> first = HelidonServiceLoader.create(ServiceLoader.load(Http1UpgradeProvider.class))
                .asList().stream()
                .filter(p -> p.protocolType().equals("websocket"))
                .findFirst().orElseThrow();
        assertThat(first, instanceOf(ContiguousFrameUpgradeProvider.class));
    }

    @Test
    void multiChunkReadsComeBackAsOneArrayWithTheSameBytes() {
        byte[] data = new byte[100_000];
        new Random(3).nextBytes(data);
        Deque<byte[]> chunks = new ArrayDeque<>();
        for (int off = 0; off < data.length; off += 8192) {
            chunks.add(Arrays.copyOfRange(data, off, Math.min(data.length, off + 8192)));
        }
        var reader = new ContiguousFrameUpgradeProvider.ContiguousDataReader(
                new io.helidon.common.buffers.DataReader(chunks::poll));
        reader.readBuffer(10); // skip a little, so the next read starts inside a chunk
        BufferData payload = reader.readBuffer(90_000);
        assertThat(payload, not(instanceOf(CompositeBufferData.class)));
        byte[] read = new byte[90_000];
        payload.read(read);
        assertThat(Arrays.equals(read, Arrays.copyOfRange(data, 10, 90_010)), is(true));
    }

    @Test
    void aLargeSingleFrameArrivesIntact() throws Exception {
        // a real segment in one frame of over a megabyte (many read chunks): its audio only comes back whole if every
        // byte arrived as sent
        try (VbufServer server = TestServer.start();
             SegmentClient client = SegmentClient.connect(server.port(), "format=pcm")) {
            byte[] segment = TestMedia.segment(TestMedia.Kind.TS_AAC, 6.0, true);
            assertThat(segment.length > 1_000_000, is(true));
            client.sendOneFrame(segment);
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.type(), is("result"));
            assertThat(reply.json().path("audioMs").asLong() > 5900, is(true));
        }
    }
}
