package dev.vbuf.config;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.vbuf.config.Setting.Alias;

/**
 * The environment variables vbuf reads, as configuration keys: for every {@link Setting}, its canonical variable
 * ({@link Setting#envVar()}) and then its {@link Setting#aliases() aliases}. The canonical variable wins over an alias;
 * a deprecated alias that is used, a deprecated alias that is ignored because the canonical variable is also set, and a
 * supported alias ignored with a different value, leave one warning each. Blank values count as not set. Nothing else in the environment is read.
 *
 * <p>Helidon's own environment source is not used: its rule (lower-case, {@code _} → {@code .}, {@code _dash_} →
 * {@code -}) reaches a dashed key such as {@code admission.max-concurrent} only as
 * {@code ADMISSION_MAX_dash_CONCURRENT}, has no aliases, and would make every variable of the process a key.
 */
final class EnvironmentLayer {
    private final Map<String, String> values = new HashMap<>();
    private final Map<Setting, String> sources = new EnumMap<>(Setting.class);
    private final List<String> warnings = new ArrayList<>();

    private EnvironmentLayer() {
    }

    static EnvironmentLayer read(Map<String, String> env) {
        EnvironmentLayer layer = new EnvironmentLayer();
        for (Setting s : Setting.values()) {
            layer.read(env, s);
        }
        return layer;
    }

    private void read(Map<String, String> env, Setting s) {
        String chosen = value(env, s.envVar()) == null ? null : s.envVar();
        for (Alias alias : s.aliases()) {
            if (value(env, alias.name()) == null) {
                continue;
            }
            boolean deprecated = alias.status() == Alias.Status.DEPRECATED;
            if (chosen != null) {
                if (!deprecated && value(env, alias.name()).equals(value(env, chosen))) {
                    continue; // e.g. PORT, which a platform sets, agreeing with VBUF_SERVER_PORT: nothing to say
                }
                warnings.add("Environment variable " + alias.name() + " is ignored: " + chosen + " is also set and"
                             + " takes precedence" + (deprecated ? "; " + alias.name() + " is deprecated, remove it"
                                                                  : "; set only one of them"));
            } else {
                chosen = alias.name();
                if (deprecated) {
                    warnings.add("Environment variable " + alias.name() + " is deprecated: rename it to "
                                 + s.envVar() + " (" + s.key() + "); its value is used until then");
                }
            }
        }
        if (chosen != null) {
            values.put(s.key(), value(env, chosen));
            sources.put(s, chosen);
        }
    }

    private static String value(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isBlank() ? null : v.strip();
    }

    /** Key → value, for a Helidon map source. */
    Map<String, String> values() {
        return values;
    }

    /** Which variable set a setting, if one did. */
    String source(Setting s) {
        return sources.get(s);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }
}
