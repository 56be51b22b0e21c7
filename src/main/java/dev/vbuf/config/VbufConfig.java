package dev.vbuf.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.config.ConfigSources;
import io.helidon.config.ConfigValue;

/**
 * vbuf's typed configuration, read once at start. Layers, highest priority first: explicit overrides (tests),
 * environment variables ({@link Setting#envVar() canonical names} and their {@link Setting#aliases() aliases}, see
 * {@link EnvironmentLayer}), Java system properties ({@code -Dkey=value}), and {@code application.yaml} on the class
 * path, which holds every default.
 *
 * @param helidon  the merged Helidon config (the server reads its own {@code server.*} keys from it)
 * @param warnings what start-up should log once logging is set up ({@link #logWarnings()}): deprecated environment
 *                 variable names in use, aliases ignored because the canonical variable is also set
 */
public record VbufConfig(Config helidon,
                         String host,
                         int port,
                         Duration requestHeaderTimeout,
                         int maxConcurrent,
                         int queueCapacity,
                         Duration targetLatency,
                         int perSession,
                         int maxSegmentBytes,
                         int maxFrameBytes,
                         int receiveBufferBytes,
                         long memoryBudgetBytes,
                         Duration sessionTimeout,
                         Optional<Path> ffmpegPath,
                         Optional<String> ffmpegRequiredVersion,
                         Duration ffmpegTimeout,
                         int ffmpegMaxOutputBytes,
                         Duration shutdownGrace,
                         Optional<Secret> secretKey,
                         String authAudience,
                         Set<String> allowedOrigins,
                         int maxSessions,
                         double sessionSegmentsPerSecond,
                         int sessionSegmentBurst,
                         Optional<Path> playerDemoDir,
                         String logFormat,
                         String logLevel,
                         List<String> warnings) {
    private static final Logger LOG = Logger.getLogger(VbufConfig.class.getName());

    public VbufConfig {
        allowedOrigins = Set.copyOf(allowedOrigins);
        warnings = List.copyOf(warnings);
    }

    /** Loads the configuration the way the server does at start. */
    public static VbufConfig load() {
        return load(System.getenv(), Map.of());
    }

    /**
     * Loads configuration from the given environment and explicit overrides (overrides win; tests use them).
     *
     * @param env       environment variables; only the canonical names and aliases of {@link Setting} are read
     * @param overrides key/value pairs by {@link Setting#key()}
     */
    public static VbufConfig load(Map<String, String> env, Map<String, String> overrides) {
        EnvironmentLayer fromEnv = EnvironmentLayer.read(env);
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(List.of(ConfigSources.create(overrides),
                                 ConfigSources.create(fromEnv.values()),
                                 ConfigSources.systemProperties(),
                                 ConfigSources.classpath(Setting.DEFAULTS_RESOURCE)))
                .build();
        return new Reader(config, fromEnv).read();
    }

    /** Logs each of {@link #warnings()} once, as a WARNING. */
    public void logWarnings() {
        warnings.forEach(LOG::warning);
    }

    /** Typed reads of one merged config; every failure names the key and the environment variable. */
    private record Reader(Config c, EnvironmentLayer env) {

        VbufConfig read() {
            int maxConcurrent = integer(Setting.MAX_CONCURRENT, 0);
            String logFormat = string(Setting.LOG_FORMAT).toLowerCase(Locale.ROOT);
            if (!logFormat.equals("text") && !logFormat.equals("json")) {
                throw invalid(Setting.LOG_FORMAT, logFormat, "expected text or json");
            }
            return new VbufConfig(c,
                                  string(Setting.HOST),
                                  integer(Setting.PORT, 0),
                                  millis(Setting.REQUEST_HEADER_TIMEOUT_MS, 1),
                                  maxConcurrent == 0 ? Runtime.getRuntime().availableProcessors() : maxConcurrent,
                                  integer(Setting.QUEUE_CAPACITY, 0),
                                  millis(Setting.TARGET_LATENCY_MS, 1),
                                  integer(Setting.PER_SESSION, 1),
                                  integer(Setting.MAX_SEGMENT_BYTES, 1),
                                  integer(Setting.MAX_FRAME_BYTES, 1024),
                                  integer(Setting.RECEIVE_BUFFER_BYTES, 0),
                                  memoryBudget(),
                                  Duration.ofMillis(Math.round(positiveNumber(Setting.SESSION_TIMEOUT_MINUTES) * 60_000)),
                                  optional(Setting.FFMPEG_PATH).map(Path::of),
                                  optional(Setting.FFMPEG_REQUIRED_VERSION),
                                  millis(Setting.FFMPEG_TIMEOUT_MS, 1),
                                  integer(Setting.FFMPEG_MAX_OUTPUT_BYTES, 1),
                                  millis(Setting.SHUTDOWN_GRACE_MS, 0),
                                  secret(Setting.SECRET_KEY),
                                  string(Setting.AUTH_AUDIENCE),
                                  origins(Setting.ALLOWED_ORIGINS),
                                  integer(Setting.MAX_SESSIONS, 1),
                                  positiveNumber(Setting.SESSION_RATE),
                                  integer(Setting.SESSION_BURST, 1),
                                  optional(Setting.PLAYER_DEMO_DIR).map(Path::of),
                                  logFormat,
                                  string(Setting.LOG_LEVEL).toUpperCase(Locale.ROOT),
                                  env.warnings());
        }

        private Config node(Setting s) {
            Config node = c.get(s.key());
            if (!node.exists()) {
                throw new IllegalStateException("No value for configuration " + s.key() + ": " + Setting.DEFAULTS_RESOURCE
                                                + " on the class path should hold every default");
            }
            return node;
        }

        String string(Setting s) {
            return node(s).asString().get().strip();
        }

        Optional<String> optional(Setting s) {
            return Optional.of(string(s)).filter(v -> !v.isEmpty());
        }

        /** A typed value; a value the type cannot be read from fails with the key, the variable and the value. */
        private <T> T typed(Setting s, Function<Config, ConfigValue<T>> as, String why) {
            try {
                return as.apply(node(s)).get();
            } catch (ConfigException e) {
                throw invalid(s, string(s), why);
            }
        }

        int integer(Setting s, int min) {
            int v = typed(s, Config::asInt, "not an integer");
            if (v < min) {
                throw invalid(s, string(s), "must be >= " + min);
            }
            return v;
        }

        /** The segment memory budget; 0 means a quarter of the maximum heap. */
        long memoryBudget() {
            long v = typed(Setting.MEMORY_BUDGET_BYTES, Config::asLong, "not an integer");
            if (v < 0) {
                throw invalid(Setting.MEMORY_BUDGET_BYTES, string(Setting.MEMORY_BUDGET_BYTES), "must be >= 0");
            }
            return v == 0 ? Runtime.getRuntime().maxMemory() / 4 : v;
        }

        Duration millis(Setting s, int min) {
            return Duration.ofMillis(integer(s, min));
        }

        double positiveNumber(Setting s) {
            double v = typed(s, Config::asDouble, "not a number");
            if (!(v > 0) || Double.isInfinite(v)) {
                throw invalid(s, string(s), "must be a number > 0");
            }
            return v;
        }

        /** A secret setting: never echoed, in errors or in {@code toString()}. */
        Optional<Secret> secret(Setting s) {
            Optional<String> v = optional(s);
            if (v.isPresent() && v.get().getBytes(StandardCharsets.UTF_8).length < Secret.MIN_BYTES) {
                throw new IllegalArgumentException("Invalid configuration " + s.key() + " (" + where(s) + "): shorter"
                                                   + " than " + Secret.MIN_BYTES + " bytes (HS256 needs a 256-bit key)");
            }
            return v.map(Secret::new);
        }

        Set<String> origins(Setting s) {
            Set<String> origins = new LinkedHashSet<>();
            for (String o : string(s).split(",")) {
                String origin = o.strip();
                if (origin.isEmpty()) {
                    continue;
                }
                if (!origin.matches("https?://[^/\\s]+")) {
                    throw invalid(s, origin, "an origin is scheme://host[:port], without a path");
                }
                origins.add(origin);
            }
            return origins;
        }

        /** The environment variable to name: the one that set the value, else the canonical one. */
        private String where(Setting s) {
            String source = env.source(s);
            if (source == null || source.equals(s.envVar())) {
                return "env " + s.envVar();
            }
            return "env " + source + ", an alias of " + s.envVar();
        }

        private IllegalArgumentException invalid(Setting s, String value, String why) {
            return new IllegalArgumentException("Invalid configuration " + s.key() + " (" + where(s) + ") = '" + value
                                                + "': " + why);
        }
    }
}
