package dev.vbuf.protocol;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The reconnect contract, as code: what a client does when a connection ends, or is refused, before every segment
 * it sent is answered. One table ({@link #table()}) says, for every close code, upgrade answer and network failure,
 * whether the stream is resumed on a new connection or stopped, and how long the client waits first; both reference
 * clients ({@code vbuf stream}/{@code vbuf verify}, and the JavaScript client package the player page uses, whose
 * {@code src/reconnect.js} carries {@link #json()}) follow it, and docs/protocol.md ("Reconnect contract") shows it. Tests hold all three equal.
 *
 * <p>Why a table and not "reconnect on anything": a close for a fault of the client's own (1002, 1003, 1007-1009, a
 * refused token) comes back on every new connection, so retrying it only loops; a cut, a drain or a full instance
 * goes away by itself, and a fleet of players must not come back all at once (full jitter) nor sooner than the
 * server asked ({@code Retry-After}, {@code retryAfterMs}, a goaway's {@code reconnectAfterMs}).
 */
public final class Reconnect {
    /** Back-off before the first attempt after a connection ends: up to this, drawn uniformly (full jitter). */
    public static final long FIRST_BACKOFF_MS = 250;
    /** The back-off bound doubles with every attempt in a row without an answer, up to this. */
    public static final long MAX_BACKOFF_MS = 8_000;
    /**
     * Attempts in a row that bring no answer (failed connects, connections that end before answering anything)
     * after which a client gives up. Any answer starts the count again: a stream cut every few minutes for hours
     * goes on, a server that is gone for good ends it within about half a minute.
     */
    public static final int DEFAULT_ATTEMPTS = 8;

    /** {@link Rule#when()} of the row for a close code no other row names. */
    public static final String OTHER_CLOSE = "close, any other code";
    /** {@link Rule#when()} of the row for the 5xx upgrade answers no other row names. */
    public static final String OTHER_5XX = "upgrade, other 5xx";
    /** {@link Rule#when()} of the row for the 4xx upgrade answers no other row names. */
    public static final String OTHER_4XX = "upgrade, other 4xx";
    /** {@link Rule#when()} of the row for any other upgrade answer (a redirect, 200 instead of 101). */
    public static final String OTHER_UPGRADE = "upgrade, any other status";
    /** {@link Rule#when()} of the network row. */
    public static final String NETWORK = "network error";
    /** {@link Rule#when()} of the goaway row. */
    public static final String GOAWAY = Protocol.GOAWAY_MESSAGE;
    /** {@link Rule#when()} of the {@code shutting_down} answer's row. */
    public static final String SHUTTING_DOWN = "error " + ErrorCode.SHUTTING_DOWN.wireName();

    /** What the client does. */
    public enum Verdict {
        /** Open a new connection after the wait and send there every segment not yet answered. */
        RESUME,
        /** Stop with a message naming the cause: a new connection would end the same way. */
        FATAL;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * One row of the contract.
     *
     * @param when    what happened, e.g. {@code close 1013}, {@code upgrade 503}, {@code network error}
     * @param verdict resume or stop
     * @param hint    the server's figure the wait starts from, when this case carries one ({@code Retry-After},
     *                {@code retryAfterMs}, {@code reconnectAfterMs}), else empty
     * @param floorMs the least wait before the next connect, whatever the server said
     */
    public record Rule(String when, Verdict verdict, String hint, long floorMs) {
        public boolean resumable() {
            return verdict == Verdict.RESUME;
        }

        /** The wait as the docs' table says it. */
        public String waitText() {
            if (!resumable()) {
                return "none: stop";
            }
            if (!hint.isEmpty()) {
                return hint + ", then back-off";
            }
            return floorMs > 0 ? floorMs + " ms, then back-off" : "back-off";
        }
    }

    private static final List<Rule> TABLE = List.of(
            resume("close " + CloseCodes.NORMAL),
            resume("close " + CloseCodes.GOING_AWAY),
            fatal("close " + CloseCodes.PROTOCOL_ERROR),
            fatal("close " + CloseCodes.UNSUPPORTED_DATA),
            resume("close " + CloseCodes.NO_STATUS),
            resume("close " + CloseCodes.ABNORMAL),
            fatal("close " + CloseCodes.INVALID_PAYLOAD),
            fatal("close " + CloseCodes.POLICY_VIOLATION),
            fatal("close " + CloseCodes.MESSAGE_TOO_BIG),
            resume("close " + CloseCodes.INTERNAL_ERROR),
            resume("close " + CloseCodes.SERVICE_RESTART),
            new Rule("close " + CloseCodes.TRY_AGAIN_LATER, Verdict.RESUME, "", 1_000),
            resume("close " + CloseCodes.BAD_GATEWAY),
            fatal(OTHER_CLOSE),
            new Rule("upgrade 429", Verdict.RESUME, "Retry-After", 0),
            new Rule("upgrade 503", Verdict.RESUME, "Retry-After", 0),
            resume(OTHER_5XX),
            fatal(OTHER_4XX),
            fatal(OTHER_UPGRADE),
            resume(NETWORK),
            new Rule(GOAWAY, Verdict.RESUME, "reconnectAfterMs", 0),
            new Rule(SHUTTING_DOWN, Verdict.RESUME, "retryAfterMs", 0));

    private Reconnect() {
    }

    private static Rule resume(String when) {
        return new Rule(when, Verdict.RESUME, "", 0);
    }

    private static Rule fatal(String when) {
        return new Rule(when, Verdict.FATAL, "", 0);
    }

    /** Every row, in the docs' order. */
    public static List<Rule> table() {
        return TABLE;
    }

    /** The row for a close code the server (or the client's WebSocket library) reported. */
    public static Rule close(int code) {
        return row("close " + code).orElseGet(() -> row(OTHER_CLOSE).orElseThrow());
    }

    /** The row for an HTTP status that refused the WebSocket upgrade. */
    public static Rule upgrade(int status) {
        return row("upgrade " + status).orElseGet(() -> row(status >= 500 && status < 600 ? OTHER_5XX
                                                          : status >= 400 && status < 500 ? OTHER_4XX
                                                          : OTHER_UPGRADE).orElseThrow());
    }

    /** A failed connect, a connection reset or cut without a close frame as the client's library reports it. */
    public static Rule network() {
        return row(NETWORK).orElseThrow();
    }

    /** The server sent a goaway: no new segment on this connection. */
    public static Rule goaway() {
        return row(GOAWAY).orElseThrow();
    }

    /** A segment answered {@code shutting_down}: to be sent again on the next connection. */
    public static Rule shuttingDown() {
        return row(SHUTTING_DOWN).orElseThrow();
    }

    private static Optional<Rule> row(String when) {
        return TABLE.stream().filter(r -> r.when().equals(when)).findFirst();
    }

    /**
     * How long to wait before the next connect: the larger of the row's floor and the wait the server named
     * ({@code hintMs}, 0 for none), plus a back-off drawn uniformly from 0 to
     * {@code min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2^attempt)} (full jitter, so clients cut at the same moment do
     * not come back together).
     *
     * @param attempt attempts in a row without an answer so far (0 for the first reconnect after an answer)
     */
    public static long delayMs(Rule rule, long hintMs, int attempt, RandomGenerator random) {
        return Math.max(rule.floorMs(), Math.max(0, hintMs)) + random.nextLong(backoffBoundMs(attempt) + 1);
    }

    /** The back-off's upper bound for the given attempt. */
    public static long backoffBoundMs(int attempt) {
        return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(Math.max(attempt, 0), 20));
    }

    /**
     * {@code Retry-After} in milliseconds: whole seconds (what vbuf sends) or an HTTP date (what proxies may send),
     * empty when absent or unreadable.
     */
    public static Optional<Long> retryAfterMs(String header, long nowMillis) {
        if (header == null || header.isBlank()) {
            return Optional.empty();
        }
        String h = header.strip();
        try {
            return Optional.of(Math.max(0, Long.parseLong(h)) * 1000);
        } catch (NumberFormatException e) {
            try {
                long at = java.time.ZonedDateTime.parse(h, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
                        .toInstant().toEpochMilli();
                return Optional.of(Math.max(0, at - nowMillis));
            } catch (java.time.format.DateTimeParseException e2) {
                return Optional.empty();
            }
        }
    }

    /**
     * The contract as JSON, for clients in other languages (the player page carries a copy that a test compares):
     * {@code {"firstBackoffMs":250,"maxBackoffMs":8000,"attempts":8,"rules":[{"when":"close 1000","verdict":"resume",
     * "hint":"","floorMs":0},…]}}.
     */
    public static String json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("firstBackoffMs", FIRST_BACKOFF_MS);
        m.put("maxBackoffMs", MAX_BACKOFF_MS);
        m.put("attempts", DEFAULT_ATTEMPTS);
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Rule r : TABLE) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("when", r.when());
            row.put("verdict", r.verdict().wireName());
            row.put("hint", r.hint());
            row.put("floorMs", r.floorMs());
            rules.add(row);
        }
        m.put("rules", rules);
        return Protocol.json(m);
    }
}
