package dev.vbuf.example;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.vbuf.cli.SegmentSource;
import dev.vbuf.client.Segment;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.client.StreamRun;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;

/**
 * The client artifact against a real server in this JVM: the server, its FFmpeg and the test video come from the
 * server's jars (test scope), the client from this build's own classes. A generated 6-s video (H.264 + AAC, MPEG-TS)
 * is split into 2-s segments and streamed through the client's API: {@link StreamRun} (as {@link PcmExample}, the
 * docs' example, does) and {@link SegmentClient} message by message.
 */
class ClientArtifactTest {
    private static final double SECONDS = 6;
    private static final double SEGMENT_SECONDS = 2;
    private static final Path CLIENT_DOCS = Path.of("../docs/client.md");
    private static final Path EXAMPLE = Path.of("src/test/java/dev/vbuf/example/PcmExample.java");

    @TempDir
    static Path dir;
    private static VbufServer server;
    private static List<Segment> segments;

    @BeforeAll
    static void startAServerAndSplitAVideo() throws Exception {
        Path ffmpeg = Path.of(System.getProperty("vbuf.ffmpeg"));
        assertThat("the segment FFmpeg of the server's build (run `mvn -B install` at the top level first): " + ffmpeg,
                   Files.isExecutable(ffmpeg), is(true));
        server = TestServer.start(Map.of(Setting.FFMPEG_PATH, ffmpeg.toString()));
        FfmpegBinary tool = FfmpegBinary.tool(FfmpegBinary.locate(Optional.of(ffmpeg), Optional.empty()));
        Path video = dir.resolve("video.ts");
        FfmpegFileCommand.run(FfmpegFileCommand.testSegment(tool.executable().toString(), SECONDS, video),
                              "make the test video");
        segments = SegmentSource.of(List.of(video), SEGMENT_SECONDS, SegmentSource.Container.TS, dir, tool);
        assertThat("the 6-s video in 2-s segments", segments, hasSize(3));
    }

    @AfterAll
    static void stopTheServer() {
        if (server != null) {
            server.close();
        }
    }

    /** The server jar holds a copy of the client too; what runs here must be this build's, or nothing is tested. */
    @Test
    void theClientUnderTestIsThisBuildsOwnNotTheServerJarsCopy() throws Exception {
        Path classes = Path.of(System.getProperty("vbuf.client.classes"));
        for (Class<?> c : List.of(SegmentClient.class, StreamRun.class, Segment.class, Protocol.class,
                                  OutputFormat.class, CloseCodes.class)) {
            assertThat(c.getName(), codeSource(c), is(classes));
        }
        assertThat("the server comes from its jar", codeSource(VbufServer.class).getFileName().toString(),
                   endsWith(".jar"));
    }

    @Test
    void theExampleGetsEverySegmentsAudioInOrderAndItJoinsToTheVideosLength() throws Exception {
        Path out = dir.resolve("audio.pcm");
        List<StreamRun.Outcome> outcomes = PcmExample.toPcm(url(), segments, out);

        assertThat(outcomes, hasSize(segments.size()));
        long bytes = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            StreamRun.Outcome o = outcomes.get(i);
            assertThat("outcome " + i + " is segment " + i, o.index(), is(i));
            assertThat("segment " + i + " answered with audio: " + o.errorCode() + " " + o.errorMessage(), o.ok(),
                       is(true));
            assertThat("v1.1: the answer carries the segment's id", o.reply().path("id").asText(),
                       is(String.valueOf(i)));
            assertThat(o.reply().path("format").asText(), is(OutputFormat.PCM.wireName()));
            assertThat(o.audio().length, is(o.reply().path("bytes").asInt()));
            bytes += o.audio().length;
        }
        byte[] pcm = Files.readAllBytes(out);
        assertThat("the file is the replies joined", (long) pcm.length, is(bytes));
        int bytesPerSecond = OutputFormat.PCM_SAMPLE_RATE * OutputFormat.PCM_CHANNELS * OutputFormat.PCM_BYTES_PER_SAMPLE;
        assertThat("seconds of audio", pcm.length / (double) bytesPerSecond, closeTo(SECONDS, 0.1));
        assertThat("the tone, not silence", peak(pcm), greaterThan(1000));
    }

    @Test
    void aV11SessionAnswersEachSegmentByItsIdThenClosesNormallyAfterEnd() throws Exception {
        URI uri = URI.create(url() + "?" + Protocol.FORMAT_PARAM + "=" + OutputFormat.AAC.wireName());
        try (SegmentClient client = SegmentClient.connect(uri, Map.of(), List.of(Protocol.SUBPROTOCOL_V11))) {
            assertThat(client.subprotocol(), is(Protocol.SUBPROTOCOL_V11));
            for (Segment s : segments) {
                String id = "part-" + s.index();
                client.sendText(Protocol.json(Map.of("type", Protocol.SEGMENT_MESSAGE, "id", id)));
                client.send(s.bytes());
                SegmentClient.Reply reply = client.reply();
                assertThat(reply.toString(), reply.type(), is("result"));
                assertThat(reply.json().path("id").asText(), is(id));
                assertThat("seq numbers the connection's segments", reply.seq(), is((long) s.index()));
                assertThat("ADTS: each reply starts on a frame's sync word", reply.audio().length > 2
                           && (reply.audio()[0] & 0xFF) == 0xFF && (reply.audio()[1] & 0xF0) == 0xF0, is(true));
            }
            client.sendText(Protocol.json(new Protocol.End()));
            assertThat(client.awaitClose(Duration.ofSeconds(30)).code(), is(CloseCodes.NORMAL));
        }
    }

    /** docs/client.md's Java example is {@link PcmExample} as it is compiled and run here (from its imports on). */
    @Test
    void theDocsShowTheExampleThatRunsHere() throws Exception {
        String source = Files.readString(EXAMPLE);
        String fromImports = source.substring(source.indexOf("import ")).strip();
        String docs = Files.readString(CLIENT_DOCS);
        int section = docs.indexOf("\n## Java\n");
        assertThat("docs/client.md has a \"## Java\" section", section >= 0, is(true));
        int from = docs.indexOf("```java\n", section) + "```java\n".length();
        int to = docs.indexOf("\n```", from);
        assertThat("docs/client.md's Java example differs from " + EXAMPLE, docs.substring(from, to).strip(),
                   is(fromImports));
    }

    private static URI url() {
        return URI.create("ws://127.0.0.1:" + server.port() + Protocol.PATH);
    }

    private static Path codeSource(Class<?> c) throws URISyntaxException {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static int peak(byte[] s16le) {
        ShortBuffer samples = ByteBuffer.wrap(s16le).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        int peak = 0;
        while (samples.hasRemaining()) {
            peak = Math.max(peak, Math.abs(samples.get()));
        }
        return peak;
    }
}
