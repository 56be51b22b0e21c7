package dev.vbuf.config;

import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * vbuf's typed configuration, read once at start: one record per section of {@code application.yaml}. Layers, highest
 * priority first: explicit overrides (tests), environment variables ({@link Setting#envVar() canonical names} and
 * their {@link Setting#aliases() aliases}, see {@link EnvironmentLayer}), Java system properties ({@code -Dkey=value}),
 * and {@code application.yaml} on the class path, which holds every default.
 *
 * @param helidon  the merged Helidon config (the server reads its own {@code server.*} keys from it)
 * @param warnings what start-up should log once logging is set up ({@link #logWarnings()}): deprecated environment
 *                 variable names in use, aliases ignored because the canonical variable is also set
 */
public record VbufConfig(Config helidon,
                         ServerConfig server,
                         AdmissionConfig admission,
                         SegmentsConfig segments,
                         SessionConfig session,
                         FfmpegConfig ffmpeg,
                         ShutdownConfig shutdown,
                         AuthConfig auth,
                         LimitsConfig limits,
                         PlayerConfig player,
                         LogConfig log,
                         List<String> warnings) {
    private static final Logger LOG = Logger.getLogger(VbufConfig.class.getName());

    public VbufConfig {
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
     * @throws IllegalArgumentException a value is invalid; the message names the key and the variable (with several,
     *                                  the first in {@code application.yaml}'s order)
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
        SettingReader r = new SettingReader(config, fromEnv);
        return new VbufConfig(config,
                              ServerConfig.read(r),
                              AdmissionConfig.read(r),
                              SegmentsConfig.read(r),
                              SessionConfig.read(r),
                              FfmpegConfig.read(r),
                              ShutdownConfig.read(r),
                              AuthConfig.read(r),
                              LimitsConfig.read(r),
                              PlayerConfig.read(r),
                              LogConfig.read(r),
                              fromEnv.warnings());
    }

    /** Logs each of {@link #warnings()} once, as a WARNING. */
    public void logWarnings() {
        warnings.forEach(LOG::warning);
    }
}
