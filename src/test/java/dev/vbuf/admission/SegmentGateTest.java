package dev.vbuf.admission;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;


import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The admission rules on their own: capacity, queue bound, latency budget, FIFO order, drain. */
class SegmentGateTest {
    private static final Duration LONG_BUDGET = Duration.ofSeconds(30);

    @Test
    void admitsUpToThePermitsAtOnceAndReturnsThem() throws Exception {
        SegmentGate gate = new SegmentGate(2, 0, Duration.ofMillis(10));
        SegmentGate.Permit a = gate.admit(System.nanoTime(), LONG_BUDGET);
        SegmentGate.Permit b = gate.admit(System.nanoTime(), LONG_BUDGET);
        assertThat(gate.running(), is(2));
        SegmentGate.Refused refused = assertThrows(SegmentGate.Refused.class,
                                                   () -> gate.admit(System.nanoTime(), LONG_BUDGET));
        assertThat(refused.reason(), is(SegmentGate.Reason.QUEUE_FULL));
        assertThat(refused.getMessage(), containsString("queue is full"));
        assertThat(refused.retryAfter().toMillis(), greaterThanOrEqualTo(50L));
        a.close();
        a.close(); // closing twice returns one permit, not two
        b.close();
        assertThat(gate.running(), is(0));
        gate.admit(System.nanoTime(), LONG_BUDGET).close();
        gate.admit(System.nanoTime(), LONG_BUDGET).close();
    }

    @Test
    void refusesAtOnceWhatCannotStartWithinTheBudget() throws Exception {
        // one worker busy; a segment takes ~500 ms; a 300 ms budget cannot be met, so no waiting at all
        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(500));
        try (SegmentGate.Permit busy = gate.admit(System.nanoTime(), LONG_BUDGET)) {
            long start = System.nanoTime();
            SegmentGate.Refused e = assertThrows(SegmentGate.Refused.class,
                                                 () -> gate.admit(System.nanoTime(), Duration.ofMillis(300)));
            assertThat(e.reason(), is(SegmentGate.Reason.OVER_BUDGET));
            assertThat(e.getMessage(), containsString("latency budget"));
            assertThat(e.retryAfter().toMillis(), greaterThanOrEqualTo(500L));
            assertThat("refused without waiting", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 250,
                       is(true));
            assertThat(gate.queued(), is(0));
        }
    }

    /**
     * One segment held 200 times longer than usual (an FFmpeg run into its deadline) moves the average by at most the
     * spike cap (unclamped, it would be 41 ms, and the gate would refuse what queues behind it); a lasting change is
     * still followed.
     */
    @Test
    void oneOutlierDoesNotPoisonTheEstimateButALastingChangeIsFollowed() throws Exception {
        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(1));
        try (SegmentGate.Permit outlier = gate.admit(System.nanoTime(), LONG_BUDGET)) {
            Thread.sleep(200);
        }
        // at most 0.8 × 1 ms + 0.2 × 4 × 1 ms, however long the outlier really took
        assertThat(gate.serviceTime().toNanos(), lessThanOrEqualTo(1_600_000L));
        for (int i = 0; i < 15; i++) {
            try (SegmentGate.Permit p = gate.admit(System.nanoTime(), LONG_BUDGET)) {
                Thread.sleep(20);
            }
        }
        assertThat("follows segments that now take >= 20 ms", gate.serviceTime().toMillis(), greaterThanOrEqualTo(10L));
    }

    @Test
    void waitersStartInArrivalOrder() throws Exception {
        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(1));
        SegmentGate.Permit holder = gate.admit(System.nanoTime(), LONG_BUDGET);
        List<Integer> started = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int id = i;
            CountDownLatch queued = new CountDownLatch(1);
            Thread t = Thread.ofVirtual().start(() -> {
                queued.countDown();
                try (SegmentGate.Permit p = gate.admit(System.nanoTime(), LONG_BUDGET)) {
                    started.add(id);
                } catch (Exception e) {
                    started.add(-1);
                }
            });
            queued.await();
            // the waiter is parked in the gate's queue before the next one arrives (counted as queued is not enough:
            // it counts itself a moment before it joins the semaphore's queue)
            while (gate.queued() < i + 1 || t.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            threads.add(t);
        }
        holder.close();
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertThat(started, is(List.of(0, 1, 2, 3, 4)));
    }

    @Test
    void drainingRefusesEverythingNew() {
        SegmentGate gate = new SegmentGate(4, 10, Duration.ofMillis(1));
        gate.beginDrain();
        assertThat("only the first call begins it", gate.beginDrain(), is(false));
        SegmentGate.Refused e = assertThrows(SegmentGate.Refused.class,
                                             () -> gate.admit(System.nanoTime(), LONG_BUDGET));
        assertThat(e.reason(), is(SegmentGate.Reason.DRAINING));
        assertThat(e.getMessage(), containsString("shutting down"));
        assertThat(e.retryAfter(), is(SegmentGate.SHUTDOWN_RETRY_AFTER));
    }

    /** A segment that arrived before the drain began is still the server's to answer: it is admitted. */
    @Test
    void aSegmentThatArrivedBeforeTheDrainIsStillAdmitted() throws Exception {
        SegmentGate gate = new SegmentGate(2, 10, Duration.ofMillis(1));
        long arrivedBefore = System.nanoTime();
        Thread.sleep(2);
        gate.beginDrain();
        gate.admit(arrivedBefore, LONG_BUDGET).close();
        assertThrows(SegmentGate.Refused.class, () -> gate.admit(System.nanoTime(), LONG_BUDGET));
    }

    /** Closing waits for every held permit, asking the holders to stop each round, and lets no waiter start. */
    @Test
    void closingWaitsForEveryPermitAndLetsNoWaiterStart() throws Exception {
        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(1));
        SegmentGate.Permit held = gate.admit(System.nanoTime(), LONG_BUDGET);
        List<Object> waiterGot = new CopyOnWriteArrayList<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try (SegmentGate.Permit p = gate.admit(System.nanoTime(), LONG_BUDGET)) {
                waiterGot.add(p);
            } catch (SegmentGate.Refused r) {
                waiterGot.add(r.reason());
            } catch (InterruptedException e) {
                waiterGot.add(e);
            }
        });
        while (gate.queued() < 1) {
            Thread.onSpinWait();
        }
        List<Integer> rounds = new CopyOnWriteArrayList<>();
        boolean idle = gate.closeAndAwaitIdle(Duration.ofSeconds(5), () -> {
            rounds.add(rounds.size());
            if (rounds.size() == 3) {
                held.close(); // the holder stops on the third request
            }
        });
        waiter.join(5_000);
        assertThat("the gate became idle", idle, is(true));
        assertThat(rounds.size(), greaterThanOrEqualTo(3));
        assertThat("the waiter was refused, not started", waiterGot, is(List.of(SegmentGate.Reason.DRAINING)));
        assertThat(gate.running(), is(0));
        assertThat(gate.queued(), is(0));
    }

    @Test
    void aWaiterWhoseSessionGoesAwayLeavesTheQueue() throws Exception {
        SegmentGate gate = new SegmentGate(1, 10, Duration.ofMillis(1));
        try (SegmentGate.Permit busy = gate.admit(System.nanoTime(), LONG_BUDGET)) {
            Thread waiter = Thread.ofVirtual().start(() -> {
                try {
                    gate.admit(System.nanoTime(), LONG_BUDGET).close();
                } catch (InterruptedException expected) {
                    // the session went away
                } catch (SegmentGate.Refused e) {
                    throw new AssertionError(e);
                }
            });
            while (gate.queued() < 1) {
                Thread.onSpinWait();
            }
            waiter.interrupt();
            waiter.join(10_000);
            assertThat(gate.queued(), is(0));
            assertThat(gate.running(), is(1));
        }
        assertThat(gate.running(), is(0));
    }
}
