package dev.vbuf.perf;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.ffmpeg.FfmpegBinary;

/**
 * Drives a server that is already running (any vbuf version speaking protocol v1): one session sends a generated
 * 6-s 720p segment N times, one outstanding, as 64 KiB frames either as fast as the socket takes them or paced as a
 * player's upload (20 Mbit/s), and prints the client's latency from the last byte sent to the audio received.
 * perf/before-after.sh runs it against two builds, reading each server's CPU from /proc around it.
 */
public final class Drive {
    private Drive() {
    }

    public static void run(FfmpegBinary ffmpeg, int port, int segments, int warmUp, boolean paced, PrintStream out)
            throws Exception {
        byte[] segment = SegmentBench.makeSegment(6, "1280x720", true);
        try (SegmentClient c = SegmentClient.connect(port, "format=aac")) {
            for (int i = 0; i < warmUp; i++) { // the server's JIT compiles its path first
                SegmentBench.warmUp(c, segment, paced);
                expectResult(c.reply(Duration.ofSeconds(60)));
            }
            out.println("warmed-up");
            out.flush();
            System.in.read(); // the caller reads the server's CPU now, then says go
            List<Long> ms = new ArrayList<>();
            for (int i = 0; i < segments; i++) {
                if (paced) {
                    c.sendPaced(segment, SegmentBench.PACED_FRAME_BYTES, SegmentBench.PACED_BITS_PER_SECOND);
                } else {
                    c.send(segment);
                }
                long sent = System.nanoTime();
                expectResult(c.reply(Duration.ofSeconds(60)));
                ms.add((System.nanoTime() - sent) / 1_000_000);
            }
            Collections.sort(ms);
            out.printf(Locale.ROOT, "segments=%d p50=%d p95=%d%n", ms.size(), ms.get(ms.size() / 2),
                       ms.get((int) Math.ceil(0.95 * ms.size()) - 1));
        }
    }

    private static void expectResult(SegmentClient.Reply r) {
        if (!"result".equals(r.type())) {
            throw new IllegalStateException("the server answered " + r.json());
        }
    }
}
