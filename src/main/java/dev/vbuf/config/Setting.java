package dev.vbuf.config;

import java.util.Optional;

/**
 * Every configuration key vbuf reads, defined once: its key in {@code application.yaml}, the environment variable that
 * overrides it, its default and its meaning. The README's configuration table is checked against this enum by a test.
 */
public enum Setting {
    PORT("server.port", "PORT", "8080",
         "HTTP/WebSocket port (Cloud Run sets `PORT`)."),
    HOST("server.host", "VBUF_HOST", "0.0.0.0",
         "Address to bind."),
    MAX_CONCURRENT("admission.max-concurrent", "DUBBING_MAX_CONCURRENT_SESSIONS", "0",
                   "Maximum FFmpeg processes running at once (the global semaphore). `0` = number of CPUs."),
    QUEUE_CAPACITY("admission.queue-capacity", "VBUF_QUEUE_CAPACITY", "100",
                   "Segments that may wait for a permit; beyond this, segments are answered `overloaded`."),
    TARGET_LATENCY_MS("admission.target-latency-ms", "DUBBING_TARGET_LATENCY_MS", "1000",
                      "Latency budget per segment (last byte received to reply sent). A segment that cannot start in time"
                      + " to meet it is answered `overloaded` with `retryAfterMs`."),
    PER_SESSION("segments.per-session", "VBUF_SEGMENTS_PER_SESSION", "2",
                "Segments of one WebSocket session in progress at once (pipelining); further segments wait unread."),
    MAX_SEGMENT_BYTES("segments.max-bytes", "VBUF_SEGMENT_MAX_BYTES", "16777216",
                      "Largest accepted segment (16 MiB). Larger messages are read to their end, discarded and answered"
                      + " `too_large`."),
    MAX_FRAME_BYTES("segments.max-frame-bytes", "VBUF_WS_MAX_FRAME_BYTES", "33554432",
                    "Largest single WebSocket frame (32 MiB, twice the segment limit): a frame is buffered whole"
                    + " before vbuf sees it, so a larger one cannot be skipped and closes the session with 1009."
                    + " Bounds the memory one session can hold."),
    SESSION_TIMEOUT_MINUTES("session.timeout-minutes", "DUBBING_SESSION_TIMEOUT_MINUTES", "60",
                            "A WebSocket session with no message for this long (and nothing in progress) is closed"
                            + " with 1001. Decimals allowed."),
    FFMPEG_PATH("ffmpeg.path", "FFMPEG_PATH", "",
                "FFmpeg executable. Empty: the bundled, pinned build next to the jar (`ffmpeg/ffmpeg`), else `ffmpeg`"
                + " on `PATH`."),
    FFMPEG_REQUIRED_VERSION("ffmpeg.required-version", "FFMPEG_REQUIRED_VERSION", "",
                            "If set, the start fails unless `ffmpeg -version` reports exactly this version."),
    FFMPEG_TIMEOUT_MS("ffmpeg.timeout-ms", "VBUF_FFMPEG_TIMEOUT_MS", "10000",
                      "Deadline for one FFmpeg process; past it the process is killed and the segment answered"
                      + " `timeout`."),
    FFMPEG_MAX_OUTPUT_BYTES("ffmpeg.max-output-bytes", "VBUF_FFMPEG_MAX_OUTPUT_BYTES", "33554432",
                            "Largest output accepted from one FFmpeg process (32 MiB); past it the process is killed"
                            + " and the segment answered `too_large`."),
    SHUTDOWN_GRACE_MS("shutdown.grace-ms", "VBUF_SHUTDOWN_GRACE_MS", "8000",
                      "On SIGTERM, how long segments in progress may take to finish before sessions are closed"
                      + " (Cloud Run kills 10 s after SIGTERM)."),
    SECRET_KEY("auth.secret-key", "SECRET_KEY", "",
               "HS256 key that signs access tokens (JWT), at least 32 bytes; set from a secret store, never in a file."
               + " Empty: no authentication (only behind a private network)."),
    AUTH_AUDIENCE("auth.audience", "VBUF_AUTH_AUDIENCE", "vbuf",
                  "The `aud` claim an access token must carry."),
    ALLOWED_ORIGINS("auth.allowed-origins", "VBUF_ALLOWED_ORIGINS", "",
                    "Comma-separated browser origins allowed to open sessions (e.g. `https://player.example.com`); a"
                    + " request with any other `Origin` header gets 403. Empty: any origin (non-browser clients send"
                    + " none). Set it when browsers connect (Cross-Site WebSocket Hijacking)."),
    MAX_SESSIONS("limits.max-sessions", "VBUF_MAX_SESSIONS", "100",
                 "Open WebSocket sessions per instance; beyond it the upgrade is refused with 503 and `Retry-After`."
                 + " Keep it equal to the platform's per-instance concurrency (Cloud Run `containerConcurrency`)."),
    SESSION_RATE("limits.session-segments-per-second", "VBUF_SESSION_SEGMENTS_PER_SECOND", "2",
                 "Sustained segments per second one session may send (a real-time player sends one per 2-6 s);"
                 + " faster segments are answered `rate_limited` with `retryAfterMs`, without running FFmpeg."),
    SESSION_BURST("limits.session-segment-burst", "VBUF_SESSION_SEGMENT_BURST", "30",
                  "Segments a session may send at once above that rate (a player filling its buffer at start)."),
    LOG_FORMAT("log.format", "LOG_FORMAT", "text",
               "`text` (human-readable) or `json` (one JSON object per line, for Cloud Logging)."),
    LOG_LEVEL("log.level", "LOG_LEVEL", "INFO",
              "Log level of vbuf's own loggers (`DEBUG`, `INFO`, `WARNING`, `ERROR`).");

    private final String key;
    private final String envVar;
    private final String defaultValue;
    private final String meaning;

    Setting(String key, String envVar, String defaultValue, String meaning) {
        this.key = key;
        this.envVar = envVar;
        this.defaultValue = defaultValue;
        this.meaning = meaning;
    }

    public String key() {
        return key;
    }

    public String envVar() {
        return envVar;
    }

    public String defaultValue() {
        return defaultValue;
    }

    public String meaning() {
        return meaning;
    }

    public static Optional<Setting> byEnvVar(String name) {
        for (Setting s : values()) {
            if (s.envVar.equals(name)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
