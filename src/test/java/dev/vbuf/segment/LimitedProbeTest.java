package dev.vbuf.segment;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

import dev.vbuf.admission.SegmentGate;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.ffmpeg.FfmpegProcess;
import dev.vbuf.media.InputContainer;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.testing.TestMedia;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.is;

/**
 * The segment command's limited stream probe ({@link FfmpegCommand#LIMITED_PROBE}) against a segment whose audio
 * first appears 4 s in, past the probe: the limited run alone finds no audio for the formats that copy it, and the
 * segment path answers it all the same, with the whole 2 s of audio, by running it again with the default probe.
 */
class LimitedProbeTest {
    private static byte[] lateAudio;

    @BeforeAll
    static void makeSegment() throws Exception {
        Path out = Files.createTempFile("vbuf-late-audio", ".ts");
        try {
            ProcessRunner.Result r = ProcessRunner.of(List.of(TestMedia.TOOL.executable().toString(), "-hide_banner",
                    "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30:duration=6",
                    "-itsoffset", "4", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                    "-map", "0:v", "-map", "1:a", "-c:v", "libopenh264", "-b:v", "2500k", "-g", "60", "-c:a", "aac",
                    "-f", "mpegts", "-y", out.toString())).deadline(Duration.ofMinutes(2)).run();
            assertThat(r.stderrTail(), r.succeeded(), is(true));
            lateAudio = Files.readAllBytes(out);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void audioStartingPastTheLimitedProbeIsAnsweredWhole(OutputFormat format) throws Exception {
        List<String> limited = FfmpegCommand.extractAudio(TestMedia.FFMPEG.executable().toString(),
                                                          InputContainer.MPEG_TS, true, format);
        FfmpegProcess.Result once = FfmpegProcess.run(limited, lateAudio, Duration.ofSeconds(30), 32 << 20,
                                                      ConcurrentHashMap.newKeySet());
        boolean copies = format == OutputFormat.AAC || format == OutputFormat.FMP4;
        assertThat("the limited probe alone loses the late audio exactly where the audio is copied",
                   FfmpegCommand.probeFoundNoAudio(limited, once.exitCode(), once.output().length, once.stderrTail()),
                   is(copies));

        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(100));
        VbufMetrics metrics = new VbufMetrics("test", new VbufMetrics.Sources(gate::running, gate::queued, () -> 0,
                                                                              () -> true, () -> 0L));
        SegmentProcessor p = new SegmentProcessor(TestMedia.FFMPEG, gate, Duration.ofSeconds(30),
                                                  Duration.ofSeconds(30), 16 << 20, 32 << 20, metrics);
        SegmentAudio audio = p.process(lateAudio, format, System.nanoTime());
        assertThat(format + ": the 2 s of audio", (double) audio.audioMs(), closeTo(2000, 60));
    }
}
