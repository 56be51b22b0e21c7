package dev.vbuf.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.client.StreamReport;
import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;
import dev.vbuf.tools.AudioProbe;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/** The stream command against a real server: each format written as one playable file, retries, a vanishing server. */
class StreamCommandTest {
    private static final AudioProbe PROBE = new AudioProbe(TestMedia.TOOL);
    private static Path dir;
    private static Path video;

    @BeforeAll
    static void media() throws IOException {
        dir = Files.createTempDirectory("vbuf-stream-test");
        video = TestMedia.file(Kind.TS_AAC, 12.0, false); // split into 4-s segments: 3 segments, 2 boundaries
    }

    @AfterAll
    static void clean() {
        StreamCommand.deleteRecursively(dir);
    }

    private static URI url(VbufServer server) {
        return URI.create("ws://127.0.0.1:" + server.port() + "/v1/segments");
    }

    private record Run(StreamCommand.Result result, String console) {
    }

    private static Run stream(VbufServer server, List<Path> inputs, OutputFormat format, Path out, boolean realtime)
            throws Exception {
        return stream(server, inputs, format, SegmentSource.Container.TS, out, realtime);
    }

    private static Run stream(VbufServer server, List<Path> inputs, OutputFormat format,
                              SegmentSource.Container container, Path out, boolean realtime) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        PrintStream console = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        StreamCommand.Result r = StreamCommand.stream(inputs, url(server), java.util.Optional.empty(), format, 4, container, realtime, 2, 50,
                                                      out, TestMedia.TOOL, console);
        return new Run(r, buffer.toString(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void writesOnePlayableFilePerFormat(OutputFormat format) throws Exception {
        Path out = dir.resolve("out." + format.fileExtension());
        try (VbufServer server = TestServer.start()) {
            Run run = stream(server, List.of(video), format, out, false);
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            StreamReport report = run.result().report();
            assertThat(report.segments(), is(3));
            assertThat(report.ok(), is(3));
            AudioProbe.Info info = PROBE.probe(out, OutputAssembler.probeArgs(format));
            switch (format) {
                case AAC -> assertThat(info.codec(), is("aac"));
                case FMP4 -> {
                    assertThat(info.codec(), is("aac"));
                    assertThat(info.formatName(), containsString("mp4"));
                    assertThat("still fragmented (MSE)", new String(Files.readAllBytes(out),
                                                                      StandardCharsets.ISO_8859_1),
                               containsString("moof"));
                }
                case WEBM -> {
                    assertThat(info.codec(), is("opus"));
                    assertThat(info.formatName(), containsString("webm"));
                }
                case PCM -> assertThat(info.codec(), is("pcm_s16le"));
            }
            // the file's duration is the audio sent, within one frame per segment for stream copy and PCM; Opus
            // re-encoding adds priming and padding: within two 20-ms frames per segment
            double frame = format == OutputFormat.WEBM ? 2 * 0.020 : 1024.0 / 48000;
            assertThat(info.durationSec(), closeTo(report.inputAudioSec(), report.segments() * frame));
            assertThat(report.outputAudioSec(), closeTo(info.durationSec(), 0.001));
            if (format != OutputFormat.WEBM) {
                assertThat("gapless: " + run.console(), report.outputAudioSec(),
                           closeTo(report.inputAudioSec(), 0.002));
            }
            assertThat(run.console(), containsString("real-time factor"));
        }
    }

    @Test
    void fragmentedMp4SegmentsAreGaplessToo() throws Exception {
        try (VbufServer server = TestServer.start()) {
            Run run = stream(server, List.of(video), OutputFormat.AAC, SegmentSource.Container.FMP4,
                             dir.resolve("from-fmp4.aac"), false);
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat(run.result().report().segments(), is(3));
            assertThat(run.console(), run.result().report().outputAudioSec(),
                       closeTo(run.result().report().inputAudioSec(), 0.002));
        }
    }

    @Test
    void realtimePacesSendsAtTheMediasOwnRate() throws Exception {
        // 12 s in 4-s segments: the last one may not be sent before 8 s have passed
        try (VbufServer server = TestServer.start()) {
            long start = System.nanoTime();
            Run run = stream(server, List.of(video), OutputFormat.AAC, null, true);
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat("wall time " + ms + " ms", ms >= 8000, is(true));
            assertThat("a --realtime run takes under 1.6x the media's duration",
                       run.result().report().realTimeFactor() < 1.6, is(true));
        }
    }

    @Test
    void overloadedSegmentsAreRetriedUntilEveryOneIsAnswered() throws Exception {
        Map<Setting, String> tight = Map.of(Setting.MAX_CONCURRENT, "1", Setting.QUEUE_CAPACITY, "0",
                                            Setting.TARGET_LATENCY_MS, "300");
        try (VbufServer server = TestServer.start(tight)) {
            ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
            List<Future<Run>> runs = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Path out = dir.resolve("retry-" + i + ".webm");
                runs.add(pool.submit((Callable<Run>) () -> stream(server, List.of(video), OutputFormat.WEBM, out,
                                                                  false)));
            }
            int retries = 0;
            for (Future<Run> f : runs) {
                Run run = f.get();
                assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
                assertThat(run.result().report().ok(), is(3));
                retries += run.result().report().retries();
            }
            pool.shutdown();
            assertThat("some segments were refused and sent again", retries, greaterThan(0));
        }
    }

    /**
     * Against a session rate limit far below what the file offers, every segment is still delivered, and the client
     * backs off as a whole instead of sending the next segments into the same refusal (which cost ~5 refusals per
     * segment before).
     */
    @Test
    void rateLimitedSegmentsPauseTheWholeStreamAndAreAllDelivered() throws Exception {
        Map<Setting, String> slow = Map.of(Setting.SESSION_RATE, "5", Setting.SESSION_BURST, "1");
        try (VbufServer server = TestServer.start(slow)) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            PrintStream console = new PrintStream(buffer, true, StandardCharsets.UTF_8);
            Path out = dir.resolve("rate-limited.aac");
            StreamCommand.Result r = StreamCommand.stream(List.of(video), url(server), java.util.Optional.empty(),
                                                          OutputFormat.AAC, 1.0, SegmentSource.Container.TS, false,
                                                          2, 50, out, TestMedia.TOOL, console);
            String log = buffer.toString(StandardCharsets.UTF_8);
            assertThat(log, r.exitCode(), is(StreamCommand.EXIT_OK));
            int segments = r.report().segments();
            assertThat(log, segments, greaterThan(6));
            assertThat(r.report().ok(), is(segments));
            assertThat("refusals, for " + segments + " segments: " + log, r.report().retries(),
                       lessThanOrEqualTo(2 * segments));
        }
    }

    /** v1.1, AAC encoded from MP3: trims applied, and the summary measures the boundaries against the same encoder. */
    @Test
    void aacFromMp3IsMeasuredAgainstASinglePassEncode() throws Exception {
        try (VbufServer server = TestServer.start()) {
            ByteArrayOutputStream buffer = new ByteArrayOutputStream();
            Path input = TestMedia.chirp(12, List.of("-c:a", "libmp3lame", "-b:a", "128k"));
            StreamCommand.Result r = StreamCommand.stream(List.of(input), url(server), java.util.Optional.empty(),
                                                          OutputFormat.AAC, 4, SegmentSource.Container.TS, false, 2,
                                                          50, dir.resolve("from-mp3.aac"), TestMedia.TOOL,
                                                          new PrintStream(buffer, true, StandardCharsets.UTF_8), true);
            String console = buffer.toString(StandardCharsets.UTF_8);
            System.out.println(console);
            assertThat(console, r.exitCode(), is(StreamCommand.EXIT_OK));
            assertThat(console, containsString("worst offset 0 samples"));
            assertThat(console, containsString("single-pass AAC at the same boundaries"));
            assertThat(PROBE.probe(dir.resolve("from-mp3.aac"), List.of()).codec(), is("aac"));
        }
    }

    /**
     * A server that drains (1001) and does not come back: the stream tries to resume, then ends with a clear error
     * and a non-zero exit after {@code --max-reconnects} attempts in a row without an answer.
     */
    @Test
    void aServerThatGoesAwayForGoodEndsWithAClearErrorAndNonZeroExit() throws Exception {
        VbufServer server = TestServer.start();
        Path longVideo = TestMedia.file(Kind.TS_AUDIO_ONLY, 40.0, false);
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        StreamCommand.Request request = StreamCommand.Request.of(List.of(longVideo), url(server), OutputFormat.AAC,
                                                                 dir.resolve("gone.aac"))
                .withSegmentSeconds(4).withRealtime(true).withMaxReconnects(2);
        ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
        Future<StreamCommand.Result> running = pool.submit(() -> StreamCommand.stream(
                request, TestMedia.TOOL, new PrintStream(buffer, true, StandardCharsets.UTF_8)));
        Thread.sleep(3000); // real-time pacing: a few segments in
        server.close();
        StreamCommand.Result result = running.get();
        pool.shutdown();
        String console = buffer.toString(StandardCharsets.UTF_8);
        assertThat(console, result.exitCode(), is(StreamCommand.EXIT_CONNECTION));
        assertThat(console, containsString("the connection broke after"));
        assertThat(console, containsString("2 attempt(s) in a row brought no answer"));
    }

    @Test
    void streamsAnHlsPlaylistOnDisk() throws Exception {
        Path hls = Files.createDirectories(dir.resolve("hls"));
        FfmpegFileCommand.run(List.of(TestMedia.TOOL.executable().toString(), "-hide_banner", "-loglevel", "error",
                                      "-i", video.toString(), "-c", "copy", "-bsf:a", "aac_adtstoasc", "-f", "hls",
                                      "-hls_time", "4",
                                      "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4",
                                      hls.resolve("index.m3u8").toString()), "make an fMP4 HLS rendition");
        try (VbufServer server = TestServer.start()) {
            Run run = stream(server, List.of(hls.resolve("index.m3u8")), OutputFormat.AAC, dir.resolve("hls.aac"),
                             false);
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat(run.result().report().segments(), is(3));
        }
    }

    @Test
    void badInputsAreReportedWithoutConnecting() throws Exception {
        Path playlist = dir.resolve("remote.m3u8");
        Files.writeString(playlist, "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nhttp://127.0.0.1:9/seg.ts\n"
                                    + "#EXT-X-ENDLIST\n");
        try (VbufServer server = TestServer.start()) {
            Run run = stream(server, List.of(playlist), OutputFormat.AAC, null, false);
            assertThat(run.result().exitCode(), is(StreamCommand.EXIT_INPUT));
            assertThat(run.console(), containsString("only segments on disk"));
            run = stream(server, List.of(dir.resolve("missing.ts")), OutputFormat.AAC, null, false);
            assertThat(run.result().exitCode(), is(StreamCommand.EXIT_INPUT));
            assertThat(run.console(), containsString("no such file"));
        }
    }
}
