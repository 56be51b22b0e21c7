package dev.vbuf.tools;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.process.ProcessRunner;

/**
 * Measures segment boundaries: audio assembled from per-segment replies against a single-pass decode of the same
 * input, both as 16-bit samples. Per boundary: the offset (the lag, within ±{@link #MAX_LAG} samples, at which the
 * two agree best around it) and the largest sample error within ±{@link #WINDOW_MS} ms of it at lag 0; and, for
 * scale, the largest error in windows of the same size half-way between boundaries (what the codec does anyway).
 */
public final class BoundaryCheck {
    public static final int WINDOW_MS = 10;
    public static final int MAX_LAG = 48;

    private BoundaryCheck() {
    }

    /** One boundary: where (seconds from the start of the audio), the offset in samples, the largest error (LSB). */
    public record Boundary(double atSec, int offsetSamples, int maxError) {
    }

    /**
     * @param identical     the two are the same samples, end to end
     * @param lengthDiff    assembled minus reference length, in samples per channel
     * @param awayMaxError  the largest error in the windows between boundaries
     */
    public record Report(List<Boundary> boundaries, boolean identical, long lengthDiff, int awayMaxError) {
        public int worstOffset() {
            return boundaries.stream().mapToInt(b -> Math.abs(b.offsetSamples())).max().orElse(0);
        }

        public int worstBoundaryError() {
            return boundaries.stream().mapToInt(Boundary::maxError).max().orElse(0);
        }
    }

    /** Decodes any audio FFmpeg reads to interleaved s16 at {@code rate} Hz, {@code channels} channels. */
    public static short[] decode(FfmpegBinary ffmpeg, Path file, List<String> inputArgs, int rate, int channels)
            throws IOException, InterruptedException {
        return samples(decodeBytes(ffmpeg, file, inputArgs, rate, channels));
    }

    /** As {@link #decode}, the s16le bytes. */
    public static byte[] decodeBytes(FfmpegBinary ffmpeg, Path file, List<String> inputArgs, int rate, int channels)
            throws IOException, InterruptedException {
        List<String> cmd = FfmpegFileCommand.decodeS16(ffmpeg.executable().toString(), inputArgs, file, rate, channels);
        ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(Duration.ofMinutes(2)).maxStdoutBytes(1 << 30).run();
        if (!r.succeeded()) {
            throw new IOException("could not decode " + file + ": " + r.stderrTail());
        }
        return r.stdout();
    }

    public static short[] samples(byte[] s16le) {
        short[] s = new short[s16le.length / 2];
        ByteBuffer.wrap(s16le).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return s;
    }

    /**
     * @param boundaries where segments meet, in samples per channel from the start
     */
    public static Report compare(short[] out, short[] ref, int channels, int rate, List<Long> boundaries) {
        boolean identical = java.util.Arrays.equals(out, ref);
        int half = rate * WINDOW_MS / 1000;
        List<Boundary> list = new ArrayList<>();
        for (long b : boundaries) {
            list.add(new Boundary(b / (double) rate, bestLag(out, ref, channels, b, 2 * half),
                                  maxError(out, ref, channels, b - half, b + half)));
        }
        int away = 0;
        List<Long> edges = new ArrayList<>();
        edges.add(0L);
        edges.addAll(boundaries);
        edges.add((long) Math.min(out.length, ref.length) / channels);
        for (int i = 0; i + 1 < edges.size(); i++) {
            long mid = (edges.get(i) + edges.get(i + 1)) / 2;
            away = Math.max(away, maxError(out, ref, channels, mid - half, mid + half));
        }
        return new Report(List.copyOf(list), identical, (out.length - (long) ref.length) / channels, away);
    }

    private static int maxError(short[] out, short[] ref, int ch, long from, long to) {
        int max = 0;
        for (long n = Math.max(0, from); n < to; n++) {
            for (int c = 0; c < ch; c++) {
                long i = n * ch + c;
                if (i < out.length && i < ref.length) {
                    max = Math.max(max, Math.abs(out[(int) i] - ref[(int) i]));
                }
            }
        }
        return max;
    }

    private static int bestLag(short[] out, short[] ref, int ch, long at, int half) {
        int best = 0;
        double bestErr = Double.MAX_VALUE;
        for (int lag = -MAX_LAG; lag <= MAX_LAG; lag++) {
            double err = 0;
            for (long n = at - half; n < at + half; n++) {
                long o = (n + lag) * ch;
                long r = n * ch;
                if (n < 0 || o < 0 || o + ch > out.length || r + ch > ref.length) {
                    continue;
                }
                for (int c = 0; c < ch; c++) {
                    double d = out[(int) (o + c)] - ref[(int) (r + c)];
                    err += d * d;
                }
            }
            if (err < bestErr || (err == bestErr && Math.abs(lag) < Math.abs(best))) {
                bestErr = err;
                best = lag;
            }
        }
        return best;
    }
}
