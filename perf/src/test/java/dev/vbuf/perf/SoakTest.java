package dev.vbuf.perf;

import java.time.Duration;


import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;

/** The short soak: a few hundred segments, 10 % bad, over churning sessions; fails on any leaked process or descriptor. */
class SoakTest {
    @Test
    void shortSoakLeavesNoProcessDescriptorOrThreadBehind() throws Exception {
        Soak.Options options = new Soak.Options(600, 6, 25, 0.1, Duration.ofSeconds(5), 42);
        Soak.Report report = Soak.run(PerfMain.ffmpeg(), options, System.out);
        System.out.print(report.markdown());
        assertThat(report.markdown(), report.leaks(), empty());
        assertThat(report.unanswered(), is(0));
        assertThat(report.outcomes().getOrDefault("ok", 0), greaterThan(400));
        assertThat("bad segments were sent and answered as errors",
                   report.outcomes().getOrDefault("invalid_media", 0) + report.outcomes().getOrDefault("no_audio", 0),
                   greaterThan(20));
        assertThat("no reply announced one size and carried another", report.outcomes().containsKey("bad_size"),
                   is(false));
    }
}
