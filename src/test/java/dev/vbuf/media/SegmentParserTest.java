package dev.vbuf.media;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;

import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.core.SegmentException;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Container and codec detection on real generated segments, and refusal of what can't be a segment. */
class SegmentParserTest {

    private static ParsedSegment inspect(Kind kind) throws SegmentException {
        return SegmentParser.inspect(TestMedia.segment(kind, 1.0));
    }

    private static ParsedSegment found(InputContainer container, boolean audioIsAac) {
        return ParsedSegment.of(container, audioIsAac);
    }

    @Test
    void detectsContainersAndAac() throws Exception {
        assertThat(inspect(Kind.TS_AAC), is(found(InputContainer.MPEG_TS, true)));
        assertThat(inspect(Kind.TS_MP2), is(found(InputContainer.MPEG_TS, false)));
        assertThat(inspect(Kind.FMP4_AAC), is(found(InputContainer.MP4, true)));
        assertThat(inspect(Kind.MKV_AAC), is(found(InputContainer.MATROSKA, true)));
        assertThat(inspect(Kind.WEBM_OPUS), is(found(InputContainer.MATROSKA, false)));
        assertThat(inspect(Kind.TS_VIDEO_ONLY), is(found(InputContainer.MPEG_TS, false)));
    }

    private static String refused(byte[] data) {
        SegmentException e = assertThrows(SegmentException.class, () -> SegmentParser.inspect(data));
        assertThat(e.code(), is(ErrorCode.INVALID_MEDIA));
        return e.getMessage();
    }

    @Test
    void refusesWhatIsNotASegment() {
        assertThat(refused(new byte[0]), containsString("empty"));
        assertThat(refused("#EXTM3U\n#EXTINF:6,\na.ts\n".getBytes(StandardCharsets.UTF_8)), containsString("HLS"));
        assertThat(refused("\uFEFF#EXTM3U\n".getBytes(StandardCharsets.UTF_8)), containsString("HLS"));
        assertThat(refused("ffconcat version 1.0\nfile 'a.ts'\n".getBytes(StandardCharsets.UTF_8)),
                   containsString("concat"));
        assertThat(refused("hello, world\n".getBytes(StandardCharsets.UTF_8)), containsString("text"));
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        noise[0] = 0;
        noise[4] = 0;
        assertThat(refused(noise), containsString("unrecognised"));
    }

    @Test
    void singlePacketAndTinyTsInputsAreInspectedNotCrashedOn() throws Exception {
        byte[] ts = TestMedia.segment(Kind.TS_AAC, 1.0);
        for (int n : new int[]{1, 187, 188, 189, 376}) {
            byte[] cut = Arrays.copyOf(ts, n);
            try {
                SegmentParser.inspect(cut);
                assertThat("only whole packets pass: " + n, n % 188, is(0));
            } catch (SegmentException e) {
                assertThat(e.code(), is(ErrorCode.INVALID_MEDIA));
            }
        }
    }

    @Test
    void refusesTruncatedSegmentsOfEveryContainer() {
        for (Kind kind : new Kind[]{Kind.TS_AAC, Kind.FMP4_AAC, Kind.MKV_AAC}) {
            byte[] whole = TestMedia.segment(kind, 1.0);
            for (double fraction : new double[]{0.3, 0.77}) {
                byte[] cut = Arrays.copyOf(whole, (int) (whole.length * fraction) + 1);
                assertThat(kind + " cut at " + fraction, refused(cut), containsString("truncated"));
            }
        }
    }

    @Test
    void refusesMp4ThatCannotBeStreamed() {
        assertThat(refused(TestMedia.segment(Kind.MP4_MOOV_AT_END, 1.0)), containsString("moov"));
        // a fragmented media segment without its init segment: drop everything before the first moof
        byte[] fmp4 = TestMedia.segment(Kind.FMP4_AAC, 1.0);
        String latin = new String(fmp4, StandardCharsets.ISO_8859_1);
        int moof = latin.indexOf("moof") - 4;
        assertThat(refused(Arrays.copyOfRange(fmp4, moof, fmp4.length)), containsString("initialization segment"));
    }

    @Test
    void survivesHostileStructures() {
        // huge declared sizes, zero sizes, nested garbage: a clear refusal or an inspection, never an exception
        Random random = new Random(99);
        byte[][] seeds = {TestMedia.segment(Kind.TS_AAC, 1.0), TestMedia.segment(Kind.FMP4_AAC, 1.0),
                          TestMedia.segment(Kind.MKV_AAC, 1.0)};
        for (int i = 0; i < 3000; i++) {
            byte[] seed = seeds[i % seeds.length];
            byte[] data = Arrays.copyOf(seed, Math.min(seed.length, 4096 + random.nextInt(8192)));
            for (int flips = 1 + random.nextInt(8); flips > 0; flips--) {
                data[random.nextInt(Math.min(data.length, 2048))] = (byte) random.nextInt(256);
            }
            try {
                SegmentParser.inspect(data);
            } catch (SegmentException e) {
                assertThat(e.code(), is(ErrorCode.INVALID_MEDIA));
            }
        }
    }
}
