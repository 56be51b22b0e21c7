package dev.vbuf.ffmpeg;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * Runs one FFmpeg process for one segment: the segment is written to stdin by one virtual thread, stdout is read into a
 * capped buffer by another, stderr is drained concurrently into a bounded tail (progress lines parsed, not kept), and a
 * deadline kills the process. The process never outlives {@link #run}: on every path, including interruption, it is
 * killed and reaped before the method returns. While it runs, the process is in the caller's {@code live} set, so the
 * owner (one server) can kill them all at shutdown.
 */
public final class FfmpegProcess {
    /** How much of stderr is kept for error messages. */
    public static final int STDERR_TAIL_CHARS = 8 * 1024;
    private static final Pattern PROGRESS_LINE = Pattern.compile("^[a-z_0-9]+=\\S*$");

    private FfmpegProcess() {
    }

    /** Why a process was stopped before it ended by itself. */
    public enum Stop {
        NONE, DEADLINE, OUTPUT_CAP
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
    public record Result(byte[] output, int exitCode, Stop stop, String stderrTail, long outTimeUs, Duration wall) {
    }

    /** A set to track live processes in: {@link #run} adds each process while it runs. */
    public static Set<Process> newLiveSet() {
        return ConcurrentHashMap.newKeySet();
    }

    /** Kills every process in the set (shutdown path). */
    public static void killAll(Set<Process> live) {
        for (Process p : List.copyOf(live)) {
            p.destroyForcibly();
        }
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
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).start();
        live.add(process);
        AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE); // the first reason to stop wins
        try {
            Thread writer = Thread.ofVirtual().name("ffmpeg-stdin-" + process.pid()).start(() -> {
                try (OutputStream stdin = process.getOutputStream()) {
                    stdin.write(input);
                } catch (IOException ignored) {
                    // FFmpeg stopped reading (it failed, or has all it needs); its exit status tells the story
                }
            });
            StderrDrain drain = new StderrDrain(process.getErrorStream());
            Thread stderr = Thread.ofVirtual().name("ffmpeg-stderr-" + process.pid()).start(drain);
            CappedReader reader = new CappedReader(process, maxOutputBytes, stop);
            Thread stdout = Thread.ofVirtual().name("ffmpeg-stdout-" + process.pid()).start(reader);

            if (!process.waitFor(deadline.toNanos(), TimeUnit.NANOSECONDS)) {
                stop.compareAndSet(Stop.NONE, Stop.DEADLINE);
                process.destroyForcibly();
                process.waitFor();
            }
            // The pipes close when the process dies, so these end promptly.
            stdout.join();
            stderr.join();
            writer.join();
            return new Result(reader.bytes(), process.exitValue(), stop.get(), drain.tail(), drain.outTimeUs(),
                              Duration.ofNanos(System.nanoTime() - start));
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                reapUninterruptibly(process);
            }
            live.remove(process);
        }
    }

    private static void reapUninterruptibly(Process process) {
        boolean interrupted = false;
        while (true) {
            try {
                process.waitFor();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reads stdout; past the cap it kills the process rather than buffering more. */
    private static final class CappedReader implements Runnable {
        private final Process process;
        private final int max;
        private final AtomicReference<Stop> stop;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);

        CappedReader(Process process, int max, AtomicReference<Stop> stop) {
            this.process = process;
            this.max = max;
            this.stop = stop;
        }

        @Override
        public void run() {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = process.getInputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (out.size() + n > max) {
                        stop.compareAndSet(Stop.NONE, Stop.OUTPUT_CAP);
                        process.destroyForcibly();
                        return;
                    }
                    out.write(buf, 0, n);
                }
            } catch (IOException ignored) {
                // the process was killed; the result says why
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** Keeps the last lines of stderr within a character budget; parses {@code out_time_us} progress lines. */
    private static final class StderrDrain implements Runnable {
        private final InputStream in;
        private final Deque<String> lines = new ArrayDeque<>();
        private int chars;
        private volatile long outTimeUs = -1;

        StderrDrain(InputStream in) {
            this.in = in;
        }

        @Override
        public void run() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    if (PROGRESS_LINE.matcher(line).matches()) {
                        if (line.startsWith("out_time_us=")) {
                            try {
                                outTimeUs = Long.parseLong(line.substring("out_time_us=".length()));
                            } catch (NumberFormatException ignored) {
                                // "N/A" before the first packet
                            }
                        }
                        continue;
                    }
                    if (line.length() > STDERR_TAIL_CHARS) {
                        line = line.substring(0, STDERR_TAIL_CHARS);
                    }
                    synchronized (lines) {
                        lines.addLast(line);
                        chars += line.length() + 1;
                        while (chars > STDERR_TAIL_CHARS && lines.size() > 1) {
                            chars -= lines.removeFirst().length() + 1;
                        }
                    }
                }
            } catch (IOException ignored) {
                // process killed
            }
        }

        String tail() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }

        long outTimeUs() {
            return outTimeUs;
        }
    }
}
