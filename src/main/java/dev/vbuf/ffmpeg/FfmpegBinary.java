package dev.vbuf.ffmpeg;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vbuf.process.ProcessRunner;

/**
 * An FFmpeg executable vbuf runs, and its version. There are two:
 * <ul>
 *     <li>the <em>segment</em> FFmpeg ({@link #locate}), the one the service runs for every segment: an explicit path
 *     (configured), else the static build the Maven build makes next to the jar ({@code ffmpeg/ffmpeg}, from the pinned
 *     Debian source, with only what the segment command lines use: {@code src/main/ffmpeg/}), else {@code ffmpeg} on
 *     {@code PATH};</li>
 *     <li>the <em>tool</em> FFmpeg ({@link #tool()}), for work that needs what the segment build leaves out: test media
 *     and test video with H.264, the player's generated demo, splitting and probing files ({@code ffprobe}). The
 *     general-purpose build the Maven build unpacks next to the jar ({@code ffmpeg-tool/}), else {@code ffmpeg} on
 *     {@code PATH}. Never on the segment path, and not in the container image.</li>
 * </ul>
 *
 * @param executable path to the executable
 * @param version    the version {@code -version} reports, e.g. {@code 8.0.1}
 * @param source     how it was found, for logs and health
 */
public record FfmpegBinary(Path executable, String version, String source) {
    private static final Pattern VERSION = Pattern.compile("^ffmpeg version (\\S+)", Pattern.MULTILINE);
    private static final Duration VERSION_DEADLINE = Duration.ofSeconds(30);
    /** Where the Maven build puts each, beside the jar (or {@code target/classes}). */
    static final String SEGMENT_DIR = "ffmpeg";
    static final String TOOL_DIR = "ffmpeg-tool";
    private static FfmpegBinary tool;

    /** Sibling tool (e.g. {@code ffprobe}) of the same build, if present. */
    public Optional<Path> sibling(String name) {
        Path p = executable.resolveSibling(name);
        return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
    }

    /** Finds FFmpeg as {@link #locate(Optional, String, Optional, String)} does, without configuration to name. */
    public static FfmpegBinary locate(Optional<Path> explicit, Optional<String> requiredVersion) {
        return locate(explicit, "the FFmpeg path", requiredVersion, "the required FFmpeg version");
    }

    /**
     * Finds FFmpeg and reads its version.
     *
     * @param explicit        the configured executable, if set
     * @param explicitName    how the user set it (the environment variable), for messages and health
     * @param requiredVersion the required version, if set: any other version is refused
     * @param requiredName    how the user set that
     * @throws IllegalStateException with a message that says what was tried and what to do
     */
    public static FfmpegBinary locate(Optional<Path> explicit, String explicitName, Optional<String> requiredVersion,
                                      String requiredName) {
        Path exe;
        String source;
        if (explicit.isPresent()) {
            exe = explicit.get();
            source = explicitName;
            if (!Files.isExecutable(exe)) {
                throw new IllegalStateException(explicitName + "=" + exe + " is not an executable file");
            }
        } else {
            Optional<Path> bundled = bundled();
            if (bundled.isPresent()) {
                exe = bundled.get();
                source = "bundled";
            } else {
                exe = onPath().orElseThrow(() -> new IllegalStateException(
                        "No FFmpeg found: set " + explicitName + ", build with Maven (it builds the segment FFmpeg"
                        + " into target/ffmpeg/), or install ffmpeg on PATH"));
                source = "PATH";
            }
        }
        String version = readVersion(exe);
        if (requiredVersion.isPresent() && !requiredVersion.get().equals(version)) {
            throw new IllegalStateException("FFmpeg at " + exe + " is version " + version
                                            + " but " + requiredName + "=" + requiredVersion.get());
        }
        return new FfmpegBinary(exe, version, source);
    }

    /**
     * The tool FFmpeg (see the class comment), located and its version read once per process, on first use.
     *
     * @throws IllegalStateException when there is none (as in the container image, which carries the segment FFmpeg
     *                               alone), saying what needs it and where it was looked for
     */
    public static synchronized FfmpegBinary tool() {
        if (tool == null) {
            Optional<Path> bundled = bundled(TOOL_DIR);
            Path exe = bundled.or(FfmpegBinary::onPath).orElseThrow(() -> new IllegalStateException(
                    "No tool FFmpeg (for test media, H.264 test video and the player's generated demo; the segment"
                    + " FFmpeg leaves those codecs out): build with Maven (it unpacks one into target/" + TOOL_DIR
                    + "/), or install ffmpeg on PATH"));
            tool = new FfmpegBinary(exe, readVersion(exe), bundled.isPresent() ? "bundled tool" : "PATH");
        }
        return tool;
    }

    /**
     * The tool FFmpeg that goes with {@code segment}: {@code ffmpeg-tool/ffmpeg} beside the segment FFmpeg's directory
     * (the layout the builds write, e.g. the perf tools' {@code libs/ffmpeg/} and {@code libs/ffmpeg-tool/}), else
     * {@link #tool()}.
     */
    public static FfmpegBinary tool(FfmpegBinary segment) {
        Path dir = segment.executable().toAbsolutePath().getParent();
        Path beside = dir == null ? null : dir.resolveSibling(TOOL_DIR).resolve("ffmpeg");
        if (beside != null && Files.isExecutable(beside)) {
            return new FfmpegBinary(beside, readVersion(beside), "tool beside " + segment.executable());
        }
        return tool();
    }

    /** {@code ffmpeg/ffmpeg} beside the directory the application's classes were loaded from (the jar's directory). */
    static Optional<Path> bundled() {
        return bundled(SEGMENT_DIR);
    }

    private static Optional<Path> bundled(String dir) {
        try {
            Path codeSource = Path.of(FfmpegBinary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            // target/vbuf.jar -> target/DIR/ffmpeg ; target/classes -> target/DIR/ffmpeg
            Path candidate = codeSource.getParent().resolve(dir).resolve("ffmpeg");
            return Files.isExecutable(candidate) ? Optional.of(candidate) : Optional.empty();
        } catch (URISyntaxException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<Path> onPath() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, "ffmpeg");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /**
     * Runs {@code -version} through vbuf's {@link ProcessRunner}. Not ffmpeg-cli-wrapper's {@code FFmpeg#version()}: its
     * constructor already runs {@code -version} once, and it reads the output with no deadline, so a broken binary
     * that hangs would hang the start.
     */
    private static String readVersion(Path exe) {
        try {
            ProcessRunner.Result r = ProcessRunner.of(List.of(exe.toString(), "-hide_banner", "-version"))
                    .deadline(VERSION_DEADLINE)
                    .maxStdoutBytes(64 * 1024)
                    .run();
            String text = r.stdoutText() + "\n" + r.stderrTail();
            if (r.stop() == ProcessRunner.Stop.DEADLINE) {
                throw new IllegalStateException(exe + " -version did not finish in " + VERSION_DEADLINE.toSeconds()
                                                + " s");
            }
            if (r.exitCode() != 0) {
                throw new IllegalStateException(exe + " -version failed (exit " + r.exitCode() + "): "
                                                + tail(text, 400));
            }
            Matcher m = VERSION.matcher(text);
            if (!m.find()) {
                throw new IllegalStateException(exe + " -version printed no 'ffmpeg version': " + tail(text, 400));
            }
            return m.group(1);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot run " + exe + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while running " + exe + " -version", e);
        }
    }

    private static String tail(String s, int max) {
        String t = s.strip();
        return t.length() <= max ? t : "…" + t.substring(t.length() - max);
    }
}
