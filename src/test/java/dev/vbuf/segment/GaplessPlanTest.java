package dev.vbuf.segment;

import java.util.List;
import java.util.Optional;

import dev.vbuf.core.SegmentException;
import dev.vbuf.gapless.GaplessPlan;
import dev.vbuf.gapless.GaplessPlanner;
import dev.vbuf.media.AudioTrack;
import dev.vbuf.media.SegmentParser;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.testing.SegmentFuzzer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/**
 * The v1.1 planning of untrusted segments and carries, without FFmpeg: every container and codec it reads, mutated,
 * is read and planned without an exception (or not planned at all), and a carry from another stream makes a cold
 * start that says why.
 */
class GaplessPlanTest {
    private static final List<Kind> PLANNED = List.of(Kind.TS_AAC, Kind.TS_MP2, Kind.TS_AC3_SURROUND, Kind.FMP4_AAC);

    /** The audio track the one parse of {@code s} found; empty also when the parse refused it. */
    private static Optional<AudioTrack> read(byte[] s) {
        try {
            return SegmentParser.parse(s, s.length).audio();
        } catch (SegmentException e) {
            return Optional.empty();
        }
    }

    @Test
    void everyPlannedKindIsRead() {
        List<Kind> unread = PLANNED.stream().filter(k -> {
            byte[] s = TestMedia.segment(k, 1.0);
            return read(s).isEmpty();
        }).toList();
        assertThat(unread.toString(), unread.isEmpty(), is(true));
    }

    @Test
    void hostileSegmentsAreReadAndPlannedWithoutAnException() {
        List<byte[]> corpus = PLANNED.stream().map(k -> TestMedia.segment(k, 1.0)).toList();
        List<String> carries = corpus.stream()
                .map(s -> GaplessPlanner.plan(read(s).orElseThrow(), OutputFormat.PCM, null, false)
                        .nextCarry())
                .toList();
        List<SegmentFuzzer.Input> inputs = new SegmentFuzzer(20261201L, PLANNED.stream().map(Kind::name).toList(),
                                                             corpus).generate(3000);
        int planned = 0;
        for (SegmentFuzzer.Input in : inputs) {
            Optional<AudioTrack> audio;
            try {
                audio = read(in.bytes());
            } catch (RuntimeException e) {
                throw new AssertionError("input " + in.index() + " (" + in.recipe() + "): " + e, e);
            }
            if (audio.isEmpty()) {
                continue;
            }
            planned++;
            for (OutputFormat f : OutputFormat.values()) {
                for (String carry : carries) {
                    try {
                        GaplessPlanner.plan(audio.get(), f, carry, false);
                    } catch (RuntimeException e) {
                        throw new AssertionError("input " + in.index() + " (" + in.recipe() + "), " + f + ": " + e, e);
                    }
                }
            }
        }
        assertThat("some mutated segments are still planned", planned > 0, is(true));
    }

    @Test
    void aCarryFromAnotherCodecOrTimescaleIsACold() {
        byte[] aac = TestMedia.segment(Kind.TS_AAC, 1.0);
        byte[] mp2 = TestMedia.segment(Kind.TS_MP2, 1.0);
        byte[] fmp4 = TestMedia.segment(Kind.FMP4_AAC, 1.0);
        String mp2Carry = GaplessPlanner.plan(read(mp2).orElseThrow(), OutputFormat.PCM, null, false)
                .nextCarry();
        String aacCarry = GaplessPlanner.plan(read(aac).orElseThrow(), OutputFormat.PCM, null, false)
                .nextCarry();
        GaplessPlan p = GaplessPlanner.plan(read(aac).orElseThrow(), OutputFormat.PCM, mp2Carry, false);
        assertThat(p.placement().gapless(), is("cold"));
        assertThat(p.placement().coldReason(), containsString("codec mpa differs"));
        GaplessPlan q = GaplessPlanner.plan(read(fmp4).orElseThrow(), OutputFormat.WEBM, aacCarry,
                                      false);
        assertThat(q.placement().gapless(), is("cold"));
        assertThat(q.placement().coldReason(), containsString("1/90000 s"));
        assertThat(q.preroll().length, is(0));
    }
}
