package dev.vbuf.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import dev.vbuf.config.Setting.Alias;
import dev.vbuf.testing.ReadmeTables;
import dev.vbuf.testing.ServerProcess;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Configuration: one naming rule for environment variables plus the aliases {@link Setting} lists; defaults only in
 * {@code application.yaml}; docs/operations.md's tables generated from (and checked against) both; typed reads with messages that
 * name the key and the variable. Defaults are taken from {@code application.yaml} and aliases from {@link Setting},
 * never restated here; {@link TypedSettings} says where each setting lands in {@link VbufConfig}.
 */
class ConfigTest {
    private static final Path OPERATIONS = Path.of("docs/operations.md");

    private static String readmeDefault(Setting s) {
        return s.defaultValue().isEmpty() ? "(empty)" : s.defaultValue();
    }

    /** A docs table cell as {@link ReadmeTables} reads it: code spans unwrapped. */
    private static String plain(String markdown) {
        return markdown.replace("`", "");
    }

    private static String code(String s) {
        return s.equals("(empty)") ? s : "`" + s + "`";
    }

    /** The configuration table (docs/operations.md) as it should be (printed when it is not). */
    static String configurationTable() {
        StringBuilder md = new StringBuilder("| key | environment variable | default | meaning |\n|---|---|---|---|\n");
        for (Setting s : Setting.values()) {
            md.append("| ").append(code(s.key())).append(" | ").append(code(s.envVar())).append(" | ")
                    .append(code(readmeDefault(s))).append(" | ").append(s.meaning()).append(" |\n");
        }
        return md.toString();
    }

    static String aliasTable() {
        StringBuilder md = new StringBuilder("| alias | canonical variable | status |\n|---|---|---|\n");
        for (Setting s : Setting.values()) {
            for (Alias a : s.aliases()) {
                md.append("| ").append(code(a.name())).append(" | ").append(code(s.envVar())).append(" | ")
                        .append(a.status() == Alias.Status.SUPPORTED ? "supported" : "deprecated: warns at start")
                        .append(" |\n");
            }
        }
        return md.toString();
    }

    /** A table of docs/operations.md; if it has no such table, the failure shows the one it should have. */
    private static List<List<String>> table(String expected, String... header) throws Exception {
        try {
            return ReadmeTables.table(OPERATIONS, header);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; docs/operations.md \"Configuration\" should hold:\n" + expected, e);
        }
    }

    @Test
    void readmeConfigurationTableIsGeneratedFromTheSettingsAndTheYaml() throws Exception {
        List<List<String>> rows = table(configurationTable(), "key", "environment variable", "default", "meaning");
        List<List<String>> expected = Arrays.stream(Setting.values())
                .map(s -> List.of(s.key(), s.envVar(), readmeDefault(s), plain(s.meaning())))
                .toList();
        assertThat("docs/operations.md \"Configuration\" should hold this table:\n" + configurationTable(), rows, is(expected));
    }

    @Test
    void readmeAliasTableListsEveryAliasOnce() throws Exception {
        List<List<String>> rows = table(aliasTable(), "alias", "canonical variable", "status");
        List<List<String>> expected = new ArrayList<>();
        for (Setting s : Setting.values()) {
            for (Alias a : s.aliases()) {
                expected.add(List.of(a.name(), s.envVar(), a.status() == Alias.Status.SUPPORTED
                                                           ? "supported" : "deprecated: warns at start"));
            }
        }
        assertThat("docs/operations.md \"Configuration\" should hold this alias table:\n" + aliasTable(), rows, is(expected));
    }

    @Test
    void securityLimitsTableNamesCanonicalVariablesWithTheirDefaults() throws Exception {
        List<List<String>> rows = ReadmeTables.table(OPERATIONS, "limit", "environment variable", "default", "when exceeded");
        assertThat("rows of the security limits table", rows, hasSize(greaterThan(10)));
        for (List<String> row : rows) {
            String[] vars = row.get(1).split(",\\s*");
            String[] defaults = row.get(2).split(",\\s*");
            assertThat(row.toString(), defaults.length, is(vars.length));
            for (int i = 0; i < vars.length; i++) {
                Setting s = Setting.byEnvVar(vars[i])
                        .orElseThrow(() -> new AssertionError("not a canonical setting variable: " + row));
                assertThat(row.toString(), defaults[i], is(readmeDefault(s)));
            }
        }
    }

    @Test
    void applicationYamlHoldsEveryKeyAndNothingElse() {
        Config yaml = Config.just(ConfigSources.classpath(Setting.DEFAULTS_RESOURCE));
        Set<String> leaves = new TreeSet<>();
        yaml.traverse().filter(n -> n.type() == Config.Type.VALUE).forEach(n -> leaves.add(n.key().toString()));
        Set<String> keys = Arrays.stream(Setting.values()).map(Setting::key).collect(Collectors.toCollection(TreeSet::new));
        assertThat("keys in application.yaml", leaves, is(keys));
    }

    @Test
    void vbufConfigHoldsOneRecordPerYamlSection() {
        Config yaml = Config.just(ConfigSources.classpath(Setting.DEFAULTS_RESOURCE));
        Set<String> sections = yaml.asNodeList().get().stream().map(Config::name)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> records = Arrays.stream(VbufConfig.class.getRecordComponents())
                .filter(c -> c.getType().isRecord())
                .map(java.lang.reflect.RecordComponent::getName)
                .collect(Collectors.toCollection(TreeSet::new));
        assertThat("VbufConfig's section records, named as application.yaml's sections", records, is(sections));
    }

    @Test
    void oneNamingRuleAndNoTwoNamesCollide() {
        Map<String, String> owner = new HashMap<>();
        for (Setting s : Setting.values()) {
            String rule = "VBUF_" + s.key().toUpperCase(java.util.Locale.ROOT).replaceAll("[.-]", "_");
            assertThat(s.envVar(), is(rule));
            assertThat(s + ": canonical variable " + s.envVar() + " is also " + owner.get(s.envVar()),
                       owner.put(s.envVar(), s.key()), is((String) null));
        }
        for (Setting s : Setting.values()) {
            for (Alias a : s.aliases()) {
                assertThat("alias " + a.name() + " of " + s.key() + " is already " + owner.get(a.name()),
                           owner.put(a.name(), s.key()), is((String) null));
                assertThat(Setting.byAnyEnvName(a.name()), is(Optional.of(s)));
                assertThat("an alias is not canonical", Setting.byEnvVar(a.name()), is(Optional.empty()));
            }
            assertThat(Setting.byAnyEnvName(s.envVar()), is(Optional.of(s)));
            assertThat(Setting.byKey(s.key()), is(Optional.of(s)));
        }
    }

    @Test
    void everySettingIsInTheTypedTableAndItsSampleIsNotItsDefault() {
        for (Setting s : Setting.values()) {
            assertThat(s.key() + ": the sample must differ from the default to show the variable is read",
                       TypedSettings.asRead(s, TypedSettings.sample(s)),
                       not(TypedSettings.asRead(s, s.defaultValue())));
        }
    }

    @Test
    void theDefaultsAreApplicationYamlsValuesReadByType() {
        VbufConfig c = VbufConfig.load(Map.of(), Map.of());
        for (Setting s : Setting.values()) {
            assertThat(s.key() + " with nothing set: application.yaml's '" + s.defaultValue() + "'",
                       TypedSettings.value(s, c), is(TypedSettings.asRead(s, s.defaultValue())));
        }
        assertThat("no variable set, nothing to warn about", c.warnings(), empty());
    }

    @Test
    void zeroMeansTheMachinesShareForTheProcessesAndTheSegmentMemory() {
        VbufConfig c = VbufConfig.load(Map.of(), Map.of(Setting.MAX_CONCURRENT.key(), "0",
                                                        Setting.MEMORY_BUDGET_BYTES.key(), "0"));
        assertThat("admission.max-concurrent 0 = the number of CPUs", c.admission().maxConcurrent(),
                   is(Runtime.getRuntime().availableProcessors()));
        assertThat("segments.memory-budget-bytes 0 = a quarter of the maximum heap", c.segments().memoryBudgetBytes(),
                   is(Runtime.getRuntime().maxMemory() / 4));
    }

    @Test
    void everyCanonicalVariableSetsItsKey() {
        Map<String, String> env = new HashMap<>();
        for (Setting s : Setting.values()) {
            env.put(s.envVar(), TypedSettings.sample(s));
        }
        VbufConfig c = VbufConfig.load(env, Map.of());
        for (Setting s : Setting.values()) {
            assertThat(s.envVar() + "=" + TypedSettings.sample(s) + " sets " + s.key(), TypedSettings.value(s, c),
                       is(TypedSettings.asRead(s, TypedSettings.sample(s))));
        }
        assertThat("canonical variables are used without comment", c.warnings(), empty());
    }

    /**
     * Every alias {@link Setting} lists sets its key; a supported one without comment, a deprecated one with one
     * warning naming the variable to rename it to.
     */
    @Test
    void everyAliasSetsItsKeyAndOnlyDeprecatedOnesWarnOnceEach() {
        Map<String, String> env = new HashMap<>();
        List<Setting> aliased = new ArrayList<>();
        for (Setting s : Setting.values()) {
            for (Alias a : s.aliases()) {
                env.put(a.name(), TypedSettings.sample(s));
                aliased.add(s);
            }
        }
        assertThat("the settings with an alias", aliased, not(empty()));
        VbufConfig c = VbufConfig.load(env, Map.of());
        int deprecated = 0;
        for (Setting s : aliased) {
            for (Alias a : s.aliases()) {
                assertThat(a.name() + "=" + TypedSettings.sample(s) + " sets " + s.key(), TypedSettings.value(s, c),
                           is(TypedSettings.asRead(s, TypedSettings.sample(s))));
                List<String> about = c.warnings().stream().filter(w -> w.contains(a.name() + " ")).toList();
                if (a.status() == Alias.Status.SUPPORTED) {
                    assertThat("supported alias " + a.name() + " is used without comment", about, empty());
                } else {
                    deprecated++;
                    assertThat("warnings about deprecated " + a.name(), about, contains(
                            "Environment variable " + a.name() + " is deprecated: rename it to " + s.envVar() + " ("
                            + s.key() + "); its value is used until then"));
                }
            }
        }
        assertThat("one warning per deprecated alias: " + c.warnings(), c.warnings(), hasSize(deprecated));
    }

    @Test
    void theCanonicalNameWinsOverEveryAlias() {
        int checked = 0;
        for (Setting s : Setting.values()) {
            if (s.defaultValue().isEmpty()) {
                continue; // the alias below is set to the default, which would not count as set
            }
            for (Alias a : s.aliases()) {
                VbufConfig c = VbufConfig.load(Map.of(s.envVar(), TypedSettings.sample(s), a.name(), s.defaultValue()),
                                               Map.of());
                assertThat(s.envVar() + " beside " + a.name(), TypedSettings.value(s, c),
                           is(TypedSettings.asRead(s, TypedSettings.sample(s))));
                assertThat("warnings with " + s.envVar() + " and " + a.name() + " both set", c.warnings(),
                           contains(startsWith("Environment variable " + a.name() + " is ignored: " + s.envVar()
                                               + " is also set and takes precedence")));
                checked++;
            }
        }
        assertThat("aliases checked", checked, greaterThan(0));
    }

    @Test
    void theCanonicalNameWinsOverAnAliasAndSaysSo() {
        VbufConfig c = VbufConfig.load(Map.of("VBUF_ADMISSION_MAX_CONCURRENT", "2",
                                              "DUBBING_MAX_CONCURRENT_SESSIONS", "8",
                                              "VBUF_LIMITS_MAX_SESSIONS", "40",
                                              "VBUF_MAX_SESSIONS", "40"),
                                       Map.of());
        assertThat("VBUF_ADMISSION_MAX_CONCURRENT's value", c.admission().maxConcurrent(), is(2));
        assertThat("VBUF_LIMITS_MAX_SESSIONS's value", c.limits().maxSessions(), is(40));
        assertThat(c.warnings(), contains(
                "Environment variable DUBBING_MAX_CONCURRENT_SESSIONS is ignored: VBUF_ADMISSION_MAX_CONCURRENT is also"
                + " set and takes precedence; set only one of them",
                "Environment variable VBUF_MAX_SESSIONS is ignored: VBUF_LIMITS_MAX_SESSIONS is also set and takes"
                + " precedence; VBUF_MAX_SESSIONS is deprecated, remove it"));
        // a platform's PORT agreeing with the canonical variable is not worth a warning
        assertThat("warnings when PORT agrees with VBUF_SERVER_PORT",
                   VbufConfig.load(Map.of("PORT", "8081", "VBUF_SERVER_PORT", "8081"), Map.of()).warnings(), empty());
    }

    @Test
    void blankVariablesCountAsNotSetAndOtherVariablesAreNotRead() {
        VbufConfig c = VbufConfig.load(Map.of("VBUF_ADMISSION_QUEUE_CAPACITY", "  ",
                                              "ADMISSION_QUEUE_CAPACITY", "1",
                                              "SERVER_PORT", "1",
                                              "admission.queue-capacity", "1"),
                                       Map.of());
        assertThat("queue capacity: the default", c.admission().queueCapacity(),
                   is(TypedSettings.asRead(Setting.QUEUE_CAPACITY, Setting.QUEUE_CAPACITY.defaultValue())));
        assertThat("port: the default", c.server().port(),
                   is(TypedSettings.asRead(Setting.PORT, Setting.PORT.defaultValue())));
    }

    @Test
    void environmentBeatsSystemPropertiesWhichBeatTheYaml() {
        String key = Setting.SESSION_BURST.key();
        System.setProperty(key, "17");
        try {
            assertThat("-D" + key + "=17 over the yaml",
                       VbufConfig.load(Map.of(), Map.of()).limits().sessionSegmentBurst(), is(17));
            assertThat(Setting.SESSION_BURST.envVar() + "=19 over -D" + key + "=17",
                       VbufConfig.load(Map.of(Setting.SESSION_BURST.envVar(), "19"), Map.of())
                               .limits().sessionSegmentBurst(),
                       is(19));
        } finally {
            System.clearProperty(key);
        }
    }

    @Test
    void badValuesFailWithTheKeyAndTheVariableInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("DUBBING_MAX_CONCURRENT_SESSIONS", "many"), Map.of()));
        assertThat(e.getMessage(), is("Invalid configuration admission.max-concurrent (env"
                                      + " DUBBING_MAX_CONCURRENT_SESSIONS, an alias of VBUF_ADMISSION_MAX_CONCURRENT)"
                                      + " = 'many': not an integer"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("VBUF_ADMISSION_QUEUE_CAPACITY", "-1"), Map.of()));
        assertThat(e.getMessage(), is("Invalid configuration admission.queue-capacity (env"
                                      + " VBUF_ADMISSION_QUEUE_CAPACITY) = '-1': must be >= 0"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of(), Map.of(Setting.TARGET_LATENCY_MS.key(), "1.5")));
        assertThat(e.getMessage(), is("Invalid configuration admission.target-latency-ms (env"
                                      + " VBUF_ADMISSION_TARGET_LATENCY_MS) = '1.5': not an integer"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("LOG_FORMAT", "xml"), Map.of()));
        assertThat(e.getMessage(), containsString("text or json"));
        assertThat(e.getMessage(), containsString("env LOG_FORMAT, an alias of VBUF_LOG_FORMAT"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("DUBBING_SESSION_TIMEOUT_MINUTES", "0"), Map.of()));
        assertThat(e.getMessage(), containsString("DUBBING_SESSION_TIMEOUT_MINUTES"));
        assertThat(e.getMessage(), containsString("must be a number > 0"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("VBUF_LIMITS_SESSION_SEGMENTS_PER_SECOND", "fast"), Map.of()));
        assertThat(e.getMessage(), containsString("limits.session-segments-per-second"));
        assertThat(e.getMessage(), containsString("not a number"));
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("VBUF_AUTH_ALLOWED_ORIGINS", "https://a.example/path"), Map.of()));
        assertThat(e.getMessage(), containsString("VBUF_AUTH_ALLOWED_ORIGINS"));
        String shortSecret = "short-and-secret";
        e = assertThrows(IllegalArgumentException.class,
                () -> VbufConfig.load(Map.of("VBUF_AUTH_SECRET_KEY", shortSecret), Map.of()));
        assertThat(e.getMessage(), containsString("VBUF_AUTH_SECRET_KEY"));
        assertThat("a secret is never echoed", e.getMessage(), not(containsString(shortSecret)));
    }

    /** What a user upgrading sees: the old names keep working and the start log says, once each, what to rename. */
    @Test
    void aServerStartedWithDeprecatedNamesUsesThemAndWarnsOnceAtStart() throws Exception {
        Map<String, String> env = Map.of("VBUF_QUEUE_CAPACITY", "7",
                                         "LOG_FORMAT", "json",
                                         "DUBBING_TARGET_LATENCY_MS", "777");
        try (ServerProcess server = ServerProcess.start(env)) {
            server.awaitReady(Duration.ofSeconds(60));
            String log = server.log();
            assertThat(log, containsString("queue 7, budget 777 ms"));
            List<String> warnings = log.lines().filter(l -> l.contains("\"WARNING\"") && l.contains("Environment"))
                    .toList();
            assertThat(log, warnings, hasSize(2));
            assertThat(warnings.get(0), startsWith("{"));
            assertThat(String.join("\n", warnings), containsString("rename it to VBUF_ADMISSION_QUEUE_CAPACITY"));
            assertThat(String.join("\n", warnings), containsString("rename it to VBUF_LOG_FORMAT"));
        }
    }
}
