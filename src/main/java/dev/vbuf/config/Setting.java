package dev.vbuf.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.helidon.config.Config;
import io.helidon.config.ConfigSources;

/**
 * Every configuration key vbuf reads, defined once: its key, its meaning and the extra environment variable names
 * that also set it. The rest is derived:
 * <ul>
 *     <li>the environment variable, by one rule ({@link #envVarFor(String)}): {@code VBUF_} + the key upper-cased,
 *     with {@code .} and {@code -} turned into {@code _} ({@code admission.max-concurrent} →
 *     {@code VBUF_ADMISSION_MAX_CONCURRENT});</li>
 *     <li>the default, from {@code application.yaml} on the class path, the one place defaults are written.</li>
 * </ul>
 * docs/operations.md's configuration, alias and limits tables are checked against this enum and that file by a test.
 */
public enum Setting {
    PORT("server.port",
         "HTTP/WebSocket port (Cloud Run sets it as `PORT`).",
         Alias.supported("PORT")),
    HOST("server.host",
         "Address to bind.",
         Alias.deprecated("VBUF_HOST")),
    REQUEST_HEADER_TIMEOUT_MS("server.request-header-timeout-ms",
                              "How long a connection may take to send a complete request line and headers, counted from"
                              + " when it starts waiting for a request (its accept, or the end of its previous"
                              + " response); past it the connection is closed. Bounds half-sent requests and idle"
                              + " keep-alive connections; a request whose headers are in (a slow body, a WebSocket"
                              + " session) is not affected."),
    MAX_CONCURRENT("admission.max-concurrent",
                   "Maximum FFmpeg processes running at once (the global semaphore), not a session cap (that is"
                   + " `limits.max-sessions`). `0` = number of CPUs.",
                   Alias.supported("DUBBING_MAX_CONCURRENT_SESSIONS")),
    QUEUE_CAPACITY("admission.queue-capacity",
                   "Segments that may wait for a permit; beyond this, segments are answered `overloaded`.",
                   Alias.deprecated("VBUF_QUEUE_CAPACITY")),
    TARGET_LATENCY_MS("admission.target-latency-ms",
                      "Latency budget per segment (last byte received to reply sent). A segment that cannot start in"
                      + " time to meet it is answered `overloaded` with `retryAfterMs`.",
                      Alias.supported("DUBBING_TARGET_LATENCY_MS")),
    PER_SESSION("segments.per-session",
                "Segments of one WebSocket session in progress at once (pipelining); further segments wait unread."),
    MAX_SEGMENT_BYTES("segments.max-bytes",
                      "Largest accepted segment (16 MiB). Larger messages are read to their end, discarded and"
                      + " answered `too_large`.",
                      Alias.deprecated("VBUF_SEGMENT_MAX_BYTES")),
    MAX_FRAME_BYTES("segments.max-frame-bytes",
                    "Largest single WebSocket frame (32 MiB, twice the segment limit): a larger one closes the"
                    + " session with 1009 as soon as its header arrives, before any of its payload is read.",
                    Alias.deprecated("VBUF_WS_MAX_FRAME_BYTES")),
    MEMORY_BUDGET_BYTES("segments.memory-budget-bytes",
                        "Memory for segments in flight, WebSocket and HTTP, all together (taken as their bytes arrive,"
                        + " about twice what has arrived of each; waiting; being fed to FFmpeg; reused, never"
                        + " reallocated). When it is spent, a WebSocket segment is read, dropped and answered"
                        + " `overloaded` with `retryAfterMs`, an HTTP one refused with 503 and `Retry-After`. `0` = a"
                        + " quarter of the JVM's maximum heap."),
    RECEIVE_BUFFER_BYTES("segments.socket-receive-buffer-bytes",
                         "Kernel receive buffer of each connection (SO_RCVBUF; the kernel caps it at"
                         + " `net.core.rmem_max`). A fixed buffer of a few hundred KiB lets a client stream a segment"
                         + " without waiting for window updates, which cut the server's own CPU per 2 MB segment by"
                         + " two thirds in the benchmark (perf/README.md). `0` = the kernel's autotuning."),
    SESSION_TIMEOUT_MINUTES("session.timeout-minutes",
                            "A WebSocket session with no message for this long (and nothing in progress) is closed"
                            + " with 1001 (v1.1: after a `goaway`). Decimals allowed (`0.5` = 30 s). Pings and pongs"
                            + " are not messages: a paused player is closed, and reconnects when it resumes. In"
                            + " minutes, as before, so `DUBBING_SESSION_TIMEOUT_MINUTES` and deployments keep"
                            + " working.",
                            Alias.supported("DUBBING_SESSION_TIMEOUT_MINUTES")),
    SESSION_MAX_AGE_SECONDS("session.max-age-seconds",
                            "The longest a WebSocket session lives, kept below the platform's request timeout"
                            + " (Cloud Run's `timeoutSeconds`): v1.1 gets a `goaway`, then every accepted segment is"
                            + " answered and the session closes with 1001. Each session draws its own limit from up to"
                            + " 10 % below this, so a fleet does not reconnect at once. `0` = no limit."),
    SESSION_PING_INTERVAL_SECONDS("session.ping-interval-seconds",
                                  "How often the server pings each session. Any frame from the client counts as a"
                                  + " sign of life; a client that sends none for twice this long is dropped (a peer"
                                  + " gone behind a NAT, a silent connection). `0` = no pings."),
    SESSION_SEND_STALL_SECONDS("session.send-stall-seconds",
                               "How long one write to a client (a reply, a pong, a ping, the close frame) may take;"
                               + " past it the client counts as not reading, the connection is dropped and its"
                               + " segments' FFmpeg processes are killed."),
    SESSION_YIELD_IDLE_SECONDS("session.yield-idle-seconds",
                               "At `limits.max-sessions`, an upgrade takes the slot of the longest-idle session"
                               + " (idle at least this long, nothing in progress), which is closed with 1001 (v1.1:"
                               + " after a `goaway`). `0` = never: upgrades at the cap get 503."),
    FFMPEG_PATH("ffmpeg.path",
                "The segment FFmpeg: the executable run for every segment. Empty: the static build the Maven build"
                + " makes from the pinned Debian source, next to the jar (`ffmpeg/ffmpeg`), else `ffmpeg` on `PATH`.",
                Alias.deprecated("FFMPEG_PATH")),
    FFMPEG_REQUIRED_VERSION("ffmpeg.required-version",
                            "If set, the start fails unless `ffmpeg -version` reports exactly this version.",
                            Alias.deprecated("FFMPEG_REQUIRED_VERSION")),
    FFMPEG_TIMEOUT_MS("ffmpeg.timeout-ms",
                      "Deadline for one FFmpeg process; past it the process is killed and the segment answered"
                      + " `timeout`."),
    FFMPEG_MAX_OUTPUT_BYTES("ffmpeg.max-output-bytes",
                            "Largest output accepted from one FFmpeg process (32 MiB); past it the process is killed"
                            + " and the segment answered `too_large`."),
    SHUTDOWN_GRACE_MS("shutdown.grace-ms",
                      "On SIGTERM, how long segments in progress may take to finish before sessions are closed"
                      + " (Cloud Run kills 10 s after SIGTERM)."),
    SECRET_KEY("auth.secret-key",
               "HS256 key that signs access tokens (JWT), at least 32 bytes; set from a secret store, never in a file."
               + " Empty: no authentication (only behind a private network).",
               Alias.supported("SECRET_KEY")),
    AUTH_AUDIENCE("auth.audience",
                  "The `aud` claim an access token must carry."),
    ALLOWED_ORIGINS("auth.allowed-origins",
                    "Comma-separated browser origins allowed to open sessions (e.g. `https://player.example.com`); a"
                    + " request with any other `Origin` header gets 403. Empty: any origin (non-browser clients send"
                    + " none). Set it when browsers connect (Cross-Site WebSocket Hijacking).",
                    Alias.deprecated("VBUF_ALLOWED_ORIGINS")),
    MAX_SESSIONS("limits.max-sessions",
                 "Open WebSocket sessions per instance; beyond it the upgrade is refused with 503 and `Retry-After`."
                 + " Keep it equal to the platform's per-instance concurrency (Cloud Run `containerConcurrency`).",
                 Alias.deprecated("VBUF_MAX_SESSIONS")),
    SESSION_RATE("limits.session-segments-per-second",
                 "Sustained segments per second one session may send (a real-time player sends one per 2-6 s);"
                 + " faster segments are answered `rate_limited` with `retryAfterMs`, without running FFmpeg.",
                 Alias.deprecated("VBUF_SESSION_SEGMENTS_PER_SECOND")),
    SESSION_BURST("limits.session-segment-burst",
                  "Segments a session may send at once above that rate (a player filling its buffer at start).",
                  Alias.deprecated("VBUF_SESSION_SEGMENT_BURST")),
    MESSAGE_DEADLINE_SECONDS("limits.message-deadline-seconds",
                             "How long one segment may take to arrive, from the header of a WebSocket message's first"
                             + " frame (or the end of an HTTP request's headers) to its last byte, while it holds"
                             + " segment memory; past it the session is closed with 1008 (HTTP: the connection is"
                             + " closed) and the memory is returned. A 2 MB segment takes about 1 s at 20 Mbit/s; 30 s"
                             + " lets a 16 MiB one arrive at 4.5 Mbit/s (a real-time player slower than its segments'"
                             + " duration cannot keep up anyway). Decimals allowed."),
    MAX_HTTP_SEGMENTS("limits.max-http-segments",
                      "HTTP segments (`POST /v1/segments`) in progress at once, bodies being read and segments being"
                      + " processed; beyond it a request is refused with 503 and `Retry-After` before its body is"
                      + " read. Bounds the segment memory HTTP can take (this many times `segments.max-bytes`), so a"
                      + " flood of uploads cannot starve the WebSocket sessions of it."),
    PLAYER_DEMO_DIR("player.demo-dir",
                    "Where the reference player's demo (`/player/`) comes from: a directory holding an HLS media"
                    + " playlist `index.m3u8` of MPEG-TS segments with H.264 video and AAC audio (real segments, as a"
                    + " packager writes them). Empty: the demo is generated once with FFmpeg, on its first request."),
    LOG_FORMAT("log.format",
               "`text` (human-readable) or `json` (one JSON object per line, for Cloud Logging).",
               Alias.deprecated("LOG_FORMAT")),
    LOG_LEVEL("log.level",
              "Log level of vbuf's own loggers (`DEBUG`, `INFO`, `WARNING`, `ERROR`).",
              Alias.supported("LOG_LEVEL"));

    /** What every canonical environment variable starts with. */
    public static final String ENV_PREFIX = "VBUF_";

    /** Where the defaults are written: the lowest configuration layer. */
    public static final String DEFAULTS_RESOURCE = "application.yaml";

    private final String key;
    private final String envVar;
    private final String meaning;
    private final List<Alias> aliases;

    Setting(String key, String meaning, Alias... aliases) {
        this.key = key;
        this.envVar = envVarFor(key);
        this.meaning = meaning;
        this.aliases = List.of(aliases);
    }

    /**
     * The naming rule: the canonical environment variable of a configuration key.
     *
     * @param key a key such as {@code admission.max-concurrent}
     * @return {@code VBUF_} + the key upper-cased, {@code .} and {@code -} replaced by {@code _}
     */
    public static String envVarFor(String key) {
        return ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The key in {@code application.yaml} (and for {@code -Dkey=value}). */
    public String key() {
        return key;
    }

    /** The canonical environment variable, {@link #envVarFor(String) derived} from the key. */
    public String envVar() {
        return envVar;
    }

    /** Other environment variable names that also set this key; the canonical one wins when both are set. */
    public List<Alias> aliases() {
        return aliases;
    }

    /** The default, as written in {@code application.yaml} on the class path ({@code ""} = not set). */
    public String defaultValue() {
        return Defaults.of(this);
    }

    public String meaning() {
        return meaning;
    }

    /** The setting whose canonical environment variable this is (aliases are not canonical: see {@link #byAnyEnvName}). */
    public static Optional<Setting> byEnvVar(String name) {
        return Arrays.stream(values()).filter(s -> s.envVar.equals(name)).findFirst();
    }

    /** The setting an environment variable sets, by its canonical name or by an alias. */
    public static Optional<Setting> byAnyEnvName(String name) {
        return Arrays.stream(values())
                .filter(s -> s.envVar.equals(name) || s.aliases.stream().anyMatch(a -> a.name().equals(name)))
                .findFirst();
    }

    public static Optional<Setting> byKey(String key) {
        return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
    }

    /**
     * Another environment variable name for a setting.
     *
     * @param name   the variable
     * @param status {@link Status#SUPPORTED}: a name deployments and platforms use, read without comment;
     *               {@link Status#DEPRECATED}: a name an earlier release documented, still read, with a warning at
     *               start naming the canonical variable
     */
    public record Alias(String name, Status status) {
        public enum Status { SUPPORTED, DEPRECATED }

        static Alias supported(String name) {
            return new Alias(name, Status.SUPPORTED);
        }

        static Alias deprecated(String name) {
            return new Alias(name, Status.DEPRECATED);
        }
    }

    /** The default layer, read once from the class path. */
    private static final class Defaults {
        private static final Config YAML = Config.just(ConfigSources.classpath(DEFAULTS_RESOURCE));

        static String of(Setting s) {
            return YAML.get(s.key).asString().orElseThrow(() -> new IllegalStateException(
                    DEFAULTS_RESOURCE + " on the class path has no value for " + s.key
                    + " (every setting's default is written there)"));
        }
    }
}
