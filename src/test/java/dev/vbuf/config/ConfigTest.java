package dev.vbuf.config;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import dev.vbuf.testing.ReadmeTables;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The configuration table in README.md, application.yaml and {@link Setting} say the same thing. */
class ConfigTest {

    @Test
    void readmeTableListsEverySettingWithItsEnvVarAndDefault() throws Exception {
        List<List<String>> rows = ReadmeTables.table("key", "environment variable", "default", "meaning");
        List<List<String>> expected = Arrays.stream(Setting.values())
                .map(s -> List.of(s.key(), s.envVar(), s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue()))
                .toList();
        assertThat(rows.stream().map(r -> r.subList(0, 3)).toList(), is(expected));
    }

    @Test
    void securityLimitsTableNamesRealSettingsWithTheirDefaults() throws Exception {
        List<List<String>> rows = ReadmeTables.table("limit", "environment variable", "default", "when exceeded");
        assertThat(rows.size() > 10, is(true));
        for (List<String> row : rows) {
            String[] vars = row.get(1).split(",\\s*");
            String[] defaults = row.get(2).split(",\\s*");
            for (int i = 0; i < vars.length; i++) {
                Setting s = Setting.byEnvVar(vars[i]).orElseThrow(() -> new AssertionError("not a setting: " + row));
                String expected = s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue();
                assertThat(row.toString(), defaults[i], is(expected));
            }
        }
    }

    @Test
    void applicationYamlHoldsEveryKeyWithItsDefault() {
        Config yaml = Config.just(ConfigSources.classpath("application.yaml"));
        for (Setting s : Setting.values()) {
            assertThat(s.key() + " in application.yaml", yaml.get(s.key()).asString().orElse(null),
                       is(s.defaultValue()));
        }
    }

    @Test
    void environmentVariablesOverrideTheYaml() {
        VbufConfig c = VbufConfig.load(Map.of("PORT", "9123",
                                              "DUBBING_MAX_CONCURRENT_SESSIONS", "7",
                                              "DUBBING_TARGET_LATENCY_MS", "750",
                                              "DUBBING_SESSION_TIMEOUT_MINUTES", "0.5",
                                              "VBUF_SEGMENTS_PER_SESSION", "4",
                                              "LOG_FORMAT", "json"),
                                       Map.of());
        assertThat(c.port(), is(9123));
        assertThat(c.maxConcurrent(), is(7));
        assertThat(c.targetLatency(), is(Duration.ofMillis(750)));
        assertThat(c.sessionTimeout(), is(Duration.ofSeconds(30)));
        assertThat(c.perSession(), is(4));
        assertThat(c.logFormat(), is("json"));
    }

    @Test
    void defaults() {
        VbufConfig c = VbufConfig.load(Map.of(), Map.of());
        assertThat(c.port(), is(8080));
        assertThat(c.maxConcurrent(), is(Runtime.getRuntime().availableProcessors()));
        assertThat(c.queueCapacity(), is(100));
        assertThat(c.targetLatency(), is(Duration.ofSeconds(1)));
        assertThat(c.perSession(), is(2));
        assertThat(c.maxSegmentBytes(), is(16 * 1024 * 1024));
        assertThat(c.sessionTimeout(), is(Duration.ofMinutes(60)));
        assertThat(c.ffmpegTimeout(), is(Duration.ofSeconds(10)));
        assertThat(c.shutdownGrace(), is(Duration.ofSeconds(8)));
        assertThat(c.logFormat(), is("text"));
    }

    @Test
    void badValuesFailWithTheKeyAndTheEnvVarInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("DUBBING_MAX_CONCURRENT_SESSIONS", "many"), Map.of()));
        assertThat(e.getMessage(), containsString("DUBBING_MAX_CONCURRENT_SESSIONS"));
        assertThat(e.getMessage(), containsString("admission.max-concurrent"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("LOG_FORMAT", "xml"), Map.of()));
        assertThat(e.getMessage(), containsString("text or json"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("DUBBING_SESSION_TIMEOUT_MINUTES", "0"), Map.of()));
        assertThat(e.getMessage(), containsString("DUBBING_SESSION_TIMEOUT_MINUTES"));
    }
}
