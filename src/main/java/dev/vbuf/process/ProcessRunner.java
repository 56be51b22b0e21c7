package dev.vbuf.process;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * Runs one external process to its end, the one way vbuf does it everywhere (FFmpeg for a segment, {@code -version},
 * ffprobe, the client's segmenting and joining): stdin written by one virtual thread, stdout read into a capped buffer
 * by another, stderr drained concurrently into a bounded tail, and the deadline watched by the calling thread while
 * all three run, so it fires even when the child hangs with its pipes open. The process never outlives {@link #run}:
 * on every path, interruption included, it is killed and reaped before the method returns.
 *
 * <pre>{@code
 * ProcessRunner.Result r = ProcessRunner.of(command).stdin(bytes).deadline(Duration.ofSeconds(10)).run();
 * }</pre>
 */
public final class ProcessRunner {
    /** Default share of stderr kept for error messages. */
    public static final int DEFAULT_STDERR_TAIL_CHARS = 8 * 1024;
    private static final File DEV_NULL = new File("/dev/null");
    /**
     * The pipe pumps run on virtual threads. Platform threads were measured as the alternative (perf/README.md): no
     * difference in the server's CPU per segment within the noise.
     */
    private static Thread pump(String name, Runnable r) {
        return Thread.ofVirtual().name(name).start(r);
    }

    private final List<String> command;
    private byte[] stdinInsert = new byte[0];
    private int stdinInsertAt;
    private byte[] stdin;
    private int stdinLength;
    private Duration deadline = Duration.ofMinutes(1);
    private int maxStdoutBytes = Integer.MAX_VALUE - 16;
    private int stderrTailChars = DEFAULT_STDERR_TAIL_CHARS;
    private Predicate<String> stderrConsumer = line -> false;
    private Set<Process> live;

    private ProcessRunner(List<String> command) {
        this.command = List.copyOf(command);
    }

    public static ProcessRunner of(List<String> command) {
        return new ProcessRunner(command);
    }

    /** Why a process was stopped before it ended by itself. */
    public enum Stop {
        NONE, DEADLINE, OUTPUT_CAP
    }

    /**
     * What one run produced.
     *
     * @param stdout     stdout (up to the cap)
     * @param exitCode   the exit code (for a killed process, what the OS reports)
     * @param stop       whether the runner stopped it, and why
     * @param stderrTail the last lines of stderr within the tail budget, without the lines the consumer took
     * @param wall       the process's wall time, start to reaped
     */
    public record Result(byte[] stdout, int exitCode, Stop stop, String stderrTail, Duration wall) {
        /** stdout as UTF-8 text. */
        public String stdoutText() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** True when the process ended by itself with exit status 0. */
        public boolean succeeded() {
            return stop == Stop.NONE && exitCode == 0;
        }
    }

    /** A set to track live processes in (see {@link #track}). */
    public static Set<Process> newLiveSet() {
        return ConcurrentHashMap.newKeySet();
    }

    /** Kills every process in the set (shutdown path). */
    public static void killAll(Set<Process> live) {
        for (Process p : List.copyOf(live)) {
            p.destroyForcibly();
        }
    }

    /** Bytes written to stdin, which is then closed; without it stdin is {@code /dev/null}. */
    public ProcessRunner stdin(byte[] input) {
        return stdin(input, input.length);
    }

    /**
     * Bytes written to stdin in the middle of {@link #stdin(byte[], int)}'s, after its first {@code at} (a pre-roll in
     * front of, or inside, a pooled buffer); {@code at} is clamped to the input's length.
     */
    public ProcessRunner stdinInsert(byte[] bytes, int at) {
        this.stdinInsert = Objects.requireNonNull(bytes);
        this.stdinInsertAt = Math.max(0, at);
        return this;
    }

    /** The first {@code length} bytes of {@code input} written to stdin, which is then closed. */
    public ProcessRunner stdin(byte[] input, int length) {
        this.stdin = Objects.requireNonNull(input);
        Objects.checkFromIndexSize(0, length, input.length);
        this.stdinLength = length;
        return this;
    }

    /** Past this, the process is killed and the result says {@link Stop#DEADLINE}. */
    public ProcessRunner deadline(Duration d) {
        this.deadline = d;
        return this;
    }

    /** Past this much stdout, the process is killed and the result says {@link Stop#OUTPUT_CAP}. */
    public ProcessRunner maxStdoutBytes(int max) {
        this.maxStdoutBytes = max;
        return this;
    }

    public ProcessRunner stderrTailChars(int chars) {
        this.stderrTailChars = chars;
        return this;
    }

    /**
     * Sees every stderr line as it arrives (on the draining thread); a line it returns true for is consumed and kept
     * out of the tail (e.g. FFmpeg's progress lines).
     */
    public ProcessRunner stderrLines(Predicate<String> consumer) {
        this.stderrConsumer = consumer;
        return this;
    }

    /** While it runs, the process is in this set, so its owner can kill them all (shutdown). */
    public ProcessRunner track(Set<Process> liveSet) {
        this.live = liveSet;
        return this;
    }

    /**
     * Runs the process to its end (or until the deadline or the output cap stops it).
     *
     * @throws IOException          the process could not be started
     * @throws InterruptedException the calling thread was interrupted (the process has been killed and reaped)
     */
    public Result run() throws IOException, InterruptedException {
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(command);
        if (stdin == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(DEV_NULL));
        }
        Process process = pb.start();
        if (live != null) {
            live.add(process);
        }
        AtomicReference<Stop> stop = new AtomicReference<>(Stop.NONE); // the first reason to stop wins
        try {
            Thread writer = null;
            if (stdin != null) {
                byte[] insert = stdinInsert;
                byte[] input = stdin;
                int inputLength = stdinLength;
                int at = Math.min(stdinInsertAt, inputLength);
                writer = pump("proc-stdin-" + process.pid(), () -> {
                    try (OutputStream in = process.getOutputStream()) {
                        in.write(input, 0, at);
                        in.write(insert);
                        in.write(input, at, inputLength - at);
                    } catch (IOException ignored) {
                        // the child stopped reading (it failed, or has all it needs); its exit status tells the story
                    }
                });
            }
            StderrTail drain = new StderrTail(process.getErrorStream(), stderrTailChars, stderrConsumer);
            Thread stderr = pump("proc-stderr-" + process.pid(), drain);
            CappedReader reader = new CappedReader(process, maxStdoutBytes, stop);
            Thread stdout = pump("proc-stdout-" + process.pid(), reader);

            if (!process.waitFor(deadline.toNanos(), TimeUnit.NANOSECONDS)) {
                stop.compareAndSet(Stop.NONE, Stop.DEADLINE);
                process.destroyForcibly();
                process.waitFor();
            }
            // The pipes close when the process dies (a grandchild holding them is not vbuf's pattern), so these end.
            stdout.join();
            stderr.join();
            if (writer != null) {
                writer.join();
            }
            return new Result(reader.bytes(), process.exitValue(), stop.get(), drain.tail(),
                              Duration.ofNanos(System.nanoTime() - start));
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                reapUninterruptibly(process);
            }
            if (live != null) {
                live.remove(process);
            }
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
}
