package dev.vbuf.contract.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import dev.vbuf.api.SessionPolicy;
import dev.vbuf.config.Setting;

import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.Container;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.lessThan;

/**
 * A session must end on vbuf's terms (goaway, its answers, 1001) before the platform cuts its request at
 * {@code timeoutSeconds} (a close without a close frame: 1006 to the client). So in every manifest the session's
 * maximum age as the app runs it (the manifest's value, else the default; its per-session jitter only shortens it),
 * plus the time to answer what the session holds and close, stays below the revision's {@code timeoutSeconds}.
 */
class SessionAgeContractTest {
    /**
     * From the goaway to the end of the close handshake, besides the slowest segment the session may hold (FFmpeg's
     * deadline): the linger for segments in flight (0.5 s), queueing within the latency budget (1 s) and the close
     * handshake (3 s), rounded up.
     */
    private static final Duration TO_CLOSE_BESIDES_FFMPEG = Duration.ofSeconds(5);

    @ParameterizedTest
    @ValueSource(strings = {"cloudrun/service.yaml", "k8s/base/service.yaml", "gke", "dev"})
    void theMaximumAgeAndTheCloseFitInTheRequestTimeout(String where) throws Exception {
        Service s = where.endsWith(".yaml")
                ? ManifestContractTest.typed(ManifestContractTest.documents(Files.readString(Path.of(where))).get(0),
                                             where)
                : ManifestContractTest.knative(where);
        Container c = ManifestContractTest.app(s);
        Duration maxAge = Duration.ofSeconds(Long.parseLong(ManifestContractTest.effective(
                c, Setting.SESSION_MAX_AGE_SECONDS)));
        Duration ffmpeg = Duration.ofMillis(Long.parseLong(ManifestContractTest.effective(c,
                                                                                         Setting.FFMPEG_TIMEOUT_MS)));
        Duration timeout = Duration.ofSeconds(s.getSpec().getTemplate().getSpec().getTimeoutSeconds());
        assertThat(where + ": sessions have a maximum age (the platform ends requests)", maxAge.toSeconds(),
                   greaterThan(0L));
        Duration toClose = ffmpeg.plus(TO_CLOSE_BESIDES_FFMPEG);
        assertThat(where + ": maximum age " + maxAge.toSeconds() + " s + the close (" + toClose.toSeconds()
                   + " s) within timeoutSeconds " + timeout.toSeconds(), maxAge.plus(toClose).toSeconds(),
                   lessThan(timeout.toSeconds()));
        // a fleet spreads its reconnects over the last tenth of the age: well clear of the timeout too
        assertThat(where + ": the earliest age is not trivially short", (long) (maxAge.toSeconds()
                                                                                 * (1 - SessionPolicy.MAX_AGE_JITTER)),
                   greaterThan(timeout.toSeconds() / 2));
    }
}
