package dev.vbuf.ffmpeg;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import dev.vbuf.process.ProcessRunner;

import net.bramp.ffmpeg.progress.Progress;

/**
 * Runs one FFmpeg process for one segment on {@link ProcessRunner}: the segment on stdin, the audio from stdout (capped),
 * stderr drained into a bounded tail, a deadline that kills it. FFmpeg's {@code -progress pipe:2} key=value lines are
 * parsed by ffmpeg-cli-wrapper's {@link Progress} and kept out of the tail.
 */
public final class FfmpegProcess {
    /** How much of stderr is kept for error messages. */
    public static final int STDERR_TAIL_CHARS = ProcessRunner.DEFAULT_STDERR_TAIL_CHARS;
    private static final Pattern PROGRESS_LINE = Pattern.compile("^[a-z_0-9]+=\\S*$");

    private FfmpegProcess() {
    }

    /**
     * What one run produced.
     *
     * @param output     stdout (up to the cap)
     * @param exitCode   the exit code (for a killed process, what the OS reports)
     * @param stop       whether vbuf stopped it, and why
     * @param stderrTail the last {@link #STDERR_TAIL_CHARS} characters of stderr, progress lines removed
     * @param outTimeUs  the output duration FFmpeg reported last ({@code out_time_us}), or -1
     * @param wall       the process's wall time, start to reaped
     */
    public record Result(byte[] output, int exitCode, ProcessRunner.Stop stop, String stderrTail, long outTimeUs,
                         Duration wall) {
    }

    /**
     * Runs the command with {@code input} on stdin.
     *
     * @param live where the process is tracked while it runs
     * @throws IOException          the process could not be started
     * @throws InterruptedException the calling thread was interrupted (the process has been killed and reaped)
     */
    public static Result run(List<String> command, byte[] input, Duration deadline, int maxOutputBytes,
                             Set<Process> live) throws IOException, InterruptedException {
        return run(command, input, input.length, deadline, maxOutputBytes, live);
    }

    /** As {@link #run(List, byte[], Duration, int, Set)}, with the first {@code length} bytes of {@code input}. */
    public static Result run(List<String> command, byte[] input, int length, Duration deadline, int maxOutputBytes,
                             Set<Process> live) throws IOException, InterruptedException {
        return run(command, new byte[0], 0, input, length, deadline, maxOutputBytes, live);
    }

    /**
     * As {@link #run(List, byte[], int, Duration, int, Set)}, with {@code insert} written to stdin after the first
     * {@code at} bytes of the input (0: in front).
     */
    public static Result run(List<String> command, byte[] insert, int at, byte[] input, int length, Duration deadline,
                             int maxOutputBytes, Set<Process> live) throws IOException, InterruptedException {
        ProgressLines progress = new ProgressLines();
        ProcessRunner.Result r = ProcessRunner.of(command)
                .stdinInsert(insert, at)
                .stdin(input, length)
                .deadline(deadline)
                .maxStdoutBytes(maxOutputBytes)
                .stderrTailChars(STDERR_TAIL_CHARS)
                .stderrLines(progress::take)
                .track(live)
                .run();
        return new Result(r.stdout(), r.exitCode(), r.stop(), r.stderrTail(), progress.outTimeUs(), r.wall());
    }

    /** FFmpeg's progress block, line by line ({@link Progress#parseLine} is the wrapper's parser). */
    private static final class ProgressLines extends Progress {
        private volatile long outTimeUs = -1;

        boolean take(String line) {
            if (!PROGRESS_LINE.matcher(line).matches()) {
                return false;
            }
            // Only the keys vbuf reads: the wrapper logs a warning for every key it does not know, and FFmpeg adds keys
            // from version to version.
            if (!line.startsWith("out_time")) {
                return true;
            }
            try {
                parseLine(line);
                if (out_time_ns > 0) {
                    outTimeUs = out_time_ns / 1000;
                }
            } catch (RuntimeException ignored) {
                // a key=value line the wrapper does not know how to read ("N/A" before the first packet, ...)
            }
            return true;
        }

        long outTimeUs() {
            return outTimeUs;
        }
    }
}
