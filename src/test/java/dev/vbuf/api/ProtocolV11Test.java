package dev.vbuf.api;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Protocol;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.client.Segment;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.cli.SegmentSource;
import dev.vbuf.media.SegmentParser;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/**
 * Protocol v1.1 over real sockets, real FFmpeg: ids echoed, replies placed on the input's timeline, pcm gapless
 * (bit-identical to a single-pass decode) across segments and across a reconnect to another instance.
 */
class ProtocolV11Test {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static VbufServer server;
    private static List<Segment> segments;
    private static Path input;
    private static Path work;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        work = Files.createTempDirectory("vbuf-v11");
        input = TestMedia.chirp(20, false);
        segments = SegmentSource.of(List.of(input), 6, SegmentSource.Container.TS, work, TestMedia.TOOL);
    }

    @AfterAll
    static void stop() {
        server.drainAndStop();
    }

    static SegmentClient connect(VbufServer s, String format) {
        return SegmentClient.connect(java.net.URI.create("ws://localhost:" + s.port() + "/v1/segments?format=" + format),
                                     Map.of(), List.of(Protocol.SUBPROTOCOL_V11));
    }

    static String message(String id, String carry, boolean last) {
        ObjectNode m = JSON.createObjectNode().put("type", "segment").put("id", id);
        if (carry != null) {
            m.put("carry", carry);
        }
        if (last) {
            m.put("last", true);
        }
        return m.toString();
    }

    static byte[] singlePassPcm(Path file) throws Exception {
        ProcessRunner.Result r = ProcessRunner.of(List.of(TestMedia.FFMPEG.executable().toString(), "-hide_banner",
                "-loglevel", "error", "-f", "mpegts", "-i", file.toString(), "-map", "0:a:0", "-c:a", "pcm_s16le",
                "-ar", "16000", "-ac", "1", "-f", "s16le", "pipe:1")).deadline(Duration.ofMinutes(1))
                .maxStdoutBytes(64 << 20).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        return r.stdout();
    }

    @Test
    void pcmRepliesConcatenateToTheSinglePassDecodeAndEchoIds() throws Exception {
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        try (SegmentClient c = connect(server, "pcm")) {
            assertThat(c.subprotocol(), is(Protocol.SUBPROTOCOL_V11));
            double expectedStart = Double.NaN;
            for (int i = 0; i < segments.size(); i++) {
                c.sendText(message("seg-" + i, null, i == segments.size() - 1));
                c.send(segments.get(i).bytes());
                SegmentClient.Reply r = c.reply();
                assertThat(r.toString(), r.type(), is("result"));
                assertThat(r.json().path("id").asText(), is("seg-" + i));
                assertThat(r.json().path("gapless").asText(), is(i == 0 ? "cold" : "warm"));
                assertThat(r.json().path("timescale").asInt(), is(90_000));
                assertThat(r.json().path("sampleRate").asInt(), is(16_000));
                assertThat(r.json().path("samples").asLong() * 2, is((long) r.audio().length));
                if (i > 0) {
                    assertThat("each reply starts where the previous ended", r.json().path("startSec").asDouble(),
                               closeTo(expectedStart, 1e-9));
                }
                expectedStart = r.json().path("endSec").asDouble();
                pcm.writeBytes(r.audio());
            }
        }
        byte[] reference = singlePassPcm(input);
        assertThat(pcm.size(), is(reference.length));
        assertThat("bit-identical to the single-pass decode", java.util.Arrays.equals(pcm.toByteArray(), reference),
                   is(true));
    }

    @Test
    void aSessionCutWith1001ResumesOnAnotherInstanceWithTheCarry() throws Exception {
        VbufServer first = TestServer.start();
        VbufServer second = TestServer.start();
        try {
            List<String> ids = new ArrayList<>();
            ByteArrayOutputStream pcm = new ByteArrayOutputStream();
            String carry;
            try (SegmentClient c = connect(first, "pcm")) {
                for (int i = 0; i < 2; i++) {
                    c.sendText(message("seg-" + i, null, false));
                    c.send(segments.get(i).bytes());
                }
                SegmentClient.Reply r0 = c.reply();
                SegmentClient.Reply r1 = c.reply();
                for (SegmentClient.Reply r : List.of(r0, r1)) {
                    ids.add(r.json().path("id").asText());
                    pcm.writeBytes(r.audio());
                }
                carry = r1.json().path("carry").asText();
                first.drainAndStop();
                assertThat(c.awaitClose(Duration.ofSeconds(30)).code(), is(CloseCodes.GOING_AWAY));
            }
            try (SegmentClient c = connect(second, "pcm")) {
                for (int i = 2; i < segments.size(); i++) {
                    boolean last = i == segments.size() - 1;
                    c.sendText(message("seg-" + i, i == 2 ? carry : null, last));
                    c.send(segments.get(i).bytes());
                    SegmentClient.Reply r = c.reply();
                    assertThat(r.toString(), r.json().path("gapless").asText(), is("warm"));
                    ids.add(r.json().path("id").asText());
                    pcm.writeBytes(r.audio());
                }
            }
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < segments.size(); i++) {
                expected.add("seg-" + i);
            }
            assertThat("nothing skipped or doubled", ids, is(expected));
            assertThat("joined v1.1 pcm replies are bit-identical to the single-pass decode",
                       java.util.Arrays.equals(pcm.toByteArray(), singlePassPcm(input)), is(true));
        } finally {
            first.drainAndStop();
            second.drainAndStop();
        }
    }

    @Test
    void aCarryThatDoesNotFitStartsColdAndSaysWhy() throws Exception {
        try (SegmentClient c = connect(server, "pcm")) {
            c.sendText(message("a", "not-a-carry", false));
            c.send(segments.get(1).bytes());
            SegmentClient.Reply r = c.reply();
            assertThat(r.type(), is("result"));
            assertThat(r.json().path("gapless").asText(), is("cold"));
            assertThat(r.json().path("coldReason").asText(), is("carry is not one this server wrote"));
            String carryOfSegment1 = r.json().path("carry").asText();
            c.sendText(message("b", carryOfSegment1, false));
            c.send(segments.get(0).bytes()); // not the segment after 1: a seek back
            SegmentClient.Reply seek = c.reply();
            assertThat(seek.json().path("gapless").asText(), is("cold"));
            assertThat("a seek's coldReason says the carry was not for the next segment",
                       seek.json().path("coldReason").asText().contains("not the next segment"), is(true));
        }
    }

    @Test
    void errorsEchoTheIdAndV1RepliesAreUnchanged() throws Exception {
        try (SegmentClient c = connect(server, "pcm")) {
            c.sendText(message("bad-1", null, false));
            c.send("not media".getBytes());
            SegmentClient.Reply r = c.reply();
            assertThat(r.type(), is("error"));
            assertThat(r.json().path("id").asText(), is("bad-1"));
            c.send(segments.get(0).bytes()); // no segment message: still answered, without an id
            SegmentClient.Reply r2 = c.reply();
            assertThat(r2.json().get("id"), nullValue());
            assertThat(r2.json().get("pts"), notNullValue());
        }
        try (SegmentClient c = SegmentClient.connect(server.port(), "format=pcm")) {
            c.send(segments.get(0).bytes());
            SegmentClient.Reply r = c.reply();
            List<String> fields = new ArrayList<>();
            r.json().fieldNames().forEachRemaining(fields::add);
            assertThat(fields, is(List.of("type", "seq", "format", "bytes", "audioMs", "processingMs", "queuedMs")));
        }
    }

    /**
     * The one parse of a v1.1 segment serves its inspection and its plan: the parser is entered once per segment,
     * for MPEG-TS (the second one warm from the first's kept carry) and fragmented MP4 alike.
     */
    @Test
    void aV11SegmentIsParsedOnce() throws Exception {
        byte[] fmp4 = TestMedia.segment(TestMedia.Kind.FMP4_AAC, 1.0);
        List<byte[]> sent = List.of(segments.get(0).bytes(), segments.get(1).bytes(), fmp4);
        List<String> expected = List.of("cold", "warm", "cold");
        try (SegmentClient c = connect(server, "pcm")) {
            for (int i = 0; i < sent.size(); i++) {
                long before = SegmentParser.parses();
                c.sendText(message("once-" + i, null, false));
                c.send(sent.get(i));
                SegmentClient.Reply r = c.reply();
                assertThat(r.toString(), r.json().path("gapless").asText(), is(expected.get(i)));
                assertThat("parser entries for segment " + i + " (" + (i < 2 ? "MPEG-TS" : "fMP4") + ")",
                           SegmentParser.parses() - before, is(1L));
            }
        }
    }

    @Test
    void aMalformedSegmentMessageCloses1003() throws Exception {
        try (SegmentClient c = connect(server, "aac")) {
            c.sendText("{\"type\":\"nope\"}");
            assertThat(c.awaitClose(Duration.ofSeconds(10)).code(), is(CloseCodes.UNSUPPORTED_DATA));
        }
    }

    @Test
    void copiedFmp4StartsAtTheInputsTimestamp() throws Exception {
        try (SegmentClient c = connect(server, "fmp4")) {
            c.sendText(message("x", null, false));
            c.send(segments.get(1).bytes());
            SegmentClient.Reply r = c.reply();
            assertThat(r.json().path("gapless").asText(), is("copy"));
            double pts = r.json().path("pts").asLong() / 90_000.0;
            Path f = work.resolve("one.mp4");
            Files.write(f, r.audio());
            assertThat(firstPacketSec(f), closeTo(pts, 1.0 / 48_000));
            assertThat(r.json().path("startSec").asDouble(), closeTo(pts, 1e-9));
        }
    }

    /** The presentation time of a file's first audio packet, as ffprobe reads it back. */
    static double firstPacketSec(Path f) throws Exception {
        ProcessRunner.Result probe = ProcessRunner.of(List.of(TestMedia.TOOL.sibling("ffprobe").orElseThrow().toString(),
                "-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pts_time", "-of", "csv=p=0",
                f.toString())).deadline(Duration.ofSeconds(30)).run();
        return Double.parseDouble(probe.stdoutText().lines().findFirst().orElseThrow().strip());
    }
}
