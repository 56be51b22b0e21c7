package dev.vbuf.ffmpeg;

import java.nio.file.Path;
import java.util.List;

import dev.vbuf.media.InputContainer;
import dev.vbuf.protocol.OutputFormat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Where the command lines on files encode what the segment path encodes, they encode it the same way. */
class FfmpegFileCommandTest {
    private static final Path IN = Path.of("in");
    private static final Path OUT = Path.of("out");

    @ParameterizedTest
    @EnumSource(value = OutputFormat.class, names = {"AAC", "FMP4", "WEBM"})
    void reEncodedRepliesGetTheSegmentPathsCodecAndBitRate(OutputFormat format) {
        List<String> segment = FfmpegCommand.extractAudio("ffmpeg", InputContainer.MPEG_TS, false, format);
        List<String> joined = FfmpegFileCommand.encodePcm("ffmpeg", 48_000, 2, IN, format, OUT);
        assertThat("the codec after -c:a in " + joined, after(joined, "-c:a"), is(after(segment, "-acodec")));
        assertThat("the bit rate after -b:a in " + joined, after(joined, "-b:a"), is(after(segment, "-b:a")));
    }

    @Test
    void theSinglePassOpusEncodeHasTheSegmentPathsBitRateAndSampleRate() {
        List<String> segment = FfmpegCommand.extractAudio("ffmpeg", InputContainer.MPEG_TS, false, OutputFormat.WEBM);
        List<String> once = FfmpegFileCommand.encodeOnce("ffmpeg", IN, true, OUT);
        assertThat("the bit rate after -b:a in " + once, after(once, "-b:a"), is(after(segment, "-b:a")));
        assertThat("the sample rate after -ar in " + once, after(once, "-ar"), is(after(segment, "-ar")));
    }

    private static String after(List<String> cmd, String option) {
        int i = cmd.indexOf(option);
        return i < 0 || i + 1 >= cmd.size() ? "(no " + option + ")" : cmd.get(i + 1);
    }
}
