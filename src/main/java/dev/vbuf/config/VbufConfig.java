package dev.vbuf.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * vbuf's typed configuration. Built from (highest priority first) the environment variables named in {@link Setting},
 * Java system properties, {@code application.yaml} on the class path, then the defaults in {@link Setting}.
 *
 * @param helidon the merged Helidon config (the server reads its own {@code server.*} keys from it)
 */
public record VbufConfig(Config helidon,
                         String host,
                         int port,
                         int maxConcurrent,
                         int queueCapacity,
                         Duration targetLatency,
                         int perSession,
                         int maxSegmentBytes,
                         int maxFrameBytes,
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
                         String logFormat,
                         String logLevel) {

    /** Loads the configuration the way the server does at start. */
    public static VbufConfig load() {
        return load(System.getenv(), Map.of());
    }

    /**
     * Loads configuration from the given environment and explicit overrides (overrides win; tests use them).
     *
     * @param env       environment variables; only those named in {@link Setting} are read
     * @param overrides key/value pairs by {@link Setting#key()}
     */
    public static VbufConfig load(Map<String, String> env, Map<String, String> overrides) {
        Map<String, String> fromEnv = new HashMap<>();
        for (Setting s : Setting.values()) {
            String v = env.get(s.envVar());
            if (v != null && !v.isBlank()) {
                fromEnv.put(s.key(), v.trim());
            }
        }
        Map<String, String> defaults = new HashMap<>();
        for (Setting s : Setting.values()) {
            defaults.put(s.key(), s.defaultValue());
        }
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(List.of(ConfigSources.create(overrides),
                                 ConfigSources.create(fromEnv),
                                 ConfigSources.systemProperties(),
                                 ConfigSources.classpath("application.yaml").optional(),
                                 ConfigSources.create(defaults)))
                .build();
        return from(config);
    }

    static VbufConfig from(Config c) {
        int cpus = Runtime.getRuntime().availableProcessors();
        int maxConcurrent = positiveInt(c, Setting.MAX_CONCURRENT, 0);
        String logFormat = string(c, Setting.LOG_FORMAT).toLowerCase(Locale.ROOT);
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw invalid(Setting.LOG_FORMAT, logFormat, "expected text or json");
        }
        double timeoutMinutes = number(c, Setting.SESSION_TIMEOUT_MINUTES);
        if (!(timeoutMinutes > 0)) {
            throw invalid(Setting.SESSION_TIMEOUT_MINUTES, String.valueOf(timeoutMinutes), "must be > 0");
        }
        return new VbufConfig(c,
                              string(c, Setting.HOST),
                              positiveInt(c, Setting.PORT, 0),
                              maxConcurrent == 0 ? cpus : maxConcurrent,
                              positiveInt(c, Setting.QUEUE_CAPACITY, 0),
                              Duration.ofMillis(positiveInt(c, Setting.TARGET_LATENCY_MS, 1)),
                              positiveInt(c, Setting.PER_SESSION, 1),
                              positiveInt(c, Setting.MAX_SEGMENT_BYTES, 1),
                              positiveInt(c, Setting.MAX_FRAME_BYTES, 1024),
                              Duration.ofMillis(Math.round(timeoutMinutes * 60_000)),
                              optional(c, Setting.FFMPEG_PATH).map(Path::of),
                              optional(c, Setting.FFMPEG_REQUIRED_VERSION),
                              Duration.ofMillis(positiveInt(c, Setting.FFMPEG_TIMEOUT_MS, 1)),
                              positiveInt(c, Setting.FFMPEG_MAX_OUTPUT_BYTES, 1),
                              Duration.ofMillis(positiveInt(c, Setting.SHUTDOWN_GRACE_MS, 0)),
                              secret(c, Setting.SECRET_KEY),
                              string(c, Setting.AUTH_AUDIENCE),
                              origins(c, Setting.ALLOWED_ORIGINS),
                              positiveInt(c, Setting.MAX_SESSIONS, 1),
                              positiveNumber(c, Setting.SESSION_RATE),
                              positiveInt(c, Setting.SESSION_BURST, 1),
                              logFormat,
                              string(c, Setting.LOG_LEVEL).toUpperCase(Locale.ROOT));
    }

    private static String string(Config c, Setting s) {
        return c.get(s.key()).asString().orElse(s.defaultValue()).trim();
    }

    private static Optional<String> optional(Config c, Setting s) {
        return c.get(s.key()).asString().map(String::trim).filter(v -> !v.isEmpty());
    }

    /** A secret setting: never echoed, in errors or in {@code toString()}. */
    private static Optional<Secret> secret(Config c, Setting s) {
        Optional<String> v = optional(c, s);
        if (v.isPresent() && v.get().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < Secret.MIN_BYTES) {
            throw new IllegalArgumentException("Invalid configuration " + s.key() + " (env " + s.envVar() + "): "
                                               + "shorter than " + Secret.MIN_BYTES + " bytes (HS256 needs a 256-bit key)");
        }
        return v.map(Secret::new);
    }

    private static Set<String> origins(Config c, Setting s) {
        Set<String> origins = new java.util.LinkedHashSet<>();
        for (String o : string(c, s).split(",")) {
            String origin = o.strip();
            if (origin.isEmpty()) {
                continue;
            }
            if (!origin.matches("https?://[^/\\s]+")) {
                throw invalid(s, origin, "an origin is scheme://host[:port], without a path");
            }
            origins.add(origin);
        }
        return Set.copyOf(origins);
    }

    private static double positiveNumber(Config c, Setting s) {
        double v = number(c, s);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw invalid(s, string(c, s), "must be a number > 0");
        }
        return v;
    }

    private static int positiveInt(Config c, Setting s, int min) {
        String raw = string(c, s);
        try {
            int v = Integer.parseInt(raw);
            if (v < min) {
                throw invalid(s, raw, "must be >= " + min);
            }
            return v;
        } catch (NumberFormatException e) {
            throw invalid(s, raw, "not an integer");
        }
    }

    private static double number(Config c, Setting s) {
        String raw = string(c, s);
        try {
            return Double.parseDouble(raw);
        } catch (NumberFormatException e) {
            throw invalid(s, raw, "not a number");
        }
    }

    private static IllegalArgumentException invalid(Setting s, String value, String why) {
        return new IllegalArgumentException("Invalid configuration " + s.key() + " (env " + s.envVar() + ") = '"
                                            + value + "': " + why);
    }
}
