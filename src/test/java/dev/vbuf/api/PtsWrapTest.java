package dev.vbuf.api;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.ReplySchemas;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * What docs/protocol.md ("Timestamps and the PTS wrap") says about the 33-bit wrap of live MPEG-TS, against a real
 * server: a stream whose PTS wraps inside its second segment (made with FFmpeg's {@code -output_ts_offset}) is placed
 * continuously up to the wrap, the segment after it starts cold at its own small PTS ({@code startSec} goes back by
 * 2^33 / 90000 s) with the reason, and the stream is warm again after it.
 */
class PtsWrapTest {
    /** 2^33 ticks of 90 kHz, in seconds: where MPEG-TS timestamps wrap. */
    private static final double WRAP_SEC = (1L << 33) / 90_000.0;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static VbufServer server;
    private static List<byte[]> segments;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        Path work = Files.createTempDirectory("vbuf-pts-wrap");
        // the chirp (keyframes every 2 s) shifted so that its PTS wraps 6.4 s before the input's 0, i.e. inside
        // the second 2-s segment; split as a packager does, timestamps kept
        ProcessRunner.Result r = ProcessRunner.of(List.of(
                TestMedia.TOOL.executable().toString(), "-hide_banner", "-nostdin", "-loglevel", "error",
                "-i", TestMedia.chirp(8, false).toString(), "-map", "0", "-c", "copy", "-copyts",
                "-output_ts_offset", String.format(Locale.ROOT, "%.6f", WRAP_SEC - 6.4),
                "-f", "segment", "-segment_time", "2", "-segment_format", "mpegts",
                work.resolve("wrap-%d.ts").toString())).deadline(Duration.ofMinutes(1)).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        try (Stream<Path> files = Files.list(work)) {
            segments = files.filter(p -> p.getFileName().toString().startsWith("wrap-"))
                    .sorted((a, b) -> Integer.compare(index(a), index(b)))
                    .map(PtsWrapTest::read).toList();
        }
        assertThat(segments.size(), greaterThan(3));
    }

    @AfterAll
    static void stop() {
        server.drainAndStop();
    }

    private static int index(Path p) {
        String n = p.getFileName().toString();
        return Integer.parseInt(n.substring("wrap-".length(), n.length() - ".ts".length()));
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static SegmentClient connect() {
        return SegmentClient.connect(URI.create("ws://localhost:" + server.port() + Protocol.PATH + "?format=pcm"),
                                     Map.of(), List.of(Protocol.SUBPROTOCOL_V11));
    }

    private static JsonNode send(SegmentClient c, int i, String carry) throws InterruptedException {
        ObjectNode m = JSON.createObjectNode().put("type", Protocol.SEGMENT_MESSAGE).put("id", "wrap-" + i);
        if (carry != null) {
            m.put("carry", carry);
        }
        c.sendText(m.toString());
        c.send(segments.get(i));
        SegmentClient.Reply r = c.reply(Duration.ofSeconds(30));
        ReplySchemas.assertValid(r.json().toString());
        assertThat(r.toString(), r.type(), is("result"));
        assertThat("the audio is the samples to keep", (long) r.audio().length, is(r.json().path("samples").asLong() * 2));
        return r.json();
    }

    @Test
    void theSegmentAfterTheWrapStartsColdAndStartSecGoesBackByTheWrap() throws Exception {
        List<JsonNode> replies = new ArrayList<>();
        try (SegmentClient c = connect()) {
            for (int i = 0; i < 4; i++) {
                replies.add(send(c, i, null));
            }
        }
        JsonNode before = replies.get(0);
        JsonNode across = replies.get(1);
        JsonNode after = replies.get(2);
        JsonNode next = replies.get(3);
        replies.forEach(r -> System.out.printf("%s %s pts %d start %.6f end %.6f %s%n", r.path("id").asText(),
                                                r.path("gapless").asText(), r.path("pts").asLong(),
                                                r.path("startSec").asDouble(), r.path("endSec").asDouble(),
                                                r.path("coldReason").asText("")));
        // the preconditions, read from the server's own pts: the wrap lies inside the second segment
        assertThat(across.path("pts").asLong(), greaterThan((1L << 33) - 3 * 90_000L));
        assertThat(after.path("pts").asLong(), lessThan(3 * 90_000L));

        assertThat(across.path("gapless").asText(), is("warm"));
        assertThat("continuous up to the wrap", across.path("startSec").asDouble(),
                   closeTo(before.path("endSec").asDouble(), 1e-9));
        assertThat(after.path("gapless").asText(), is("cold"));
        assertThat(after.path("coldReason").asText(), containsString("out of range"));
        assertThat("startSec is the segment's own pts", after.path("startSec").asDouble(),
                   closeTo(after.path("pts").asLong() / 90_000.0, 1e-6));
        double unwrapped = after.path("startSec").asDouble() + WRAP_SEC;
        assertThat("startSec went back by the wrap, less the 20 ms the previous reply left for a warm successor",
                   unwrapped - across.path("endSec").asDouble(), closeTo(0.020, 0.001));
        assertThat(next.path("gapless").asText(), is("warm"));
        assertThat(next.path("startSec").asDouble(), closeTo(after.path("endSec").asDouble(), 1e-9));
    }

    /** The same when a resuming client sends the carry itself: the carry of the segment across the wrap is refused. */
    @Test
    void theCarryOfTheSegmentAcrossTheWrapIsRefusedWhenAClientSendsIt() throws Exception {
        String carry;
        try (SegmentClient c = connect()) {
            send(c, 0, null);
            carry = send(c, 1, null).path("carry").asText();
        }
        try (SegmentClient c = connect()) {
            JsonNode after = send(c, 2, carry);
            assertThat(after.path("gapless").asText(), is("cold"));
            assertThat(after.path("coldReason").asText(), containsString("out of range"));
        }
    }
}
