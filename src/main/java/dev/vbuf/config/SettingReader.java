package dev.vbuf.config;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import io.helidon.config.Config;
import io.helidon.config.ConfigException;
import io.helidon.config.ConfigValue;

/**
 * Typed reads of one merged config, used by each section's record; every failure names the key and the environment
 * variable that set it.
 */
final class SettingReader {
    private final Config config;
    private final EnvironmentLayer env;

    SettingReader(Config config, EnvironmentLayer env) {
        this.config = config;
        this.env = env;
    }

    private Config node(Setting s) {
        Config node = config.get(s.key());
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

    long longInteger(Setting s, long min) {
        long v = typed(s, Config::asLong, "not an integer");
        if (v < min) {
            throw invalid(s, string(s), "must be >= " + min);
        }
        return v;
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

    IllegalArgumentException invalid(Setting s, String value, String why) {
        return new IllegalArgumentException("Invalid configuration " + s.key() + " (" + where(s) + ") = '" + value
                                            + "': " + why);
    }
}
