package dev.vbuf.client;

import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The segments of a stream run that are due to be sent, each at its time, and the server's back-off: no segment is
 * taken before the time an {@code overloaded} or {@code rate_limited} answer asked for.
 */
final class SendQueue {
    private final DelayQueue<Job> queue = new DelayQueue<>();
    /** No segment is sent before this {@link System#nanoTime()}: the server asked us to back off until then. */
    private final AtomicLong holdUntilNanos = new AtomicLong(System.nanoTime());

    /** A segment due to be sent at {@code dueNanos}; ties go in media order, so a retried segment goes first. */
    private record Job(int index, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Job o = (Job) other;
            int c = Long.compare(dueNanos, o.dueNanos);
            return c != 0 ? c : Integer.compare(index, o.index);
        }
    }

    void add(int index, long dueNanos) {
        queue.add(new Job(index, dueNanos));
    }

    /** The index of the next segment to send, once it is due and no back-off holds. */
    int take() throws InterruptedException {
        awaitHold();
        Job job = queue.take();
        try {
            awaitHold(); // a back-off may have come in while this job was due
        } catch (InterruptedException e) {
            queue.add(job); // not sent: the next connection sends it
            throw e;
        }
        return job.index();
    }

    /** Holds all sending for {@code waitMs} from now (or longer, if an earlier back-off lasts longer). */
    void holdFor(long waitMs) {
        holdUntilNanos.accumulateAndGet(System.nanoTime() + waitMs * 1_000_000, Math::max);
    }

    /** Whether no segment is waiting to be sent (due or not). */
    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** The first segment (in media order) still to send, or -1. */
    int first() {
        return queue.stream().mapToInt(Job::index).min().orElse(-1);
    }

    private void awaitHold() throws InterruptedException {
        long left;
        while ((left = holdUntilNanos.get() - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
