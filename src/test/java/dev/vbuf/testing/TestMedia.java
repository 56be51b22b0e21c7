package dev.vbuf.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.vbuf.process.ProcessRunner;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;

/**
 * Test segments, generated with the tool FFmpeg from lavfi sources (no media files in the repository), once per JVM and
 * cached in a temporary directory.
 */
public final class TestMedia {
    private static final Map<String, byte[]> CACHE = new ConcurrentHashMap<>();
    private static final Path DIR;
    /** The segment FFmpeg: what the server runs, and what makes the single-pass references its answers are held to. */
    public static final FfmpegBinary FFMPEG = FfmpegBinary.locate(java.util.Optional.empty(), java.util.Optional.empty());
    /** The tool FFmpeg (with ffprobe and H.264): what makes the test media and probes files. */
    public static final FfmpegBinary TOOL = FfmpegBinary.tool();

    static {
        try {
            DIR = Files.createTempDirectory("vbuf-test-media");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var files = Files.walk(DIR)) {
                    files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (IOException ignored) {
                    // best effort
                }
            }));
        } catch (IOException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TestMedia() {
    }

    /** The kinds of segment the tests use. */
    public enum Kind {
        /** MPEG-TS, H.264 + stereo AAC 48 kHz: a typical HLS segment. */
        TS_AAC("ts", List.of("-c:v", "libopenh264", "-g", "30", "-c:a", "aac", "-b:a", "128k", "-f", "mpegts")),
        /** Fragmented MP4 (init + media in one), H.264 + AAC: a CMAF/HLS-fMP4 segment with its init segment. */
        FMP4_AAC("mp4", List.of("-c:v", "libopenh264", "-g", "30", "-c:a", "aac", "-b:a", "128k", "-f", "mp4",
                                "-movflags", "frag_keyframe+empty_moov+default_base_moof")),
        /** WebM, VP8 + Opus. */
        WEBM_OPUS("webm", List.of("-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-c:a", "libopus",
                                  "-f", "webm")),
        /** Matroska, H.264 + AAC. */
        MKV_AAC("mkv", List.of("-c:v", "libopenh264", "-c:a", "aac", "-f", "matroska")),
        /** MPEG-TS with MPEG-1 Layer II audio (not AAC: vbuf must encode, not copy). */
        TS_MP2("ts", List.of("-c:v", "libopenh264", "-c:a", "mp2", "-f", "mpegts")),
        /** MPEG-TS with video only. */
        TS_VIDEO_ONLY("ts", List.of("-c:v", "libopenh264", "-an", "-f", "mpegts")),
        /** MPEG-TS with AAC audio and no video: cheap to make long (for slow-to-process segments). */
        TS_AUDIO_ONLY("ts", List.of("-map", "1:a", "-c:a", "aac", "-f", "mpegts")),
        /** MPEG-TS with 5.1(side) AC-3 and no video: broadcast surround, a layout Opus cannot take as it is. */
        TS_AC3_SURROUND("ts", List.of("-map", "1:a", "-af", "aformat=channel_layouts=5.1(side)", "-ac", "6",
                                      "-c:a", "ac3", "-f", "mpegts")),
        /** Non-fragmented MP4 with the moov box first (fast start), H.264 + AAC. */
        MP4_FASTSTART("mp4", List.of("-c:v", "libopenh264", "-c:a", "aac", "-f", "mp4", "-movflags", "+faststart")),
        /** Non-fragmented MP4 with the moov box at the end (unreadable from a pipe). */
        MP4_MOOV_AT_END("mp4", List.of("-c:v", "libopenh264", "-c:a", "aac", "-f", "mp4"));

        final String extension;
        final List<String> args;

        Kind(String extension, List<String> args) {
            this.extension = extension;
            this.args = args;
        }
    }

    /**
     * A long MPEG-TS input for boundary measurements: small H.264 (a keyframe every 2 s) and stereo AAC 48 kHz
     * carrying two rising chirps (not a pure tone, so a sample out of place shows). {@code pns}: whether the AAC
     * encoder may use perceptual noise substitution (FFmpeg's default), whose decoded noise depends on the decoder's
     * history.
     */
    public static Path chirp(double seconds, boolean pns) {
        return chirp(seconds, List.of("-c:a", "aac", "-b:a", "128k", "-aac_pns", pns ? "1" : "0"));
    }

    /** The same chirp with its audio coded by {@code audioArgs} (e.g. MP3 with libmp3lame, AC-3). */
    public static Path chirp(double seconds, List<String> audioArgs) {
        Path p = DIR.resolve("chirp-" + seconds + "-" + String.join("_", audioArgs) + ".ts");
        if (!Files.exists(p)) {
            List<String> cmd = new ArrayList<>(List.of(TOOL.executable().toString(), "-hide_banner", "-nostdin",
                    "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=30",
                    "-f", "lavfi", "-i", FfmpegCommand.CHIRP,
                    "-t", String.valueOf(seconds), "-c:v", "libopenh264", "-g", "60"));
            cmd.addAll(audioArgs);
            cmd.addAll(List.of("-f", "mpegts", "-y", p.toString()));
            try {
                ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(Duration.ofMinutes(2)).run();
                if (!r.succeeded()) {
                    throw new IllegalStateException("could not generate the chirp: " + r.stderrTail());
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return p;
    }

    /** A segment of the given kind and length; 640x360 unless {@code hd}. */
    public static byte[] segment(Kind kind, double seconds) {
        return segment(kind, seconds, false);
    }

    public static byte[] segment(Kind kind, double seconds, boolean hd) {
        return CACHE.computeIfAbsent(kind + "-" + seconds + "-" + hd, k -> generate(kind, seconds, hd));
    }

    /** Writes a segment to a file (for ffprobe or the benchmark). */
    public static Path file(Kind kind, double seconds, boolean hd) {
        Path p = DIR.resolve(kind + "-" + seconds + "-" + hd + "." + kind.extension);
        if (!Files.exists(p)) {
            try {
                Files.write(p, segment(kind, seconds, hd));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return p;
    }

    private static byte[] generate(Kind kind, double seconds, boolean hd) {
        String size = hd ? "1280x720" : "640x360";
        List<String> cmd = new ArrayList<>(List.of(
                TOOL.executable().toString(), "-hide_banner", "-nostdin", "-loglevel", "error",
                "-f", "lavfi", "-i", "testsrc2=size=" + size + ":rate=30",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", String.valueOf(seconds), "-ac", "2"));
        cmd.addAll(kind.args);
        Path out = DIR.resolve("gen-" + kind + "-" + seconds + "-" + hd + "." + kind.extension);
        cmd.add("-y");
        cmd.add(out.toString());
        try {
            ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(Duration.ofMinutes(2)).run();
            if (!r.succeeded()) {
                throw new IllegalStateException("could not generate " + kind + " (exit " + r.exitCode() + ", "
                                                + r.stop() + "): " + r.stderrTail());
            }
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
