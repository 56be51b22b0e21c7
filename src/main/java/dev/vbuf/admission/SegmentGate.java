package dev.vbuf.admission;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Admission control: a global cap on concurrent FFmpeg processes (a fair semaphore, so waiting segments start in FIFO
 * order) and a bounded wait queue. A segment is admitted only if it can start in time to finish within the latency
 * budget, judged from a moving average of how long a permit is held; otherwise it is refused at once with a
 * {@link Refused} that says why and when to try again. Fail fast rather than slow everyone down.
 * <p>
 * The gate knows nothing of segments, protocols or error codes: a refusal is neutral, and the caller turns it into
 * whatever its clients understand.
 * <p>
 * Each sample of the average is capped at {@value #SPIKE_FACTOR} times the current average. One pathological segment
 * that runs into FFmpeg's deadline therefore cannot make the gate refuse ordinary traffic, while a real shift in the
 * workload is still followed within a few segments (the average can grow by 60 % per segment).
 * <p>
 * The gate is the one owner of three facts: how many permits are held (derived from the semaphore), how many
 * segments wait, and whether the server is draining.
 */
public final class SegmentGate {
    private static final long MIN_RETRY_AFTER_MS = 50;
    /** How long a client refused because the server is shutting down should wait before trying again. */
    public static final Duration SHUTDOWN_RETRY_AFTER = Duration.ofSeconds(1);
    private static final double EWMA_WEIGHT = 0.2;
    /** A permit held longer than this many times the average counts as this many times the average. */
    static final int SPIKE_FACTOR = 4;

    private final int maxConcurrent;
    private final int queueCapacity;
    private final Semaphore permits;
    private final AtomicInteger queued = new AtomicInteger();
    /** Moving average of permit hold time, nanoseconds. */
    private final AtomicLong serviceNanos;
    private volatile boolean draining;
    /** When the drain began ({@link System#nanoTime()}); written before {@link #draining}. */
    private volatile long drainStartedNanos;
    private volatile boolean closed;

    public SegmentGate(int maxConcurrent, int queueCapacity, Duration initialServiceTime) {
        if (maxConcurrent < 1 || queueCapacity < 0) {
            throw new IllegalArgumentException("maxConcurrent must be >= 1 and queueCapacity >= 0");
        }
        this.maxConcurrent = maxConcurrent;
        this.queueCapacity = queueCapacity;
        this.permits = new Semaphore(maxConcurrent, true);
        this.serviceNanos = new AtomicLong(Math.max(1, initialServiceTime.toNanos()));
    }

    /** Why a segment was not admitted. */
    public enum Reason {
        /** The bounded wait queue is full. */
        QUEUE_FULL,
        /** It could not start in time to meet its latency budget. */
        OVER_BUDGET,
        /** It waited until its latency budget could no longer be met. */
        WAITED_TOO_LONG,
        /** The server is draining (shutting down) and admits nothing new. */
        DRAINING
    }

    /**
     * A refusal: why, in words fit for a client ({@link #getMessage()}), and when trying again makes sense.
     */
    public static final class Refused extends Exception {
        private final Reason reason;
        private final Duration retryAfter;

        Refused(Reason reason, String detail, Duration retryAfter) {
            super(detail, null, false, false);
            this.reason = reason;
            this.retryAfter = retryAfter;
        }

        public Reason reason() {
            return reason;
        }

        public Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A held permit; closing it returns the permit. */
    public final class Permit implements AutoCloseable {
        private final long acquiredNanos = System.nanoTime();
        private final long queuedNanos;
        private boolean returned;

        private Permit(long queuedNanos) {
            this.queuedNanos = queuedNanos;
        }

        /** Time from the segment's arrival until this permit was granted. */
        public Duration queued() {
            return Duration.ofNanos(queuedNanos);
        }

        @Override
        public void close() {
            if (returned) {
                return;
            }
            returned = true;
            long held = System.nanoTime() - acquiredNanos;
            serviceNanos.getAndUpdate(old -> Math.max(1, (long) (old * (1 - EWMA_WEIGHT)
                                                                  + Math.min(held, SPIKE_FACTOR * old) * EWMA_WEIGHT)));
            permits.release();
        }
    }

    /**
     * Waits (in FIFO order) for a permit, or refuses at once.
     *
     * @param arrivalNanos {@link System#nanoTime()} when the segment's last byte arrived
     * @param budget       the latency budget, from arrival to reply
     * @throws Refused              not admitted; says why and when to retry
     * @throws InterruptedException the segment's session went away while it waited
     */
    public Permit admit(long arrivalNanos, Duration budget) throws Refused, InterruptedException {
        // a drain refuses what arrives from its start on; what arrived before it is still the server's to answer
        if (draining && arrivalNanos - drainStartedNanos >= 0) {
            throw new Refused(Reason.DRAINING, "server is shutting down", SHUTDOWN_RETRY_AFTER);
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
                throw refused(Reason.QUEUE_FULL, "wait queue is full (" + queueCapacity + " segments waiting)",
                              expectedWait);
            }
            long now = System.nanoTime();
            long latestStart = arrivalNanos + budget.toNanos() - service;
            if (now + expectedWait > latestStart) {
                throw refused(Reason.OVER_BUDGET, "cannot start within the " + budget.toMillis()
                                                  + " ms latency budget (all " + maxConcurrent + " workers busy, "
                                                  + (position - 1) + " segments ahead, ~" + service / 1_000_000
                                                  + " ms each)", expectedWait);
            }
            if (permits.tryAcquire(latestStart - now, TimeUnit.NANOSECONDS)) {
                return granted(arrivalNanos);
            }
            throw refused(Reason.WAITED_TOO_LONG, "waited for a worker until the " + budget.toMillis()
                                                  + " ms latency budget could no longer be met",
                          waitNanos(queued.get(), serviceNanos.get()));
        } finally {
            queued.decrementAndGet();
        }
    }

    private Permit granted(long arrivalNanos) throws Refused {
        if (closed) { // stopped while this segment waited: it must not start a process any more
            permits.release();
            throw new Refused(Reason.DRAINING, "server is shutting down", SHUTDOWN_RETRY_AFTER);
        }
        return new Permit(Math.max(0, System.nanoTime() - arrivalNanos));
    }

    /** Expected wait of the segment at the given queue position: whole rounds of all workers ahead of it. */
    private long waitNanos(int position, long service) {
        long rounds = (Math.max(1, position) + maxConcurrent - 1) / maxConcurrent;
        return rounds * service;
    }

    private static Refused refused(Reason reason, String why, long retryAfterNanos) {
        long ms = Math.max(MIN_RETRY_AFTER_MS, TimeUnit.NANOSECONDS.toMillis(retryAfterNanos));
        return new Refused(reason, why, Duration.ofMillis(ms));
    }

    /**
     * From now on every segment that arrives is refused (SIGTERM); segments that arrived before, waiting or not yet
     * at the gate, may still start.
     *
     * @return true for the call that began the drain, false when it had begun already
     */
    public synchronized boolean beginDrain() {
        boolean first = !draining;
        if (first) {
            drainStartedNanos = System.nanoTime();
            draining = true;
        }
        return first;
    }

    public boolean draining() {
        return draining;
    }

    /**
     * Stops admitting anything, waiting segments included, and waits until every permit has been returned, calling
     * {@code stopHolders} (which should kill what the holders are running) whenever a round of waiting ends with
     * permits still out.
     *
     * @return true when every permit came back within the timeout
     */
    public boolean closeAndAwaitIdle(Duration timeout, Runnable stopHolders) throws InterruptedException {
        beginDrain();
        closed = true;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            stopHolders.run();
            long left = deadline - System.nanoTime();
            if (permits.tryAcquire(maxConcurrent, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)),
                                   TimeUnit.NANOSECONDS)) {
                permits.release(maxConcurrent);
                return true;
            }
            if (left <= 0) {
                return false;
            }
        }
    }

    public int maxConcurrent() {
        return maxConcurrent;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    /** Segments holding a permit (their FFmpeg process is running). */
    public int running() {
        return maxConcurrent - permits.availablePermits();
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
