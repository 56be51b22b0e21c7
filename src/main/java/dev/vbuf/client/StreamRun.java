package dev.vbuf.client;

import dev.vbuf.protocol.CloseCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;

/**
 * Streams segments over one WebSocket the way a player does (protocol v1): up to {@code pipeline} segments in flight,
 * optionally paced at the media's own rate. An {@code overloaded} or {@code rate_limited} answer pauses all sending for
 * its {@code retryAfterMs}, after which that segment goes first; every other error is reported and not retried.
 * When the server closes the session with 1001 (going away: a drain), it connects again to the same URL (backing
 * off, a bounded number of times) and sends the segments not yet answered, the first with the carry of the answer
 * before it (v1.1). Collects each segment's audio by its index, whatever order attempts and connections took.
 */
public final class StreamRun {
    /** Answers that mean "send it again after retryAfterMs". */
    private static final java.util.Set<String> RETRIED = java.util.Set.of(ErrorCode.OVERLOADED.wireName(),
                                                                          ErrorCode.RATE_LIMITED.wireName());

    /**
     * @param url          the server's {@code /v1/segments} WebSocket URL (without the format parameter)
     * @param format       output format
     * @param realtime     send each segment no earlier than its start time in the media
     * @param pipeline     segments in flight at once (the server's {@code segments.per-session})
     * @param replyTimeout how long to wait for any reply before giving up on the connection
     * @param maxRetries   overloaded or rate-limited answers tolerated per segment before it counts as failed
     * @param token        access token, sent as {@code Authorization: Bearer}, when the server requires one
     * @param v11          offer protocol v1.1 (segment messages with ids; placed replies); v1 if the server
     *                     does not select it
     * @param maxReconnects attempts to reconnect when the server closes the session with 1001 (going away)
     */
    public record Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                          int maxRetries, Optional<String> token, boolean v11, int maxReconnects) {
        public Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                       int maxRetries, Optional<String> token) {
            this(url, format, realtime, pipeline, replyTimeout, maxRetries, token, false, DEFAULT_RECONNECTS);
        }
    }

    /** Attempts to reconnect after a 1001 (and reconnections in a row without an answer) before giving up. */
    public static final int DEFAULT_RECONNECTS = 8;
    /** Back-off before the first attempt to reconnect, doubling up to the maximum. */
    static final long FIRST_BACKOFF_MS = 250;
    static final long MAX_BACKOFF_MS = 5_000;

    /** What happened to one segment, finally; {@code reply} is the result's JSON (its v1.1 placement). */
    public record Outcome(int index, byte[] audio, long audioMs, String errorCode, String errorMessage, int retries,
                          long latencyMs, com.fasterxml.jackson.databind.JsonNode reply) {
        public boolean ok() {
            return audio != null;
        }
    }

    /** The connection broke or the server stopped answering; the message says why. */
    public static final class StreamException extends Exception {
        public StreamException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final String SUBPROTOCOL_V11 = dev.vbuf.protocol.Protocol.SUBPROTOCOL_V11;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final List<Segment> segments;
    private final Options options;
    private final StreamProgress progress;
    private final Outcome[] outcomes;
    private final int[] retries;
    /** The carry of each segment's result (v1.1), for the segment after it when that goes to a new connection. */
    private final String[] carries;
    private final SendQueue queue = new SendQueue();
    private int done;
    private int reconnects;
    private final AtomicLong sent = new AtomicLong();
    private long startNanos;

    private record Attempt(int index, long sentNanos) {
    }

    public StreamRun(List<Segment> segments, Options options, PrintStream progress) {
        if (options.pipeline() < 1) {
            throw new IllegalArgumentException("--pipeline must be at least 1");
        }
        this.segments = segments;
        this.options = options;
        this.progress = new StreamProgress(progress, segments.size());
        this.outcomes = new Outcome[segments.size()];
        this.retries = new int[segments.size()];
        this.carries = new String[segments.size()];
    }

    /** Runs to the end: every segment answered with audio or a final error, or the connection broke. */
    public List<Outcome> run() throws StreamException, InterruptedException {
        URI uri = URI.create(options.url() + (options.url().getQuery() == null ? "?" : "&") + "format="
                             + options.format().wireName());
        SegmentClient client = connect(uri);
        startNanos = System.nanoTime();
        for (Segment s : segments) {
            queue.add(s.index(), dueNanos(s.index()));
        }
        int failed = 0; // reconnections in a row that got no answer
        while (true) {
            int before = done;
            try {
                serve(client, reconnects > 0);
                return List.of(outcomes);
            } catch (GoneAway e) {
                failed = done > before ? 0 : failed + 1;
                if (failed > options.maxReconnects()) {
                    throw new StreamException(broke(e.getMessage() + "; " + failed + " reconnections in a row"
                                                    + " brought no answer"), null);
                }
                reconnects++;
                progress.say("the server closed the session (" + e.getMessage() + "); reconnecting to resume at"
                             + " segment " + queue.first());
                client = reconnect(uri, e.getMessage());
            }
        }
    }

    /** How many times the stream resumed on a new connection after the server closed with 1001. */
    public int reconnects() {
        return reconnects;
    }

    /** The server closed the session with 1001 (going away: a drain, a session limit); the stream can resume. */
    private static final class GoneAway extends Exception {
        GoneAway(String message) {
            super(message, null, false, false);
        }
    }

    private SegmentClient connect(URI uri) throws StreamException {
        try {
            return SegmentClient.connect(uri, options.token()
                    .map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of()),
                    options.v11() ? List.of(SUBPROTOCOL_V11) : List.of());
        } catch (RuntimeException e) {
            throw new StreamException("cannot connect to " + uri + ": " + rootMessage(e), e);
        }
    }

    /** Connects again after a 1001, backing off between attempts (the draining instance may refuse at first). */
    private SegmentClient reconnect(URI uri, String why) throws StreamException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            Thread.sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt, 10)));
            try {
                return connect(uri);
            } catch (StreamException e) {
                if (attempt + 1 >= options.maxReconnects()) {
                    throw new StreamException(broke(why + "; " + (attempt + 1) + " attempts to reconnect failed, the"
                                                    + " last: " + e.getMessage()), e);
                }
            }
        }
    }

    private String broke(String why) {
        return "the connection broke after " + done + " of " + segments.size() + " segments were answered: " + why;
    }

    /**
     * One connection: sends what is queued and collects answers until every segment has its final outcome (returns),
     * the server closes with 1001 (the segments it did not answer are queued again; throws {@link GoneAway}), or the
     * connection fails otherwise.
     *
     * @param resumed a reconnection: a segment whose predecessor was answered on an earlier connection is sent with
     *                that answer's carry (this server has not seen it)
     */
    private void serve(SegmentClient connection, boolean resumed)
            throws StreamException, GoneAway, InterruptedException {
        Map<Long, Attempt> inFlight = new ConcurrentHashMap<>();
        Set<Integer> sentHere = ConcurrentHashMap.newKeySet();
        Semaphore slots = new Semaphore(options.pipeline());
        long[] seq = {0};
        boolean v11 = SUBPROTOCOL_V11.equals(connection.subprotocol());
        int lastIndex = segments.size() - 1;
        Throwable[] sendFailure = {null};
        Thread sender = Thread.ofVirtual().name("vbuf-stream-send").start(() -> {
            try {
                while (true) {
                    slots.acquire();
                    int i = queue.take();
                    byte[] bytes = segments.get(i).bytes();
                    inFlight.put(seq[0]++, new Attempt(i, System.nanoTime()));
                    sentHere.add(i);
                    if (v11) {
                        // the server keeps each segment's carry for the next one in this session; after a
                        // reconnection the first segments bring the carry of the answer they follow
                        var m = JSON.createObjectNode().put("type", "segment").put("id", String.valueOf(i));
                        if (resumed && i > 0 && !sentHere.contains(i - 1) && carries[i - 1] != null) {
                            m.put("carry", carries[i - 1]);
                        }
                        if (i == lastIndex) {
                            m.put("last", true);
                        }
                        connection.sendText(m.toString());
                    }
                    connection.send(bytes);
                    sent.incrementAndGet();
                }
            } catch (InterruptedException e) {
                // done
            } catch (IOException | RuntimeException e) {
                sendFailure[0] = e;
                connection.abort(); // wakes the receiver with a closed connection
            }
        });
        try (connection) {
            while (done < segments.size()) {
                SegmentClient.Reply reply;
                try {
                    reply = connection.reply(options.replyTimeout());
                } catch (SegmentClient.ProtocolException e) {
                    if (e.closed().filter(c -> c.code() == CloseCodes.GOING_AWAY).isPresent()) {
                        sender.interrupt();
                        sender.join(5_000);
                        for (Attempt a : inFlight.values()) {
                            queue.add(a.index(), dueNanos(a.index()));
                        }
                        throw new GoneAway("1001 " + e.closed().get().reason());
                    }
                    String why = sendFailure[0] != null ? "sending failed: " + rootMessage(sendFailure[0])
                                                         : e.getMessage();
                    throw new StreamException(broke(why), e);
                }
                Attempt attempt = inFlight.remove(reply.seq());
                if (attempt == null) {
                    throw new StreamException("the server answered seq " + reply.seq() + ", which was never sent",
                                              null);
                }
                slots.release();
                int i = attempt.index();
                if (v11 && !reply.json().path("id").asText("").equals(String.valueOf(i))) {
                    throw new StreamException("the answer to seq " + reply.seq() + " carries id "
                                              + reply.json().path("id") + ", expected " + i, null);
                }
                if (outcomes[i] != null) {
                    throw new StreamException("segment " + i + " was answered twice", null);
                }
                long latencyMs = (System.nanoTime() - attempt.sentNanos()) / 1_000_000;
                if (reply.type().equals("result")) {
                    outcomes[i] = new Outcome(i, reply.audio(), reply.json().path("audioMs").asLong(), null, null,
                                              retries[i], latencyMs, reply.json());
                    carries[i] = reply.json().path("carry").asText(null);
                    done++;
                } else if (RETRIED.contains(reply.code()) && retries[i] < options.maxRetries()) {
                    retries[i]++;
                    long wait = Math.max(1, reply.json().path("retryAfterMs").asLong(100));
                    // Back off as a whole: the next segment would get the same answer.
                    queue.holdFor(wait);
                    queue.add(i, dueNanos(i));
                } else {
                    outcomes[i] = new Outcome(i, null, 0, reply.code(), reply.json().path("message").asText(),
                                              retries[i], latencyMs, reply.json());
                    done++;
                }
                progress.show(sent.get(), done, java.util.Arrays.stream(retries).sum(), latencyMs);
            }
        } finally {
            sender.interrupt();
            sender.join(5_000);
            progress.end();
        }
    }

    private long dueNanos(int index) {
        return options.realtime() ? startNanos + (long) (segments.get(index).startSec() * 1e9) : startNanos;
    }

    /** Wall time since the first segment could be sent. */
    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
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
}
