package dev.vbuf.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * For each {@link Setting}: where {@link VbufConfig} holds it, what a text value (from {@code application.yaml}, a
 * variable or a property) reads as, and a valid value other than the default. Defaults and aliases are not written
 * here: the tests take them from {@code application.yaml} and {@link Setting}.
 */
final class TypedSettings {
    /**
     * @param value  the setting in a loaded configuration
     * @param asRead what a text value of the setting is read as
     * @param sample a valid value that is not the default
     */
    record Typed(Function<VbufConfig, Object> value, Function<String, Object> asRead, String sample) {
    }

    private static final Map<Setting, Typed> ALL = new EnumMap<>(Setting.class);

    static {
        put(Setting.PORT, c -> c.server().port(), Integer::valueOf, "9123");
        put(Setting.HOST, c -> c.server().host(), v -> v, "127.0.0.2");
        put(Setting.REQUEST_HEADER_TIMEOUT_MS, c -> c.server().requestHeaderTimeout(), TypedSettings::millis, "2500");
        put(Setting.MAX_CONCURRENT, c -> c.admission().maxConcurrent(),
            v -> v.equals("0") ? Runtime.getRuntime().availableProcessors() : Integer.valueOf(v), "7");
        put(Setting.QUEUE_CAPACITY, c -> c.admission().queueCapacity(), Integer::valueOf, "9");
        put(Setting.TARGET_LATENCY_MS, c -> c.admission().targetLatency(), TypedSettings::millis, "750");
        put(Setting.PER_SESSION, c -> c.segments().perSession(), Integer::valueOf, "4");
        put(Setting.MAX_SEGMENT_BYTES, c -> c.segments().maxBytes(), Integer::valueOf, "1048576");
        put(Setting.MAX_FRAME_BYTES, c -> c.segments().maxFrameBytes(), Integer::valueOf, "4096");
        put(Setting.MEMORY_BUDGET_BYTES, c -> c.segments().memoryBudgetBytes(),
            v -> v.equals("0") ? Runtime.getRuntime().maxMemory() / 4 : Long.valueOf(v), "8388608");
        put(Setting.RECEIVE_BUFFER_BYTES, c -> c.segments().socketReceiveBufferBytes(), Integer::valueOf, "65536");
        put(Setting.SESSION_TIMEOUT_MINUTES, c -> c.session().timeout(),
            v -> Duration.ofMillis(Math.round(Double.parseDouble(v) * 60_000)), "0.5");
        put(Setting.SESSION_MAX_AGE_SECONDS, c -> c.session().maxAge(), v -> Duration.ofSeconds(Long.parseLong(v)),
            "600");
        put(Setting.FFMPEG_PATH, c -> c.ffmpeg().path(), v -> optional(v).map(Path::of), "/opt/ffmpeg");
        put(Setting.FFMPEG_REQUIRED_VERSION, c -> c.ffmpeg().requiredVersion(), TypedSettings::optional, "7.1");
        put(Setting.FFMPEG_TIMEOUT_MS, c -> c.ffmpeg().timeout(), TypedSettings::millis, "5000");
        put(Setting.FFMPEG_MAX_OUTPUT_BYTES, c -> c.ffmpeg().maxOutputBytes(), Integer::valueOf, "1024");
        put(Setting.SHUTDOWN_GRACE_MS, c -> c.shutdown().grace(), TypedSettings::millis, "3000");
        put(Setting.SECRET_KEY, c -> c.auth().secretKey(), v -> optional(v).map(Secret::new),
            "k".repeat(Secret.MIN_BYTES));
        put(Setting.AUTH_AUDIENCE, c -> c.auth().audience(), v -> v, "another-audience");
        put(Setting.ALLOWED_ORIGINS, c -> c.auth().allowedOrigins(), TypedSettings::origins,
            "https://a.example, https://b.example:8443");
        put(Setting.MAX_SESSIONS, c -> c.limits().maxSessions(), Integer::valueOf, "11");
        put(Setting.SESSION_RATE, c -> c.limits().sessionSegmentsPerSecond(), Double::valueOf, "0.5");
        put(Setting.SESSION_BURST, c -> c.limits().sessionSegmentBurst(), Integer::valueOf, "17");
        put(Setting.PLAYER_DEMO_DIR, c -> c.player().demoDir(), v -> optional(v).map(Path::of), "/srv/demo");
        put(Setting.LOG_FORMAT, c -> c.log().format(), v -> v.toLowerCase(Locale.ROOT), "JSON");
        put(Setting.LOG_LEVEL, c -> c.log().level(), v -> v.toUpperCase(Locale.ROOT), "debug");
    }

    private TypedSettings() {
    }

    private static void put(Setting s, Function<VbufConfig, Object> value, Function<String, Object> asRead,
                            String sample) {
        ALL.put(s, new Typed(value, asRead, sample));
    }

    /** Every setting's entry; a setting without one fails, so a new setting cannot go untested. */
    static Typed of(Setting s) {
        Typed t = ALL.get(s);
        if (t == null) {
            throw new AssertionError(s + " (" + s.key() + ") has no entry in " + TypedSettings.class.getSimpleName()
                                     + ": say where VbufConfig holds it and what its text reads as");
        }
        return t;
    }

    /** The setting in {@code c}. */
    static Object value(Setting s, VbufConfig c) {
        return of(s).value().apply(c);
    }

    /** What the text {@code v} of the setting reads as. */
    static Object asRead(Setting s, String v) {
        return of(s).asRead().apply(v);
    }

    static String sample(Setting s) {
        return of(s).sample();
    }

    private static Duration millis(String v) {
        return Duration.ofMillis(Long.parseLong(v));
    }

    private static Optional<String> optional(String v) {
        return Optional.of(v).filter(s -> !s.isEmpty());
    }

    private static Set<String> origins(String v) {
        return Arrays.stream(v.split(",")).map(String::strip).filter(s -> !s.isEmpty()).collect(Collectors.toSet());
    }
}
