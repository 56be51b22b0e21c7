package dev.vbuf.api;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.vbuf.client.BoundaryCheck;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.client.SegmentSource;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
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
        List<SegmentSource.Segment> segments = SegmentSource.of(List.of(input), 6, SegmentSource.Container.TS,
                                                                Files.createDirectories(work.resolve(dir)),
                                                                TestMedia.FFMPEG);
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

    static byte[] ffmpeg(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TestMedia.FFMPEG.executable().toString(), "-hide_banner",
                                                   "-nostdin", "-loglevel", "error"));
        cmd.addAll(args);
        ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(Duration.ofMinutes(2)).maxStdoutBytes(1 << 28).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        return r.stdout();
    }

    @Test
    void pcmFromPnsCodedAacIsWithinOneLsb() throws Exception {
        Path input = TestMedia.chirp(20, true);
        ByteArrayOutputStream pcm = new ByteArrayOutputStream();
        List<Long> boundaries = new ArrayList<>();
        for (SegmentClient.Reply r : stream(input, "pcm", "pns")) {
            pcm.writeBytes(r.audio());
            boundaries.add((long) pcm.size() / 2);
        }
        boundaries.remove(boundaries.size() - 1);
        short[] ref = BoundaryCheck.decode(TestMedia.FFMPEG, input, List.of("-f", "mpegts"), 16_000, 1);
        BoundaryCheck.Report report = BoundaryCheck.compare(BoundaryCheckAccess.samples(pcm.toByteArray()), ref, 1,
                                                            16_000, boundaries);
        System.out.println("pcm from PNS-coded AAC: " + report);
        assertThat(report.lengthDiff(), is(0L));
        assertThat(report.worstOffset(), is(0));
        assertThat(report.worstBoundaryError(), lessThanOrEqualTo(1));
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
        assertThat(Arrays.equals(adts.toByteArray(), single), is(true));
    }

    @Test
    void webmTrimmedAsDocumentedIsPlacedToTheSampleWithBoundaryErrorsAtTheEncodersOwnLevel() throws Exception {
        Path input = TestMedia.chirp(20, false);
        List<SegmentClient.Reply> replies = stream(input, "webm", "webm");
        ByteArrayOutputStream assembled = new ByteArrayOutputStream();
        List<Long> boundaries = new ArrayList<>();
        int i = 0;
        for (SegmentClient.Reply r : replies) {
            Path part = work.resolve("part-" + i++ + ".webm");
            Files.write(part, r.audio());
            short[] s = BoundaryCheck.decode(TestMedia.FFMPEG, part, List.of(), 48_000, 2);
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
        short[] lossless = BoundaryCheck.decode(TestMedia.FFMPEG, input, List.of("-f", "mpegts"), 48_000, 2);
        Path single = work.resolve("single.webm");
        ffmpeg(List.of("-f", "mpegts", "-i", input.toString(), "-map", "0:a:0", "-c:a", "libopus", "-b:a", "64k",
                       "-ar", "48000", "-f", "webm", "-y", single.toString()));
        short[] singlePass = BoundaryCheck.decode(TestMedia.FFMPEG, single, List.of(), 48_000, 2);
        BoundaryCheck.Report ours = BoundaryCheck.compare(BoundaryCheckAccess.samples(assembled.toByteArray()),
                                                          lossless, 2, 48_000, boundaries);
        BoundaryCheck.Report reference = BoundaryCheck.compare(singlePass, lossless, 2, 48_000, boundaries);
        System.out.println("webm per segment vs the source: " + ours);
        System.out.println("webm single pass vs the source: " + reference);
        assertThat(ours.lengthDiff(), is(0L));
        assertThat(ours.worstOffset(), lessThanOrEqualTo(1));
        for (int b = 0; b < boundaries.size(); b++) {
            // the chirp rises, so Opus's own error grows along it: compare with single-pass Opus at the same place
            assertThat("boundary " + b, (double) ours.boundaries().get(b).maxError(),
                       lessThanOrEqualTo(1.25 * reference.boundaries().get(b).maxError()));
        }
    }
}
