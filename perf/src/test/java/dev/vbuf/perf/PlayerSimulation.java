package dev.vbuf.perf;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import dev.vbuf.config.VbufConfig;
import dev.vbuf.server.VbufServer;

import io.gatling.http.action.ws.WsInboundMessage;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Session;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;

import static io.gatling.javaapi.core.CoreDsl.asLongAs;
import static io.gatling.javaapi.core.CoreDsl.details;
import static io.gatling.javaapi.core.CoreDsl.doIf;
import static io.gatling.javaapi.core.CoreDsl.exec;
import static io.gatling.javaapi.core.CoreDsl.group;
import static io.gatling.javaapi.core.CoreDsl.jmesPath;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.pace;
import static io.gatling.javaapi.core.CoreDsl.pause;
import static io.gatling.javaapi.core.CoreDsl.rampConcurrentUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.ws;

/**
 * Players, the way they really use vbuf: each virtual user opens a WebSocket session, sends one real generated segment
 * per segment duration (real-time cadence), checks every reply (a result followed by a binary message of the announced
 * size, or a well-formed error), waits {@code retryAfterMs} and resends on {@code overloaded} / {@code rate_limited},
 * and closes at the end.
 *
 * <p>Reported requests and groups: group {@code segment} is one segment from first send to its final answer (its
 * response time is the sum of its attempts' times, without the {@code retryAfterMs} waits; KO when the final answer
 * is an error other than overloaded, has the wrong audio size, or never comes); inside it, group {@code answered}
 * fails only when no well-formed answer arrives in time; request {@code attempt} is one send and its text reply.
 *
 * <p>Every setting is a system property (see perf/README.md); with no {@code vbuf.url} the simulation starts a vbuf
 * server in its own JVM, for the CI smoke.
 */
public class PlayerSimulation extends Simulation {
    static final String URL = System.getProperty("vbuf.url", "");
    static final String FORMAT = System.getProperty("vbuf.format", "aac");
    static final double SEGMENT_SECONDS = Double.parseDouble(System.getProperty("vbuf.segment.seconds", "6"));
    static final String SEGMENT_SIZE = System.getProperty("vbuf.segment.size", "1280x720");
    static final int PLAYERS = Integer.getInteger("vbuf.players", 100);
    static final int SEGMENTS_PER_PLAYER = Integer.getInteger("vbuf.segments.per.player", 10);
    static final double TIME_SCALE = Double.parseDouble(System.getProperty("vbuf.time.scale", "1"));
    static final int MAX_RETRIES = Integer.getInteger("vbuf.max.retries", 20);
    static final boolean ASSERT_LATENCY = Boolean.parseBoolean(System.getProperty("vbuf.assert.latency", "true"));
    static final String TOKEN = System.getProperty("vbuf.token", System.getenv().getOrDefault("VBUF_TOKEN", ""));
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(Long.getLong("vbuf.reply.timeout.seconds", 30));

    /** Final answers by outcome ({@code ok}, error codes, {@code bad_size}, {@code no_answer}) and retries. */
    static final Map<String, LongAdder> OUTCOMES = new ConcurrentHashMap<>();

    private static final String ACCEPTABLE = "type == 'result' || (type == 'error' && message != null"
                                             + " && code != null)";

    private final VbufServer localServer;
    private final byte[] segment;

    public PlayerSimulation() throws Exception {
        segment = SegmentBench.makeSegment(SEGMENT_SECONDS, SEGMENT_SIZE, true);
        String base;
        if (URL.isBlank()) {
            localServer = VbufServer.start(VbufConfig.load(Map.of(), Map.of("server.port", "0",
                                                                            "server.host", "127.0.0.1")));
            base = "ws://127.0.0.1:" + localServer.port();
        } else {
            localServer = null;
            base = URL.replaceFirst("/v1/segments.*$", "").replaceFirst("^http", "ws");
        }
        System.out.printf(Locale.ROOT, "vbuf load: %s, %d players (ramp %s), %d x %.1f-s %s segments of %d bytes each,"
                                       + " format %s%n", base, PLAYERS, profileText(), SEGMENTS_PER_PLAYER,
                          SEGMENT_SECONDS, SEGMENT_SIZE, segment.length, FORMAT);

        // the audio arrives as a message no check waits for: keep such messages for processUnmatchedMessages
        HttpProtocolBuilder protocol = http.wsBaseUrl(base).wsUnmatchedInboundMessageBufferSize(16);
        var open = ws("open").connect("/v1/segments?format=" + FORMAT);
        if (!TOKEN.isBlank()) {
            open = open.header("Authorization", "Bearer " + TOKEN);
        }
        ScenarioBuilder player = scenario("player")
                .exec(open)
                .repeat(SEGMENTS_PER_PLAYER).on(
                        pace(Duration.ofMillis(Math.round(SEGMENT_SECONDS * 1000))),
                        group("segment").on(oneSegment()))
                .exec(ws("close").close());

        int half = Math.max(1, PLAYERS / 2);
        setUp(player.injectClosed(
                rampConcurrentUsers(0).to(half).during(scaled(60)),
                rampConcurrentUsers(half).to(PLAYERS).during(scaled(120)),
                rampConcurrentUsers(PLAYERS).to(0).during(scaled(60))))
                .protocols(protocol)
                .assertions(assertions());
    }

    private static List<io.gatling.javaapi.core.Assertion> assertions() {
        var answered = details("segment", "answered").failedRequests().count().is(0L);
        var failures = details("segment").failedRequests().percent().lt(5.0);
        if (!ASSERT_LATENCY) {
            return List.of(answered, failures);
        }
        return List.of(answered, failures, details("segment").responseTime().percentile(95.0).lt(1000));
    }

    /** One segment: send, read the answer, fetch the audio or wait and resend, until a final answer. */
    private ChainBuilder oneSegment() {
        return exec(s -> s.set("final", false).set("tries", 0))
                .asLongAs(s -> !s.getBoolean("final")).on(
                        exec(s -> s.removeAll("type", "code", "bytes", "retryAfterMs", "message")),
                        group("answered").on(exec(ws("attempt").sendBytes(segment).await(REPLY_TIMEOUT).on(
                                ws.checkTextMessage("reply").check(
                                        jsonPath("$.type").saveAs("type"),
                                        jsonPath("$.code").optional().saveAs("code"),
                                        jsonPath("$.message").optional().saveAs("message"),
                                        jsonPath("$.bytes").ofInt().optional().saveAs("bytes"),
                                        jsonPath("$.retryAfterMs").ofLong().optional().saveAs("retryAfterMs"),
                                        jmesPath(ACCEPTABLE).ofBoolean().is(true))))),
                        exec(PlayerSimulation::judge),
                        doIf(s -> "result".equals(s.getString("type"))).then(fetchAudio()),
                        doIf(s -> !s.getBoolean("final")).then(
                                pause(s -> Duration.ofMillis(Math.max(1, s.getLong("retryAfterMs"))))));
    }

    /** The audio follows its result text as a binary message: wait for it (up to 10 s) and check its size. */
    private static ChainBuilder fetchAudio() {
        return exec(s -> s.set("audio", -1).set("audioWaitStart", System.nanoTime()))
                .asLongAs(s -> s.getInt("audio") < 0
                               && System.nanoTime() - s.getLong("audioWaitStart") < 10_000_000_000L).on(
                        pause(Duration.ofMillis(5)),
                        exec(ws.processUnmatchedMessages((messages, s) -> {
                            Session out = s;
                            for (WsInboundMessage m : messages) {
                                if (m instanceof WsInboundMessage.Binary b) {
                                    out = out.set("audio", b.message().length);
                                }
                            }
                            return out;
                        })))
                .exec(s -> {
                    int got = s.getInt("audio");
                    if (got == s.getInt("bytes") && got > 0) {
                        count("ok");
                        return s;
                    }
                    count(got < 0 ? "no_audio_message" : "bad_size");
                    return s.markAsFailed();
                });
    }

    /** Decides what the answer means: final (result or error) or retry after retryAfterMs. */
    private static Session judge(Session s) {
        String type = s.contains("type") ? s.getString("type") : null;
        if (type == null) {
            count("no_answer");
            return s.set("final", true);
        }
        if ("result".equals(type)) {
            return s.set("final", true);
        }
        String code = s.contains("code") ? s.getString("code") : "?";
        boolean retryable = "overloaded".equals(code) || "rate_limited".equals(code);
        if (retryable && s.getInt("tries") < MAX_RETRIES && s.contains("retryAfterMs")) {
            count("retry_" + code);
            return s.set("tries", s.getInt("tries") + 1);
        }
        count(retryable ? "gave_up_" + code : code);
        return s.set("final", true).markAsFailed();
    }

    private static void count(String outcome) {
        OUTCOMES.computeIfAbsent(outcome, k -> new LongAdder()).increment();
    }

    private static Duration scaled(int seconds) {
        return Duration.ofMillis(Math.max(1, Math.round(seconds * 1000 * TIME_SCALE)));
    }

    private static String profileText() {
        return String.format(Locale.ROOT, "0->%d over %ds, ->%d over %ds, ->0 over %ds", Math.max(1, PLAYERS / 2),
                             scaled(60).toSeconds(), PLAYERS, scaled(120).toSeconds(), scaled(60).toSeconds());
    }

    @Override
    public void after() {
        System.out.println("vbuf load: final answers and retries " + new java.util.TreeMap<>(OUTCOMES));
        if (localServer != null) {
            localServer.close();
        }
    }
}
