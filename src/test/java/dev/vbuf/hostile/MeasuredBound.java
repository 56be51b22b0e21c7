package dev.vbuf.hostile;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import dev.vbuf.testing.HonestSession;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * What the hostile-client tests share: one clear line per measured bound in the test output, the peak of a value
 * while an attack runs, and what an honest session beside the attack must keep (nothing lost, p95 within budget).
 */
final class MeasuredBound {
    private MeasuredBound() {
    }

    /** Prints the bound an attack was held to, as measured. */
    static void report(String attack, String measured) {
        System.out.println("[hostile] " + attack + ": " + measured);
    }

    static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    /** The honest session beside the attack lost nothing and kept its latency budget. */
    static void assertUndisturbed(HonestSession.Report r) {
        assertThat(r.toString(), r.failures(), is(empty()));
        assertThat(r.toString(), r.sent() > 0, is(true));
        assertThat(r.toString(), r.answered(), is(r.sent()));
        assertThat(r.toString(), r.p95Ms(), lessThan(HonestSession.BUDGET.toMillis()));
    }

    /** The highest value {@code source} had, sampled every 10 ms on a thread of its own until closed. */
    static final class Peak implements AutoCloseable {
        private final AtomicLong max = new AtomicLong(Long.MIN_VALUE);
        private final Thread sampler;
        private volatile boolean stop;

        Peak(LongSupplier source) {
            sampler = Thread.ofPlatform().daemon().name("peak-sampler").start(() -> {
                while (!stop) {
                    max.accumulateAndGet(source.getAsLong(), Math::max);
                    try {
                        Thread.sleep(10);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }

        long max() {
            return max.get();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            sampler.join();
        }
    }
}
