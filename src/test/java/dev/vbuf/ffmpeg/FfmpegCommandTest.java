package dev.vbuf.ffmpeg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.media.InputContainer;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The tuning of FFmpeg's command line leaves its output as it was. */
class FfmpegCommandTest {
    private static final String FFMPEG = TestMedia.FFMPEG.executable().toString();

    @TempDir
    Path dir;

    /**
     * {@code -flush_packets 0} changes how FFmpeg writes its output, not what: for a copy and for an encode, every
     * format's bytes are those of the command without it (WebM's header carries random UIDs, so there the packets
     * are compared).
     */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void bufferingTheOutputDoesNotChangeIt(OutputFormat format) throws Exception {
        for (Kind kind : List.of(Kind.TS_AAC, Kind.TS_MP2)) {
            byte[] segment = TestMedia.segment(kind, 4.0);
            List<String> tuned = FfmpegCommand.extractAudio(FFMPEG, InputContainer.MPEG_TS, kind == Kind.TS_AAC,
                                                            format);
            List<String> plain = new ArrayList<>(tuned);
            int at = plain.indexOf(FfmpegCommand.NO_FLUSH_PER_PACKET.getFirst());
            assertThat(tuned + " has the option", at > 0, is(true));
            assertThat(plain.subList(at, at + 2), is(FfmpegCommand.NO_FLUSH_PER_PACKET));
            plain.subList(at, at + 2).clear();

            byte[] a = run(tuned, segment);
            byte[] b = run(plain, segment);
            assertThat(kind + " " + format + " output", a.length, greaterThan(1000));
            if (format == OutputFormat.WEBM) {
                assertThat(kind + " webm packets", packets(a), is(packets(b)));
            } else {
                assertArrayEquals(b, a, kind + " " + format);
            }
        }
    }

    private static byte[] run(List<String> command, byte[] input) throws IOException, InterruptedException {
        ProcessRunner.Result r = ProcessRunner.of(command).stdin(input).deadline(Duration.ofSeconds(30)).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        return r.stdout();
    }

    /** The checksum of every packet of a WebM file, as FFmpeg's framemd5 muxer lists them. */
    private String packets(byte[] webm) throws IOException, InterruptedException {
        Path file = Files.write(Files.createTempFile(dir, "out", ".webm"), webm);
        ProcessRunner.Result r = ProcessRunner.of(List.of(TestMedia.TOOL.executable().toString(), "-v", "error", "-i",
                                                          file.toString(), "-map", "0",
                                                          "-c", "copy", "-f", "framemd5", "-"))
                .deadline(Duration.ofSeconds(30)).run();
        assertThat(r.stderrTail(), r.succeeded(), is(true));
        return r.stdoutText().lines().filter(l -> !l.startsWith("#")).reduce("", (x, y) -> x + y + "\n");
    }
}
