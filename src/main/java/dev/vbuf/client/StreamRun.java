package dev.vbuf.client;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.vbuf.core.OutputFormat;
import dev.vbuf.core.ErrorCode;

/**
 * Streams segments over one WebSocket the way a player does (protocol v1): up to {@code pipeline} segments in flight,
 * optionally paced at the media's own rate. An {@code overloaded} or {@code rate_limited} answer pauses all sending for
 * its {@code retryAfterMs}, after which that segment goes first; every other error is reported and not retried.
 * Collects each segment's audio by its index, whatever order attempts took.
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
     */
    public record Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                          int maxRetries, Optional<String> token, boolean v11) {
        public Options(URI url, OutputFormat format, boolean realtime, int pipeline, Duration replyTimeout,
                       int maxRetries, Optional<String> token) {
            this(url, format, realtime, pipeline, replyTimeout, maxRetries, token, false);
        }
    }

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

    private static final String SUBPROTOCOL_V11 = dev.vbuf.api.Protocol.SUBPROTOCOL_V11;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private final List<SegmentSource.Segment> segments;
    private final Options options;
    private final PrintStream progress;
    private final Outcome[] outcomes;
    private final int[] retries;
    private final Map<Long, Attempt> inFlight = new ConcurrentHashMap<>();
    private final DelayQueue<Job> queue = new DelayQueue<>();
    private final Semaphore slots;
    /** No segment is sent before this {@link System#nanoTime()}: the server asked us to back off until then. */
    private final AtomicLong holdUntilNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong sent = new AtomicLong();
    private long startNanos;

    private record Attempt(int index, long sentNanos) {
    }

    /** A segment due to be sent at {@code dueNanos}; ties go in media order, so a retried segment goes first. */
    private record Job(int index, long dueNanos) implements Delayed {
        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            Job o = (Job) other;
            int c = Long.compare(dueNanos, o.dueNanos);
            return c != 0 ? c : Integer.compare(index, o.index);
        }
    }

    public StreamRun(List<SegmentSource.Segment> segments, Options options, PrintStream progress) {
        if (options.pipeline() < 1) {
            throw new IllegalArgumentException("--pipeline must be at least 1");
        }
        this.segments = segments;
        this.options = options;
        this.progress = progress;
        this.outcomes = new Outcome[segments.size()];
        this.retries = new int[segments.size()];
        this.slots = new Semaphore(options.pipeline());
    }

    /** Runs to the end: every segment answered with audio or a final error, or the connection broke. */
    public List<Outcome> run() throws StreamException, InterruptedException {
        URI uri = URI.create(options.url() + (options.url().getQuery() == null ? "?" : "&") + "format="
                             + options.format().wireName());
        SegmentClient client;
        try {
            client = SegmentClient.connect(uri, options.token()
                    .map(t -> Map.of("Authorization", "Bearer " + t)).orElse(Map.of()),
                    options.v11() ? List.of(SUBPROTOCOL_V11) : List.of());
        } catch (RuntimeException e) {
            throw new StreamException("cannot connect to " + uri + ": " + rootMessage(e), e);
        }
        startNanos = System.nanoTime();
        for (SegmentSource.Segment s : segments) {
            queue.add(new Job(s.index(), dueNanos(s.index())));
        }
        long[] seq = {0};
        boolean v11 = SUBPROTOCOL_V11.equals(client.subprotocol());
        int lastIndex = segments.size() - 1;
        Throwable[] sendFailure = {null};
        Thread sender = Thread.ofVirtual().name("vbuf-stream-send").start(() -> {
            try {
                while (true) {
                    slots.acquire();
                    awaitHold();
                    Job job = queue.take();
                    awaitHold(); // a back-off may have come in while this job was due
                    byte[] bytes = segments.get(job.index()).bytes();
                    inFlight.put(seq[0]++, new Attempt(job.index(), System.nanoTime()));
                    if (v11) {
                        // the server keeps each segment's carry for the next one in this session
                        var m = JSON.createObjectNode().put("type", "segment").put("id", String.valueOf(job.index()));
                        if (job.index() == lastIndex) {
                            m.put("last", true);
                        }
                        client.sendText(m.toString());
                    }
                    client.send(bytes);
                    sent.incrementAndGet();
                }
            } catch (InterruptedException e) {
                // done
            } catch (IOException | RuntimeException e) {
                sendFailure[0] = e;
                client.abort(); // wakes the receiver with a closed connection
            }
        });
        try (client) {
            int done = 0;
            while (done < segments.size()) {
                SegmentClient.Reply reply;
                try {
                    reply = client.reply(options.replyTimeout());
                } catch (SegmentClient.ProtocolException e) {
                    String why = sendFailure[0] != null ? "sending failed: " + rootMessage(sendFailure[0])
                                                         : e.getMessage();
                    throw new StreamException("the connection broke after " + done + " of " + segments.size()
                                              + " segments were answered: " + why, e);
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
                long latencyMs = (System.nanoTime() - attempt.sentNanos()) / 1_000_000;
                if (reply.type().equals("result")) {
                    outcomes[i] = new Outcome(i, reply.audio(), reply.json().path("audioMs").asLong(), null, null,
                                              retries[i], latencyMs, reply.json());
                    done++;
                } else if (RETRIED.contains(reply.code()) && retries[i] < options.maxRetries()) {
                    retries[i]++;
                    long wait = Math.max(1, reply.json().path("retryAfterMs").asLong(100));
                    // Back off as a whole: the next segment would get the same answer.
                    holdUntilNanos.accumulateAndGet(System.nanoTime() + wait * 1_000_000, Math::max);
                    queue.add(new Job(i, dueNanos(i)));
                } else {
                    outcomes[i] = new Outcome(i, null, 0, reply.code(), reply.json().path("message").asText(),
                                              retries[i], latencyMs, reply.json());
                    done++;
                }
                showProgress(done, latencyMs);
            }
        } finally {
            sender.interrupt();
            sender.join(5_000);
            endProgress();
        }
        return List.of(outcomes);
    }

    private long dueNanos(int index) {
        return options.realtime() ? startNanos + (long) (segments.get(index).startSec() * 1e9) : startNanos;
    }

    private void awaitHold() throws InterruptedException {
        long left;
        while ((left = holdUntilNanos.get() - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private int lastShown = -1;

    private void showProgress(int done, long latencyMs) {
        if (progress == null) {
            return;
        }
        int total = segments.size();
        int retried = java.util.Arrays.stream(retries).sum();
        String line = String.format("segments: %d sent, %d/%d answered, %d retries, last latency %d ms",
                                    sent.get(), done, total, retried, latencyMs);
        if (System.console() != null) {
            progress.print("\r" + line + "   ");
        } else if (done != lastShown && (done == total || done % Math.max(1, total / 10) == 0)) {
            progress.println(line);
        }
        lastShown = done;
        progress.flush();
    }

    private void endProgress() {
        if (progress != null && System.console() != null) {
            progress.println();
        }
    }

    /** Wall time since the first segment could be sent. */
    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    static String rootMessage(Throwable t) {
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
