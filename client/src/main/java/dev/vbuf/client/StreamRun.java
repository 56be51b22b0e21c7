package dev.vbuf.client;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.protocol.Reconnect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Streams segments the way a player does, keeping the reconnect contract ({@link Reconnect}): up to
 * {@code pipeline} segments in flight on one WebSocket, optionally paced at the media's own rate; {@code overloaded}
 * and {@code rate_limited} answers pause all sending for their {@code retryAfterMs}, after which that segment goes
 * first. When a connection ends before every segment is answered, the contract's row for how it ended decides: a
 * fatal close or upgrade answer stops the run with its cause; anything resumable opens a new connection (after the
 * contract's wait, a fresh token from the {@link TokenSource} each time) and sends there every unanswered segment, in
 * media order, the first with the carry of the answer before it (v1.1). A segment may so be processed twice by the
 * servers; its answer reaches the output once. The run gives up after {@code maxReconnects} attempts in a row that
 * bring no answer. One connection's sending and receiving is {@link Leg}'s.
 */
public final class StreamRun {
    /**
     * @param url           the server's {@code /v1/segments} WebSocket URL (without the format parameter)
     * @param format        output format
     * @param realtime      send each segment no earlier than its start time in the media
     * @param pipeline      segments in flight at once (the server's {@code segments.per-session})
     * @param replyTimeout  how long a connection may stay silent while segments are in flight before it counts as
     *                      broken (a stalled network) and the stream resumes on a new one
     * @param maxRetries    overloaded or rate-limited answers tolerated per segment before it counts as failed
     * @param token         the access token for each connect, when the server requires one
     * @param v11           offer protocol v1.1 (segment messages with ids and carries, {@code end}); v1 if the server
     *                      does not select it
     * @param maxReconnects attempts in a row that bring no answer before the run gives up
     */
    public record Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                          int maxRetries, TokenSource token, boolean v11, int maxReconnects) {
        public Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                       int maxRetries, Optional<String> token) {
            this(url, format, realtime, pipeline, replyTimeout, maxRetries, TokenSource.fixed(token), false,
                 DEFAULT_RECONNECTS);
        }
    }

    /** Attempts in a row without an answer before a run gives up: the contract's. */
    public static final int DEFAULT_RECONNECTS = Reconnect.DEFAULT_ATTEMPTS;

    /** What happened to one segment, finally; {@code reply} is the result's JSON (its v1.1 placement). */
    public record Outcome(int index, byte[] audio, long audioMs, String errorCode, String errorMessage, int retries,
                          long latencyMs, JsonNode reply) {
        public boolean ok() {
            return audio != null;
        }
    }

    /** The connection broke for good, a close was fatal, or the server broke the protocol; the message says why. */
    public static final class StreamException extends Exception {
        public StreamException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Options options;
    private final StreamState state;

    public StreamRun(List<Segment> segments, Options options, PrintStream progress) {
        if (options.pipeline() < 1) {
            throw new IllegalArgumentException("--pipeline must be at least 1");
        }
        this.options = options;
        this.state = new StreamState(segments, options, new StreamProgress(progress, segments.size()));
    }

    /**
     * Runs to the end: every segment answered with audio or a final error; or the run stopped (a fatal close or
     * upgrade answer, too many attempts in a row without an answer, a protocol break).
     */
    public List<Outcome> run() throws StreamException, InterruptedException {
        URI uri = URI.create(options.url() + (options.url().getQuery() == null ? "?" : "&") + "format="
                             + options.format().wireName());
        Ending last = null;
        int tried = 0; // attempts since the last answer
        boolean started = false;
        boolean endKnown = true; // cleared when a server closes 1003 on `end` (one from before it)
        while (true) {
            if (last != null) {
                if (!last.rule().resumable()) {
                    throw new StreamException(state.broke(last.why() + ": not resumable (the reconnect contract"
                                                          + " stops on " + last.rule().when() + ")"), null);
                }
                if (tried >= options.maxReconnects()) {
                    throw new StreamException(state.broke(last.why() + "; " + tried + " attempt(s) in a row brought"
                                                          + " no answer"), null);
                }
                long waitMs = Reconnect.delayMs(last.rule(), last.hintMs(), tried, ThreadLocalRandom.current());
                state.progress.say(last.why() + "; reconnecting in " + waitMs + " ms to resume at segment "
                                   + state.firstUnanswered());
                Thread.sleep(waitMs);
                tried++;
            }
            SegmentClient client;
            try {
                client = connect(uri);
            } catch (Refused e) {
                state.failedConnects++;
                last = e.ending;
                continue;
            }
            if (started) {
                state.reconnects++;
            } else {
                started = true;
                state.start();
            }
            Leg leg = new Leg(state, client, endKnown);
            Ending end = leg.run();
            if (end == null) {
                return List.of(state.outcomes);
            }
            if (leg.answered() > 0) {
                tried = 0;
            }
            if (end.endUnknown()) {
                endKnown = false;
            }
            state.ends.merge(end.rule().when(), 1, Integer::sum);
            last = end;
        }
    }

    /** How many times the stream resumed on a new connection. */
    public int reconnects() {
        return state.reconnects;
    }

    /** The run's reconnects and what they cost. */
    public Resumes resumes() {
        return new Resumes(state.reconnects, state.failedConnects, Map.copyOf(new TreeMap<>(state.ends)),
                           state.resent, state.duplicateAnswers, state.goaways, state.shuttingDown, state.endClose);
    }

    /**
     * How one connection ended (or failed to open), classified by the contract.
     *
     * @param hintMs     the wait the server named (Retry-After, retryAfterMs, reconnectAfterMs), 0 for none
     * @param endUnknown the server closed 1003 right after {@code end}: it predates it, so later connections do
     *                   without
     */
    record Ending(Reconnect.Rule rule, long hintMs, String why, boolean endUnknown) {
        Ending(Reconnect.Rule rule, long hintMs, String why) {
            this(rule, hintMs, why, false);
        }
    }

    /** A connect attempt that failed, classified. */
    private static final class Refused extends Exception {
        private final transient Ending ending;

        Refused(Ending ending) {
            super(ending.why(), null, false, false);
            this.ending = ending;
        }
    }

    private SegmentClient connect(URI uri) throws Refused, InterruptedException {
        Optional<String> token;
        try {
            token = options.token().token();
        } catch (java.io.IOException e) {
            throw new Refused(new Ending(Reconnect.network(), 0, "no token for the next connect: " + e.getMessage()));
        }
        try {
            return SegmentClient.connect(uri, token.map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of()),
                                         options.v11() ? List.of(Protocol.SUBPROTOCOL_V11, Protocol.SUBPROTOCOL)
                                                       : List.of()); // both: a server that predates v1.1 picks v1
        } catch (RuntimeException e) {
            throw new Refused(refusal(uri, e));
        }
    }

    /** A failed connect as the contract sees it: an upgrade answered with an HTTP status, or the network. */
    static Ending refusal(URI uri, Throwable failure) {
        Throwable c = failure;
        while (c.getCause() != null && !(c instanceof WebSocketHandshakeException)) {
            c = c.getCause();
        }
        if (c instanceof WebSocketHandshakeException h && h.getResponse() != null) {
            HttpResponse<?> r = h.getResponse();
            long hint = Reconnect.retryAfterMs(r.headers().firstValue("Retry-After").orElse(null),
                                               System.currentTimeMillis()).orElse(0L);
            String message = bodyMessage(r.body());
            return new Ending(Reconnect.upgrade(r.statusCode()), hint, "the server refused the WebSocket upgrade to "
                              + uri + " with HTTP " + r.statusCode() + (message.isEmpty() ? "" : " (" + message + ")"));
        }
        return new Ending(Reconnect.network(), 0, "cannot connect to " + uri + ": " + rootMessage(failure));
    }

    /** The {@code message} of a JSON error body (what vbuf answers a refused upgrade with), else the text. */
    private static String bodyMessage(Object body) {
        String text = body instanceof byte[] b ? new String(b, StandardCharsets.UTF_8)
                : body instanceof String s ? s : "";
        try {
            JsonNode n = JSON.readTree(text);
            if (n != null && n.hasNonNull("message")) {
                return n.get("message").asText();
            }
        } catch (java.io.IOException e) {
            // not JSON
        }
        return text.length() > 200 ? text.substring(0, 200) + "…" : text.strip();
    }

    /** Wall time since the first segment could be sent. */
    public Duration elapsed() {
        return state.elapsed();
    }

    public static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        if (c instanceof java.nio.channels.ClosedChannelException || c instanceof java.net.ConnectException) {
            return "connection refused or closed (is the server running and the URL right?)";
        }
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    /** What the connections of one run share: the segments, their outcomes, the queue and the counters. */
    static final class StreamState {
        final List<Segment> segments;
        final Options options;
        final StreamProgress progress;
        final Outcome[] outcomes;
        final int[] retries;
        /** The carry of each segment's result (v1.1), for the segment after it when that goes to a new connection. */
        final String[] carries;
        final SendQueue queue = new SendQueue();
        final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
        final Map<String, Integer> ends = new TreeMap<>();
        volatile int done;
        int reconnects;
        int failedConnects;
        volatile int resent;
        volatile int duplicateAnswers;
        volatile int goaways;
        volatile int shuttingDown;
        volatile Integer endClose;
        private long startNanos = System.nanoTime();

        StreamState(List<Segment> segments, Options options, StreamProgress progress) {
            this.segments = segments;
            this.options = options;
            this.progress = progress;
            this.outcomes = new Outcome[segments.size()];
            this.retries = new int[segments.size()];
            this.carries = new String[segments.size()];
        }

        /** The first connection is open: the clock of {@code --realtime} starts, every segment is queued. */
        void start() {
            startNanos = System.nanoTime();
            for (Segment s : segments) {
                queue.add(s.index(), dueNanos(s.index()));
            }
        }

        long dueNanos(int index) {
            return options.realtime() ? startNanos + (long) (segments.get(index).startSec() * 1e9) : startNanos;
        }

        boolean allDone() {
            return done == segments.size();
        }

        int firstUnanswered() {
            for (int i = 0; i < outcomes.length; i++) {
                if (outcomes[i] == null) {
                    return i;
                }
            }
            return -1;
        }

        int totalRetries() {
            return java.util.Arrays.stream(retries).sum();
        }

        Duration elapsed() {
            return Duration.ofNanos(System.nanoTime() - startNanos);
        }

        String broke(String why) {
            return "the connection broke after " + done + " of " + segments.size() + " segments were answered: "
                   + why;
        }

        List<Integer> unanswered() {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < outcomes.length; i++) {
                if (outcomes[i] == null) {
                    out.add(i);
                }
            }
            return out;
        }
    }
}
