package dev.vbuf.server;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import dev.vbuf.core.SegmentException;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.segment.SegmentProcessor;

/**
 * The start's proof that FFmpeg works: a tiny segment made with FFmpeg, then run through every output format, as many
 * formats at once as there are FFmpeg permits (so none of them waits in the gate's queue and none can be refused by
 * the latency budget).
 */
final class SelfTest {
    /** How long the self-test may take to make its segment. */
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final FfmpegBinary ffmpeg;
    private final SegmentProcessor processor;
    private final int permits;
    private Thread thread;
    private volatile RuntimeException failure;

    private SelfTest(FfmpegBinary ffmpeg, SegmentProcessor processor, int permits) {
        this.ffmpeg = ffmpeg;
        this.processor = processor;
        this.permits = Math.max(1, permits);
    }

    /**
     * Starts the self-test on its own thread, so that its FFmpeg processes run while the JVM is still busy loading and
     * building Helidon (on 2 CPUs the two overlap well: one is FFmpeg's, the other the JVM's).
     */
    static SelfTest start(FfmpegBinary ffmpeg, SegmentProcessor processor, int maxConcurrent) {
        SelfTest test = new SelfTest(ffmpeg, processor, maxConcurrent);
        test.thread = Thread.ofVirtual().name("vbuf-self-test").start(() -> {
            try {
                test.run();
            } catch (RuntimeException e) {
                test.failure = e;
            }
        });
        return test;
    }

    /** Waits for the self-test; its failure is thrown here. */
    void await() {
        try {
            if (!thread.join(DEADLINE.multipliedBy(2))) {
                throw new IllegalStateException("the FFmpeg self-test did not finish within "
                                                + DEADLINE.multipliedBy(2).toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            throw interrupted();
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static IllegalStateException interrupted() {
        Thread.currentThread().interrupt();
        return new IllegalStateException("interrupted during the FFmpeg self-test");
    }

    private void run() {
        ProcessRunner.Result made;
        try {
            made = ProcessRunner.of(FfmpegCommand.selfTestSegment(ffmpeg.executable().toString()))
                    .deadline(DEADLINE)
                    .run();
        } catch (IOException e) {
            throw new IllegalStateException("cannot run FFmpeg for the self-test: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            throw interrupted();
        }
        if (!made.succeeded() || made.stdout().length == 0) {
            throw new IllegalStateException("FFmpeg could not generate the self-test segment (exit "
                                            + made.exitCode() + ", " + made.stop() + "): " + made.stderrTail());
        }
        byte[] segment = made.stdout();
        Semaphore free = new Semaphore(permits);
        Map<OutputFormat, String> failures = new ConcurrentHashMap<>();
        List<Thread> runs = new ArrayList<>();
        for (OutputFormat f : OutputFormat.values()) {
            runs.add(Thread.ofVirtual().name("vbuf-self-test-" + f.wireName()).start(() -> {
                free.acquireUninterruptibly();
                try {
                    processor.process(segment, f, System.nanoTime());
                } catch (SegmentException e) {
                    failures.put(f, e.code() + ": " + e.getMessage());
                } catch (InterruptedException e) {
                    failures.put(f, "interrupted");
                } catch (RuntimeException e) {
                    failures.put(f, String.valueOf(e));
                } finally {
                    free.release();
                }
            }));
        }
        for (Thread t : runs) {
            try {
                t.join();
            } catch (InterruptedException e) {
                throw interrupted();
            }
        }
        for (OutputFormat f : OutputFormat.values()) { // the first failing format, in the formats' order
            if (failures.containsKey(f)) {
                throw new IllegalStateException("FFmpeg self-test failed for format " + f + ": " + failures.get(f));
            }
        }
    }
}
