package dev.vbuf.contract.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * A session ends itself (goaway, then 1001) before the platform cuts its request: the maximum age a session can get
 * (the default, or what the manifest sets; the per-session jitter only shortens it) is below the manifest's
 * {@code timeoutSeconds}, with a margin for the replies still in flight.
 */
class SessionAgeContractTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    /** Time left between the goaway and the platform's cut, for the segments the session still answers. */
    private static final Duration MARGIN = Duration.ofMinutes(1);

    @ParameterizedTest
    @ValueSource(strings = {"cloudrun/service.yaml", "k8s/base/service.yaml"})
    void theLongestSessionEndsBeforeThePlatformsRequestTimeout(String manifest) throws Exception {
        JsonNode spec = YAML.readTree(Files.readString(Path.of(manifest))).path("spec").path("template").path("spec");
        long timeoutSeconds = spec.path("timeoutSeconds").asLong();
        assertThat(manifest + " has a timeoutSeconds", timeoutSeconds > 0, is(true));
        String set = null;
        for (JsonNode container : spec.path("containers")) {
            for (JsonNode env : container.path("env")) {
                if (Setting.SESSION_MAX_AGE_SECONDS.envVar().equals(env.path("name").asText())) {
                    set = env.path("value").asText();
                }
            }
        }
        Map<String, String> env = set == null ? Map.of() : Map.of(Setting.SESSION_MAX_AGE_SECONDS.envVar(), set);
        Duration maxAge = VbufConfig.load(env, Map.of()).session().maxAge();
        assertThat(manifest + ": the maximum session age (" + maxAge.toSeconds() + " s) plus a margin against "
                   + "timeoutSeconds", maxAge.plus(MARGIN).toSeconds(), lessThan(timeoutSeconds));
    }
}
