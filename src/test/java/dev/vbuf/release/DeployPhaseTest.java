package dev.vbuf.release;

import java.net.URI;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The URL a Cloud Deploy verify job tests in each phase, and a one-line error for one it cannot use. */
class DeployPhaseTest {
    static final String URLS = "https://vbuf-abc-ew.a.run.app,https://vbuf-123456.europe-west1.run.app";

    @Test
    void aCanaryPhaseAddressesTheCanaryTag() {
        for (String phase : new String[] {"canary-10", "canary-50", "canary"}) {
            assertThat(phase, DeployPhase.segmentsUrl(phase, URLS),
                       is(URI.create("wss://canary---vbuf-abc-ew.a.run.app/v1/segments")));
        }
    }

    @Test
    void theStablePhaseAndNoPhaseAddressTheServiceUrl() {
        assertThat(DeployPhase.segmentsUrl("stable", URLS), is(URI.create("wss://vbuf-abc-ew.a.run.app/v1/segments")));
        assertThat(DeployPhase.segmentsUrl(null, URLS), is(URI.create("wss://vbuf-abc-ew.a.run.app/v1/segments")));
        assertThat(DeployPhase.segmentsUrl("stable", "http://127.0.0.1:8080"),
                   is(URI.create("ws://127.0.0.1:8080/v1/segments")));
    }

    @Test
    void aCanaryPhaseTakesTheFirstCloudRunHostForItsTag() {
        assertThat(DeployPhase.segmentsUrl("canary-10", "https://media.example.com," + URLS),
                   is(URI.create("wss://canary---vbuf-abc-ew.a.run.app/v1/segments")));
    }

    @Test
    void aUrlThatCannotCarryATagIsAOneLineError() {
        var e = assertThrows(DeployPhase.UnusableUrl.class,
                             () -> DeployPhase.segmentsUrl("canary-10", "http://127.0.0.1:8080"));
        assertThat(e.getMessage(), containsString("CLOUD_DEPLOY_PHASE=canary-10 needs the revision tag 'canary'"));
        assertThat(e.getMessage(), containsString("http://127.0.0.1:8080"));
        assertThat(e.getMessage(), not(containsString("\n")));
        var tagged = assertThrows(DeployPhase.UnusableUrl.class,
                                  () -> DeployPhase.tagged(URI.create("http://127.0.0.1:8080"), "canary"));
        assertThat(tagged.getMessage(), containsString("tag URLs exist only on Cloud Run's *.run.app host names"));
    }

    @Test
    void unknownPhasesSchemesAndEmptyListsAreOneLineErrors() {
        assertThat(assertThrows(DeployPhase.UnusableUrl.class, () -> DeployPhase.segmentsUrl("prod", URLS))
                           .getMessage(), is("unknown CLOUD_DEPLOY_PHASE=prod: expected stable or canary-N"));
        assertThat(assertThrows(DeployPhase.UnusableUrl.class, () -> DeployPhase.segmentsUrl("stable", "ftp://x"))
                           .getMessage(), containsString("must start with http://, https://, ws:// or wss://"));
        assertThat(assertThrows(DeployPhase.UnusableUrl.class, () -> DeployPhase.segmentsUrl("stable", " "))
                           .getMessage(), containsString("CLOUD_RUN_SERVICE_URLS is empty"));
        assertThat(assertThrows(DeployPhase.UnusableUrl.class, () -> DeployPhase.segmentsUrl("stable", "http://a b"))
                           .getMessage(), containsString("does not parse"));
    }
}
