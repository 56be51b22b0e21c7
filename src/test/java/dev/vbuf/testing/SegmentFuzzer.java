package dev.vbuf.testing;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded generator of hostile segments: mutations of real generated segments (byte flips, truncations, splices,
 * repeated headers, huge declared sizes, zeroed or inserted runs) and pure noise. The same seed gives the same inputs,
 * so a failure replays with {@code -Dvbuf.fuzz.seed=S}.
 *
 * <p>Why not a coverage-guided fuzzer (Jazzer): the code under test here is FFmpeg, a separate process, plus vbuf's
 * routing of its outcome; Java coverage guidance would steer towards the inspector only. A seeded structural mutator
 * over real segments reaches FFmpeg's demuxers with almost-valid input, which is where the interesting answers are.
 */
public final class SegmentFuzzer {
    /** One generated input and how it was made (for the failure message). */
    public record Input(int index, String recipe, byte[] bytes) {
    }

    private final SplittableRandom random;
    private final List<byte[]> corpus;
    private final List<String> names;

    public SegmentFuzzer(long seed, List<String> names, List<byte[]> corpus) {
        this.random = new SplittableRandom(seed);
        this.names = List.copyOf(names);
        this.corpus = List.copyOf(corpus);
    }

    public List<Input> generate(int count) {
        List<Input> inputs = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            inputs.add(next(i));
        }
        return inputs;
    }

    private Input next(int index) {
        int pick = random.nextInt(corpus.size());
        byte[] base = corpus.get(pick);
        String from = names.get(pick);
        int kind = random.nextInt(10);
        return switch (kind) {
            case 0 -> flips(index, from, base);
            case 1 -> truncate(index, from, base);
            case 2 -> splice(index, from, base);
            case 3 -> repeatHeader(index, from, base);
            case 4 -> hugeSizes(index, from, base);
            case 5 -> zeroRun(index, from, base);
            case 6 -> insertRun(index, from, base);
            case 7 -> noise(index);
            case 8 -> flips(index, from, truncate(index, from, base).bytes());
            default -> headerOnly(index, from, base);
        };
    }

    private Input flips(int index, String from, byte[] base) {
        byte[] b = base.clone();
        int n = 1 + random.nextInt(64);
        for (int i = 0; i < n && b.length > 0; i++) {
            // bias towards the start, where the container headers are
            int at = random.nextBoolean() ? random.nextInt(Math.min(b.length, 4096)) : random.nextInt(b.length);
            b[at] ^= (byte) (1 << random.nextInt(8));
        }
        return new Input(index, n + " bit flips in " + from, b);
    }

    private Input truncate(int index, String from, byte[] base) {
        int len = random.nextInt(base.length + 1);
        return new Input(index, from + " truncated to " + len + " bytes", Arrays.copyOf(base, len));
    }

    private Input splice(int index, String from, byte[] base) {
        int other = random.nextInt(corpus.size());
        byte[] tail = corpus.get(other);
        int cut = random.nextInt(base.length + 1);
        int from2 = random.nextInt(tail.length + 1);
        byte[] b = new byte[cut + tail.length - from2];
        System.arraycopy(base, 0, b, 0, cut);
        System.arraycopy(tail, from2, b, cut, tail.length - from2);
        return new Input(index, from + "[0," + cut + ") + " + names.get(other) + "[" + from2 + ",end)", b);
    }

    private Input repeatHeader(int index, String from, byte[] base) {
        int header = Math.min(base.length, 188 * (1 + random.nextInt(8)));
        int times = 2 + random.nextInt(50);
        byte[] b = new byte[header * times + base.length];
        for (int i = 0; i < times; i++) {
            System.arraycopy(base, 0, b, i * header, header);
        }
        System.arraycopy(base, 0, b, header * times, base.length);
        return new Input(index, from + " with its first " + header + " bytes repeated " + times + " times", b);
    }

    /** Overwrites 32-bit big-endian words (MP4 box sizes, lengths) with huge values at a few places. */
    private Input hugeSizes(int index, String from, byte[] base) {
        byte[] b = base.clone();
        int n = 1 + random.nextInt(6);
        int[] values = {0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0, 1, 8};
        StringBuilder where = new StringBuilder();
        for (int i = 0; i < n && b.length >= 4; i++) {
            int at = random.nextInt(Math.min(b.length - 3, 2048));
            int v = values[random.nextInt(values.length)];
            b[at] = (byte) (v >>> 24);
            b[at + 1] = (byte) (v >>> 16);
            b[at + 2] = (byte) (v >>> 8);
            b[at + 3] = (byte) v;
            where.append(at).append('=').append(Integer.toHexString(v)).append(' ');
        }
        return new Input(index, from + " with declared sizes " + where.toString().strip(), b);
    }

    private Input zeroRun(int index, String from, byte[] base) {
        byte[] b = base.clone();
        if (b.length == 0) {
            return new Input(index, from + " (empty)", b);
        }
        int at = random.nextInt(b.length);
        int len = Math.min(b.length - at, 1 + random.nextInt(8192));
        Arrays.fill(b, at, at + len, (byte) 0);
        return new Input(index, from + " zeroed [" + at + "," + (at + len) + ")", b);
    }

    private Input insertRun(int index, String from, byte[] base) {
        int at = random.nextInt(base.length + 1);
        byte[] run = new byte[1 + random.nextInt(4096)];
        random.nextBytes(run);
        byte[] b = new byte[base.length + run.length];
        System.arraycopy(base, 0, b, 0, at);
        System.arraycopy(run, 0, b, at, run.length);
        System.arraycopy(base, at, b, at + run.length, base.length - at);
        return new Input(index, from + " with " + run.length + " random bytes inserted at " + at, b);
    }

    private Input noise(int index) {
        int len = switch (random.nextInt(4)) {
            case 0 -> random.nextInt(16);
            case 1 -> random.nextInt(1024);
            case 2 -> random.nextInt(65_536);
            default -> 188 * random.nextInt(64);
        };
        byte[] b = new byte[len];
        random.nextBytes(b);
        if (len > 0 && random.nextBoolean()) {
            for (int i = 0; i < len; i += 188) {
                b[i] = 0x47; // TS sync bytes in place: gets past the cheap checks
            }
            return new Input(index, len + " noise bytes with TS sync bytes", b);
        }
        if (len > 16 && random.nextInt(4) == 0) {
            byte[] text = "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6,\nhttp://127.0.0.1:9/x.ts\n"
                    .getBytes(StandardCharsets.US_ASCII);
            return new Input(index, "a playlist", text);
        }
        return new Input(index, len + " noise bytes", b);
    }

    private Input headerOnly(int index, String from, byte[] base) {
        int len = Math.min(base.length, 1 + random.nextInt(2048));
        return new Input(index, "the first " + len + " bytes of " + from, Arrays.copyOf(base, len));
    }
}
