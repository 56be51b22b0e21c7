package dev.vbuf.api;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.vbuf.tools.BoundaryCheck;
import dev.vbuf.client.Segment;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.cli.SegmentSource;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.EncodedJoins;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The boundary measurement of protocol v1.1: a 20-s chirp split at keyframes into 6-s MPEG-TS segments like an HLS
 * packager, streamed segment by segment, the replies assembled as the README says a client does, and the result
 * decoded and compared with a single-pass decode of the same input in the same format (figures printed).
 */
class GaplessBoundaryTest {
    private static VbufServer server;
    private static Path work;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        work = Files.createTempDirectory("vbuf-gapless");
    }

    @AfterAll
    static void stop() {
        server.drainAndStop();
    }

    static List<SegmentClient.Reply> stream(Path input, String format, String dir) throws Exception {
        return stream(input, format, dir, SegmentSource.Container.TS);
    }

    /** Splits the input like an HLS packager into {@code container} segments and streams them, checking the ids. */
    static List<SegmentClient.Reply> stream(Path input, String format, String dir, SegmentSource.Container container)
            throws Exception {
        List<Segment> segments = SegmentSource.of(List.of(input), 6, container,
                                                                Files.createDirectories(work.resolve(dir)),
                                                                TestMedia.TOOL);
        List<SegmentClient.Reply> replies = new ArrayList<>();
        try (SegmentClient c = ProtocolV11Test.connect(server, format)) {
            for (int i = 0; i < segments.size(); i++) {
                c.sendText(ProtocolV11Test.message(String.valueOf(i), null, i == segments.size() - 1));
                c.send(segments.get(i).bytes());
                SegmentClient.Reply r = c.reply();
                assertThat(r.toString(), r.type(), is("result"));
                replies.add(r);
            }
        }
        return replies;
    }

    /** The segment FFmpeg on {@code args}: the single-pass references come from the build that made the answers. */
    static byte[] ffmpeg(List<String> args) throws Exception {
        return ffmpeg(TestMedia.FFMPEG, args);
    }

    static byte[] ffmpeg(FfmpegBinary ffmpeg, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ffmpeg.executable().toString(), "-hide_banner",
                                                   "-nostdin", "-loglevel", "error"));
        cmd.addAll(args);
        ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(Duration.ofMinutes(2)).maxStdoutBytes(1 << 28).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        return r.stdout();
    }

    @Test
    void pcmFromPnsCodedAacIsWithinOneLsb() throws Exception {
        BoundaryCheck.Report report = pcm(TestMedia.chirp(20, true), "pns");
        System.out.println("pcm from PNS-coded AAC: " + report);
        assertThat(report.worstBoundaryError(), lessThanOrEqualTo(1));
    }

    /** pcm replies concatenated against a single-pass decode of the same input: placed to the sample, same length. */
    private static BoundaryCheck.Report pcm(Path input, String dir) throws Exception {
        return pcm(input, dir, SegmentSource.Container.TS);
    }

    private static BoundaryCheck.Report pcm(Path input, String dir, SegmentSource.Container container)
            throws Exception {
        BoundaryCheck.Report report = joinedPcm(stream(input, "pcm", dir, container), input);
        assertThat(report.lengthDiff(), is(0L));
        assertThat(report.worstOffset(), is(0));
        return report;
    }

    /**
     * pcm replies, each warm after the first and meeting the one before, concatenated and compared with a
     * single-pass decode of {@code singlePass} (an MPEG-TS file).
     */
    private static BoundaryCheck.Report joinedPcm(List<SegmentClient.Reply> replies, Path singlePass)
            throws Exception {
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        List<Long> boundaries = new ArrayList<>();
        double endSec = -1;
        for (SegmentClient.Reply r : replies) {
            assertThat(r.toString(), r.json().path("gapless").asText(), is(endSec < 0 ? "cold" : "warm"));
            if (endSec >= 0) {
                assertThat(r.json().path("startSec").asDouble(), closeTo(endSec, 1e-9));
            }
            endSec = r.json().path("endSec").asDouble();
            pcm.writeBytes(r.audio());
            boundaries.add((long) pcm.size() / 2);
        }
        boundaries.remove(boundaries.size() - 1);
        short[] ref = BoundaryCheck.decode(TestMedia.FFMPEG, singlePass, List.of("-f", "mpegts"), 16_000, 1);
        return BoundaryCheck.compare(BoundaryCheckAccess.samples(pcm.toByteArray()), ref, 1, 16_000, boundaries);
    }

    @Test
    void copiedAacIsTheSinglePassCopy() throws Exception {
        Path input = TestMedia.chirp(20, false);
        ByteArrayOutputStream adts = new ByteArrayOutputStream();
        for (SegmentClient.Reply r : stream(input, "aac", "aac")) {
            adts.writeBytes(r.audio());
        }
        byte[] single = ffmpeg(List.of("-f", "mpegts", "-i", input.toString(), "-map", "0:a:0", "-c:a", "copy",
                                       "-f", "adts", "pipe:1"));
        assertThat("joined aac replies are byte-identical to one stream copy of the whole input",
                   Arrays.equals(adts.toByteArray(), single), is(true));
    }

    /** Audio codings of the chirp other than AAC: vbuf decodes them (pcm, webm) or encodes them to AAC. */
    static final List<String> MP3 = List.of("-c:a", "libmp3lame", "-b:a", "128k");
    static final List<String> AC3 = List.of("-c:a", "ac3", "-b:a", "192k");

    static List<String> codec(String name) {
        return name.equals("mp3") ? MP3 : AC3;
    }

    /**
     * MP3 decodes bit-identically from its pre-roll (the carried frames refill the bit reservoir); AC-3's decoder
     * dithers the mantissas coded with no bits from a random generator the pre-roll cannot carry: within 1 LSB.
     */
    @ParameterizedTest
    @CsvSource({"mp3,0", "ac3,1"})
    void pcmFromMp3AndAc3IsPlacedToTheSampleAndMeetsTheSinglePassDecode(String codec, int maxError) throws Exception {
        BoundaryCheck.Report report = pcm(TestMedia.chirp(20, codec(codec)), "pcm-" + codec);
        System.out.println("pcm from " + codec + ": " + report);
        assertThat(report.worstBoundaryError(), lessThanOrEqualTo(maxError));
        assertThat(report.identical(), is(maxError == 0));
    }

    @ParameterizedTest
    @CsvSource({"mp3,aac", "ac3,aac", "ac3,fmp4"})
    void aacEncodedFromMp3AndAc3IsPlacedToTheSampleWithBoundaryErrorsAtTheEncodersOwnLevel(String codec, String format)
            throws Exception {
        Path input = TestMedia.chirp(20, codec(codec));
        List<SegmentClient.Reply> replies = stream(input, format, format + "-" + codec);
        if (format.equals("fmp4")) { // the fragments sit at the input's time: the kept audio starts at startSec
            for (SegmentClient.Reply r : replies) {
                Path f = Files.write(work.resolve("placed-" + r.json().path("id").asText() + ".mp4"), r.audio());
                assertThat(ProtocolV11Test.firstPacketSec(f) + r.json().path("trimStartSamples").asDouble() / 48_000,
                           closeTo(r.json().path("startSec").asDouble(), 1.0 / 48_000));
            }
        }
        Assembled ours = assemble(replies, format.equals("aac") ? "aac" : "mp4", 48_000);
        short[] lossless = BoundaryCheck.decode(TestMedia.FFMPEG, input, List.of("-f", "mpegts"), 48_000, 2);
        Path single = work.resolve("single-" + codec + ".aac");
        List<String> once = new ArrayList<>(List.of("-f", "mpegts", "-i", input.toString(), "-map", "0:a:0"));
        once.addAll(FfmpegCommand.gaplessAacEncoder()); // the same encoder, once over the whole input
        once.addAll(List.of("-f", "adts", "-y", single.toString()));
        ffmpeg(once);
        short[] s = BoundaryCheck.decode(TestMedia.FFMPEG, single, List.of(), 48_000, 2);
        short[] singlePass = Arrays.copyOfRange(s, 2 * 1024, s.length); // ADTS keeps the encoder's priming
        report(codec + " -> " + format, ours, lossless, singlePass);
    }

    @Test
    void webmTrimmedAsDocumentedIsPlacedToTheSampleWithBoundaryErrorsAtTheEncodersOwnLevel() throws Exception {
        webm(TestMedia.chirp(20, false), "webm");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mp3", "ac3"})
    void webmFromMp3AndAc3IsPlacedToTheSample(String codec) throws Exception {
        webm(TestMedia.chirp(20, codec(codec)), "webm-" + codec);
    }

    private static void webm(Path input, String dir) throws Exception {
        Assembled ours = assemble(stream(input, "webm", dir), "webm", 48_000);
        short[] lossless = BoundaryCheck.decode(TestMedia.FFMPEG, input, List.of("-f", "mpegts"), 48_000, 2);
        Path single = work.resolve("single-" + dir + ".webm");
        ffmpeg(List.of("-f", "mpegts", "-i", input.toString(), "-map", "0:a:0", "-c:a", "libopus", "-b:a", "64k",
                       "-ar", "48000", "-f", "webm", "-y", single.toString()));
        short[] singlePass = BoundaryCheck.decode(TestMedia.FFMPEG, single, List.of(), 48_000, 2);
        report(dir, ours, lossless, singlePass);
    }

    /** Replies decoded one by one and trimmed as README says a client does, and where they meet. */
    record Assembled(short[] samples, List<Long> boundaries) {
    }

    private static Assembled assemble(List<SegmentClient.Reply> replies, String ext, int rate) throws Exception {
        ByteArrayOutputStream assembled = new ByteArrayOutputStream();
        List<Long> boundaries = new ArrayList<>();
        int i = 0;
        for (SegmentClient.Reply r : replies) {
            Path part = work.resolve("part-" + i++ + "-" + System.nanoTime() + "." + ext);
            Files.write(part, r.audio());
            short[] s = BoundaryCheck.decode(TestMedia.FFMPEG, part, List.of(), rate, 2);
            int from = r.json().path("trimStartSamples").asInt() * 2;
            int n = r.json().path("samples").asInt() * 2;
            assertThat("decoded = trimStart + samples + trimEnd", (long) s.length / 2,
                       is(r.json().path("trimStartSamples").asLong() + r.json().path("samples").asLong()
                          + r.json().path("trimEndSamples").asLong()));
            short[] kept = Arrays.copyOfRange(s, from, from + n);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(kept.length * 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asShortBuffer().put(kept);
            assembled.writeBytes(b.array());
            boundaries.add((long) assembled.size() / 4);
        }
        boundaries.remove(boundaries.size() - 1);
        return new Assembled(BoundaryCheckAccess.samples(assembled.toByteArray()), boundaries);
    }

    /** The check of re-encoded joins ({@link EncodedJoins}), shared with the stream-through-faults test. */
    private static void report(String what, Assembled ours, short[] lossless, short[] singlePass) {
        EncodedJoins.assertWithinSinglePassError(what, ours.samples(), ours.boundaries(), lossless, singlePass);
    }

    /**
     * The chirp as HLS with fMP4 segments (FFmpeg's HLS muxer: one init segment, media segments with continuous
     * {@code tfdt}); streamed as a player would send it, the init in front of each media segment.
     */
    static Path hlsFmp4() throws Exception {
        Path dir = Files.createDirectories(work.resolve("hls-fmp4"));
        Path playlist = dir.resolve("audio.m3u8");
        if (!Files.exists(playlist)) {
            // packaging is test media: the tool FFmpeg's (the segment FFmpeg has no HLS muxer)
            ffmpeg(TestMedia.TOOL, List.of("-i", TestMedia.chirp(20, false).toString(), "-map", "0:v:0",
                           "-map", "0:a:0", "-c", "copy", "-bsf:a", "aac_adtstoasc", "-f", "hls", "-hls_time", "6",
                           "-hls_segment_type", "fmp4",
                           "-hls_playlist_type", "vod", "-hls_fmp4_init_filename", "init.mp4", playlist.toString()));
        }
        return playlist;
    }

    @Test
    void pcmFromFmp4InputIsTheSinglePassDecodeAndPlacedByTfdt() throws Exception {
        List<SegmentClient.Reply> replies = stream(hlsFmp4(), "pcm", "fmp4-pcm");
        for (SegmentClient.Reply r : replies) {
            assertThat(r.toString(), r.json().path("timescale").asInt(), is(48_000));
        }
        BoundaryCheck.Report report = joinedPcm(replies, TestMedia.chirp(20, false));
        System.out.println("pcm from fMP4 input: " + report);
        assertThat(report.lengthDiff(), is(0L));
        assertThat("joined pcm replies are bit-identical to the single-pass decode", report.identical(), is(true));
    }

    @Test
    void fmp4FromFmp4InputIsCopiedAtTheInputsTime() throws Exception {
        for (SegmentClient.Reply r : stream(hlsFmp4(), "fmp4", "fmp4-fmp4")) {
            assertThat(r.json().path("gapless").asText(), is("copy"));
            Path f = Files.write(work.resolve("fmp4-copy-" + r.json().path("id").asText() + ".mp4"), r.audio());
            double pts = r.json().path("pts").asLong() / r.json().path("timescale").asDouble();
            assertThat(ProtocolV11Test.firstPacketSec(f), closeTo(pts, 1.0 / 48_000));
            assertThat(r.json().path("startSec").asDouble(), closeTo(pts, 1e-9));
        }
    }

    @Test
    void webmFromFmp4InputIsPlacedToTheSample() throws Exception {
        Path source = TestMedia.chirp(20, false);
        Assembled ours = assemble(stream(hlsFmp4(), "webm", "fmp4-webm"), "webm", 48_000);
        short[] lossless = BoundaryCheck.decode(TestMedia.FFMPEG, source, List.of("-f", "mpegts"), 48_000, 2);
        Path single = work.resolve("single-fmp4.webm");
        ffmpeg(List.of("-f", "mpegts", "-i", source.toString(), "-map", "0:a:0", "-c:a", "libopus", "-b:a", "64k",
                       "-ar", "48000", "-f", "webm", "-y", single.toString()));
        report("webm from fMP4", ours, lossless, BoundaryCheck.decode(TestMedia.FFMPEG, single, List.of(), 48_000, 2));
    }

    /**
     * fMP4 segments as FFmpeg's segment muxer writes them (each its own init, tfdt from 0, the start as an empty edit
     * in milliseconds) start up to a millisecond off where the one before ended: the carry's timeline is kept, and
     * the pcm is still the single-pass decode.
     */
    @Test
    void segmentMuxerFmp4WithMillisecondStartsIsStillTheSinglePassDecode() throws Exception {
        BoundaryCheck.Report report = pcm(TestMedia.chirp(20, false), "segment-fmp4", SegmentSource.Container.FMP4);
        System.out.println("pcm from segment-muxer fMP4: " + report);
        assertThat("joined pcm replies are bit-identical to the single-pass decode", report.identical(), is(true));
    }
}
