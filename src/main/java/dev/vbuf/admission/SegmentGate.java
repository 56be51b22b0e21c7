package dev.vbuf.admission;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.core.ErrorCode;
import dev.vbuf.core.SegmentException;

/**
 * Admission control: a global cap on concurrent FFmpeg processes (a fair semaphore, so waiting segments start in FIFO
 * order) and a bounded wait queue. A segment is admitted only if it can start in time to finish within the latency
 * budget, judged from a moving average of how long a permit is held; otherwise it is refused at once with
 * {@link ErrorCode#OVERLOADED} and a retry-after that says when the queue should have drained enough. Fail fast rather
 * than slow everyone down.
 * <p>
 * Each sample of the average is capped at {@value #SPIKE_FACTOR} times the current average. One pathological segment
 * that runs into FFmpeg's deadline therefore cannot make the gate refuse ordinary traffic, while a real shift in the
 * workload is still followed within a few segments (the average can grow by 60 % per segment).
 */
public final class SegmentGate {
    private static final long MIN_RETRY_AFTER_MS = 50;
    /** retryAfterMs for segments refused because the server is shutting down. */
    public static final long SHUTDOWN_RETRY_AFTER_MS = 1000;
    private static final double EWMA_WEIGHT = 0.2;
    /** A permit held longer than this many times the average counts as this many times the average. */
    static final int SPIKE_FACTOR = 4;

    private final int maxConcurrent;
    private final int queueCapacity;
    private final Semaphore permits;
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger running = new AtomicInteger();
    /** Moving average of permit hold time, nanoseconds. */
    private final AtomicLong serviceNanos;
    private volatile boolean draining;

    public SegmentGate(int maxConcurrent, int queueCapacity, Duration initialServiceTime) {
        if (maxConcurrent < 1 || queueCapacity < 0) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1 and queueCapacity >= 0");
        }
        this.maxConcurrent = maxConcurrent;
        this.queueCapacity = queueCapacity;
        this.permits = new Semaphore(maxConcurrent, true);
        this.serviceNanos = new AtomicLong(Math.max(1, initialServiceTime.toNanos()));
    }

    /** A held permit; closing it returns the permit. */
    public final class Permit implements AutoCloseable {
        private final long acquiredNanos = System.nanoTime();
        private final long queuedNanos;
        private boolean closed;

        private Permit(long queuedNanos) {
            this.queuedNanos = queuedNanos;
        }

        /** Time from the segment's arrival until this permit was granted. */
        public Duration queued() {
            return Duration.ofNanos(queuedNanos);
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            long held = System.nanoTime() - acquiredNanos;
            serviceNanos.getAndUpdate(old -> Math.max(1, (long) (old * (1 - EWMA_WEIGHT)
                                                                  + Math.min(held, SPIKE_FACTOR * old) * EWMA_WEIGHT)));
            running.decrementAndGet();
            permits.release();
        }
    }

    /**
     * Waits (in FIFO order) for a permit, or refuses at once.
     *
     * @param arrivalNanos {@link System#nanoTime()} when the segment's last byte arrived
     * @param budget       the latency budget, from arrival to reply
     * @throws SegmentException     {@link ErrorCode#OVERLOADED} with a retry-after
     * @throws InterruptedException the segment's session went away while it waited
     */
    public Permit admit(long arrivalNanos, Duration budget) throws SegmentException, InterruptedException {
        if (draining) {
            throw new SegmentException(ErrorCode.OVERLOADED,
                                       "server is shutting down; reconnect and send the segment again",
                                       SHUTDOWN_RETRY_AFTER_MS);
        }
        // Fair even with a zero timeout: never overtakes segments already waiting.
        if (permits.tryAcquire(0, TimeUnit.NANOSECONDS)) {
            return granted(arrivalNanos);
        }
        long service = serviceNanos.get();
        int position = queued.incrementAndGet();
        try {
            long expectedWait = waitNanos(position, service);
            if (position > queueCapacity) {
                throw overloaded("wait queue is full (" + queueCapacity + " segments waiting)", expectedWait);
            }
            long now = System.nanoTime();
            long latestStart = arrivalNanos + budget.toNanos() - service;
            if (now + expectedWait > latestStart) {
                throw overloaded("cannot start within the " + budget.toMillis() + " ms latency budget (all "
                                 + maxConcurrent + " workers busy, " + (position - 1) + " segments ahead, ~"
                                 + service / 1_000_000 + " ms each)", expectedWait);
            }
            if (permits.tryAcquire(latestStart - now, TimeUnit.NANOSECONDS)) {
                return granted(arrivalNanos);
            }
            throw overloaded("waited for a worker until the " + budget.toMillis()
                             + " ms latency budget could no longer be met",
                             waitNanos(queued.get(), serviceNanos.get()));
        } finally {
            queued.decrementAndGet();
        }
    }

    private Permit granted(long arrivalNanos) {
        running.incrementAndGet();
        return new Permit(Math.max(0, System.nanoTime() - arrivalNanos));
    }

    /** Expected wait of the segment at the given queue position: whole rounds of all workers ahead of it. */
    private long waitNanos(int position, long service) {
        long rounds = (Math.max(1, position) + maxConcurrent - 1) / maxConcurrent;
        return rounds * service;
    }

    private static SegmentException overloaded(String why, long retryAfterNanos) {
        long ms = Math.max(MIN_RETRY_AFTER_MS, TimeUnit.NANOSECONDS.toMillis(retryAfterNanos));
        return new SegmentException(ErrorCode.OVERLOADED, "overloaded: " + why, ms);
    }

    /** From now on every new segment is refused (SIGTERM). */
    public void beginDrain() {
        draining = true;
    }

    public boolean draining() {
        return draining;
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Segments holding a permit (their FFmpeg process is running). */
    public int running() {
        return running.get();
    }

    /** Segments waiting for a permit. */
    public int queued() {
        return queued.get();
    }

    /** Current moving average of permit hold time. */
    public Duration serviceTime() {
        return Duration.ofNanos(serviceNanos.get());
    }
}
