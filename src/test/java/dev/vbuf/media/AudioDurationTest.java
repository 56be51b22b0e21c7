package dev.vbuf.media;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** Malformed output never throws: it is "unknown" (and the caller falls back to FFmpeg's progress). */
class AudioDurationTest {

    @Test
    void twoAdtsFramesAt48kHz() {
        byte[] frame = {(byte) 0xFF, (byte) 0xF1, 0x4C, (byte) 0x80, 0x01, 0x3F, (byte) 0xFC, 0, 0}; // 9 bytes, 1 block
        byte[] two = new byte[18];
        System.arraycopy(frame, 0, two, 0, 9);
        System.arraycopy(frame, 0, two, 9, 9);
        assertThat(AudioDuration.adtsMicros(two).getAsLong(), is(2 * 1024L * 1_000_000L / 48_000));
        assertThat("a frame cut short", AudioDuration.adtsMicros(java.util.Arrays.copyOf(two, 14)).isPresent(),
                   is(false));
    }

    @Test
    void noiseAndTruncationsAreUnknownNotExceptions() {
        Random random = new Random(20261125);
        for (int i = 0; i < 2000; i++) {
            byte[] noise = new byte[random.nextInt(64)];
            random.nextBytes(noise);
            if (i % 2 == 0 && noise.length >= 8) { // a plausible box header with a random size
                noise[4] = 'm';
                noise[5] = 'o';
                noise[6] = 'o';
                noise[7] = 'f';
            }
            AudioDuration.adtsMicros(noise);
            AudioDuration.fmp4Micros(noise);
        }
        assertThat("no fMP4 duration for no bytes", AudioDuration.fmp4Micros(new byte[0]).isPresent(), is(false));
        assertThat("no ADTS duration for bytes that are no ADTS",
                   AudioDuration.adtsMicros(new byte[]{1, 2, 3, 4, 5, 6, 7, 8}).isPresent(), is(false));
    }
}
