package dev.vbuf.client;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.protocol.Reconnect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One connection of a {@link StreamRun}: a sender thread takes due segments off the run's queue and sends them
 * (pipelined, at most {@code pipeline} in flight), while this thread reads the answers and files each segment's
 * outcome. It ends when every segment has its outcome ({@link #run()} returns null), or with the {@link
 * StreamRun.Ending} that says how the connection ended; the segments it had in flight go back on the queue, for the
 * next connection. A goaway, or a segment answered {@code shutting_down}, stops the sending at once; the leg takes
 * the answers still due on it and then leaves by itself, whether or not the server's 1001 came first. With v1.1 the
 * leg sends {@code end} after its last segment and waits for the server's close.
 */
final class Leg {
    /** Answers that mean "send it again after retryAfterMs", on the same connection. */
    private static final Set<String> RETRIED = Set.of(ErrorCode.OVERLOADED.wireName(),
                                                      ErrorCode.RATE_LIMITED.wireName());
    /** How long to wait for the server's close after {@code end} once every segment is answered. */
    private static final Duration CLOSE_AFTER_END = Duration.ofSeconds(10);
    private static final Duration POLL = Duration.ofMillis(200);
    /** How long the sender may take to stop once its connection is aborted (a send fails at once then). */
    private static final Duration SENDER_STOP = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Attempt(int index, long sentNanos) {
    }

    private final StreamRun.StreamState state;
    private final SegmentClient connection;
    private final boolean sendEnd;
    private final boolean v11;
    private final Map<Long, Attempt> inFlight = new ConcurrentHashMap<>();
    private final Set<Integer> sentHere = ConcurrentHashMap.newKeySet();
    private final Semaphore slots;
    /** Set by a goaway or a {@code shutting_down} answer, or once {@code end} went out: nothing more is sent. */
    private volatile boolean stopSending;
    private volatile boolean endSent;
    private volatile Throwable sendFailure;
    private long hintMs;
    private Reconnect.Rule leaving;
    private int answered;
    /** The server's number for the next segment sent here (sender thread only). */
    private long nextSeq;
    private Thread sender;

    /** @param sendEnd the servers of this run know {@code end} (none closed 1003 on it yet) */
    Leg(StreamRun.StreamState state, SegmentClient connection, boolean sendEnd) {
        this.state = state;
        this.connection = connection;
        this.v11 = Protocol.SUBPROTOCOL_V11.equals(connection.subprotocol());
        this.sendEnd = sendEnd && v11;
        this.slots = new Semaphore(state.options.pipeline());
    }

    /** Segments this connection answered (results and final errors): progress, for the run's give-up count. */
    int answered() {
        return answered;
    }

    /** Null when every segment has its outcome, else how the connection ended. */
    StreamRun.Ending run() throws StreamRun.StreamException, InterruptedException {
        sender = Thread.ofVirtual().name("vbuf-stream-send").start(this::send);
        JsonNode result = null; // a result whose audio is the next binary message
        long lastHeard = System.nanoTime();
        try {
            while (true) {
                if (state.allDone()) {
                    finish();
                    return null;
                }
                if (leaving != null && inFlight.isEmpty() && result == null) {
                    // a goaway or shutting_down: what the server held is answered; the rest goes to a new connection
                    stopSender();
                    connection.close();
                    return new StreamRun.Ending(leaving, hintMs, "the server asked to reconnect ("
                                                                 + leaving.when() + ")");
                }
                var event = connection.poll(POLL);
                if (event.isEmpty()) {
                    Throwable failed = sendFailure;
                    if (failed != null) {
                        return lost(new StreamRun.Ending(Reconnect.network(), 0, "sending failed: "
                                                                                 + StreamRun.rootMessage(failed)));
                    }
                    // silent since the last message, or since the oldest send if that came later
                    long since = Math.max(lastHeard, inFlight.values().stream().mapToLong(Attempt::sentNanos).min()
                            .orElse(Long.MAX_VALUE));
                    if (!inFlight.isEmpty() && System.nanoTime() - since > state.options.replyTimeout().toNanos()) {
                        return lost(new StreamRun.Ending(Reconnect.network(), 0, "no answer within "
                                                         + state.options.replyTimeout().toSeconds() + " s"));
                    }
                    continue;
                }
                lastHeard = System.nanoTime();
                switch (event.get()) {
                    case SegmentClient.Text t -> {
                        String type = t.json().path("type").asText();
                        if (type.equals(Protocol.GOAWAY_MESSAGE)) {
                            state.goaways++;
                            leave(Reconnect.goaway(), t.json().path("reconnectAfterMs").asLong(0));
                        } else if (type.equals(Protocol.RESULT_MESSAGE)) {
                            result = t.json();
                        } else if (type.equals(Protocol.ERROR_MESSAGE)) {
                            answer(t.json(), null);
                        } // other types: a later protocol's, not for this client
                    }
                    case SegmentClient.Binary b -> {
                        if (result == null) {
                            throw new StreamRun.StreamException("the server sent audio without a result message"
                                                                + " before it", null);
                        }
                        answer(result, b.bytes());
                        result = null;
                    }
                    case SegmentClient.Closed c -> {
                        return lost(closed(c));
                    }
                }
            }
        } finally {
            stopSender();
            state.progress.end();
            connection.abort();
        }
    }

    /**
     * Stops the sender and waits for it: only then may the segments in flight go back on the queue (a sender still
     * running would take one straight off it again, for the connection that just ended).
     */
    private void stopSender() throws InterruptedException {
        stopSending = true;
        sender.interrupt();
        sender.join(SENDER_STOP.toMillis());
    }

    /** How a close is classified: the library's -1 is a connection that ended without a close frame. */
    private StreamRun.Ending closed(SegmentClient.Closed c) {
        if (c.code() < 0) {
            String why = sendFailure != null ? StreamRun.rootMessage(sendFailure) : c.reason();
            return new StreamRun.Ending(Reconnect.network(), hintMs, "the connection broke (" + why + ")");
        }
        if (c.code() == CloseCodes.ABNORMAL) {
            return new StreamRun.Ending(Reconnect.close(c.code()), hintMs, "the connection ended without a close"
                                                                           + " frame (1006)");
        }
        boolean endUnknown = endSent && c.code() == CloseCodes.UNSUPPORTED_DATA;
        Reconnect.Rule rule = endUnknown ? Reconnect.close(CloseCodes.NORMAL) : Reconnect.close(c.code());
        String why = "the server closed the session with " + c.code()
                     + (c.reason() == null || c.reason().isBlank() ? "" : " (" + c.reason() + ")");
        return new StreamRun.Ending(rule, hintMs, why, endUnknown);
    }

    /** The segments in flight go back on the queue: the next connection sends them (first, in media order). */
    private StreamRun.Ending lost(StreamRun.Ending ending) throws InterruptedException {
        connection.abort(); // a send still under way fails at once
        stopSender();
        for (Attempt a : inFlight.values()) {
            if (state.outcomes[a.index()] == null) {
                state.queue.add(a.index(), state.dueNanos(a.index()));
                state.resent++;
            }
        }
        inFlight.clear();
        return ending;
    }

    /** Every segment answered: after {@code end}, the server's close (1000 from a server that knows it). */
    private void finish() throws InterruptedException {
        if (endSent) {
            long until = System.nanoTime() + CLOSE_AFTER_END.toNanos();
            while (System.nanoTime() < until) {
                var e = connection.poll(POLL);
                if (e.isPresent() && e.get() instanceof SegmentClient.Closed c) {
                    state.endClose = c.code();
                    return;
                }
            }
            state.endClose = -1; // no close within the wait
        }
        connection.close();
    }

    private void leave(Reconnect.Rule why, long serverHintMs) {
        stopSending = true;
        hintMs = Math.max(hintMs, serverHintMs);
        if (leaving == null) {
            leaving = why;
        }
    }

    /** Files the answer to one segment (a result with its audio, or an error). */
    private void answer(JsonNode reply, byte[] audio) throws StreamRun.StreamException {
        long seq = reply.path("seq").asLong(-1);
        Attempt attempt = inFlight.remove(seq);
        if (attempt == null) {
            throw new StreamRun.StreamException("the server answered seq " + seq + ", which was never sent", null);
        }
        slots.release();
        int i = attempt.index();
        if (v11 && !reply.path("id").asText("").equals(String.valueOf(i))) {
            throw new StreamRun.StreamException("the answer to seq " + seq + " carries id " + reply.path("id")
                                                + ", expected " + i, null);
        }
        if (state.outcomes[i] != null) {
            state.duplicateAnswers++; // never answered twice to the application
            return;
        }
        long latencyMs = (System.nanoTime() - attempt.sentNanos()) / 1_000_000;
        String code = reply.path("code").asText(null);
        if (audio != null) {
            state.outcomes[i] = new StreamRun.Outcome(i, audio, reply.path("audioMs").asLong(), null, null,
                                                      state.retries[i], latencyMs, reply);
            state.carries[i] = reply.path("carry").asText(null);
            state.done++;
            answered++;
        } else if (ErrorCode.SHUTTING_DOWN.wireName().equals(code)) {
            // not taken here: the next connection sends it (not a retry of the segment: nothing was wrong with it)
            state.shuttingDown++;
            state.queue.add(i, state.dueNanos(i));
            leave(Reconnect.shuttingDown(), reply.path("retryAfterMs").asLong(0));
        } else if (RETRIED.contains(code) && state.retries[i] < state.options.maxRetries()) {
            state.retries[i]++;
            // back off as a whole: the next segment would get the same answer
            state.queue.holdFor(Math.max(1, reply.path("retryAfterMs").asLong(100)));
            state.queue.add(i, state.dueNanos(i));
        } else {
            state.outcomes[i] = new StreamRun.Outcome(i, null, 0, code, reply.path("message").asText(),
                                                      state.retries[i], latencyMs, reply);
            state.done++;
            answered++;
        }
        state.progress.show(state.sent.get(), state.done, state.totalRetries(), latencyMs);
    }

    /** The sender: due segments in order, each with its v1.1 message; {@code end} after the last. */
    private void send() {
        int lastIndex = state.segments.size() - 1;
        try {
            while (!stopSending) {
                slots.acquire();
                int i = state.queue.take();
                if (stopSending || state.outcomes[i] != null) {
                    if (state.outcomes[i] == null) {
                        state.queue.add(i, state.dueNanos(i)); // for the next connection
                    }
                    slots.release();
                    continue;
                }
                byte[] bytes = state.segments.get(i).bytes();
                inFlight.put(nextSeq++, new Attempt(i, System.nanoTime())); // before a fast answer can come
                sentHere.add(i);
                if (v11) {
                    // the server keeps each segment's carry for the next one on the same connection; a segment
                    // whose predecessor was answered on an earlier connection brings that answer's carry
                    ObjectNode m = JSON.createObjectNode().put("type", Protocol.SEGMENT_MESSAGE)
                            .put("id", String.valueOf(i));
                    if (i > 0 && !sentHere.contains(i - 1) && state.carries[i - 1] != null) {
                        m.put("carry", state.carries[i - 1]);
                    }
                    if (i == lastIndex) {
                        m.put("last", true);
                    }
                    connection.sendText(m.toString());
                }
                connection.send(bytes);
                state.sent.incrementAndGet();
                if (sendEnd && nothingLeftToSend()) {
                    endSent = true;
                    stopSending = true;
                    connection.sendText(Protocol.json(Map.of("type", Protocol.END_MESSAGE)));
                }
            }
        } catch (InterruptedException e) {
            // the leg is over
        } catch (IOException | RuntimeException e) {
            sendFailure = e;
        }
    }

    /** Nothing queued, and every segment answered or in flight here: the last one just went out. */
    private boolean nothingLeftToSend() {
        if (!state.queue.isEmpty()) {
            return false;
        }
        Set<Integer> flying = ConcurrentHashMap.newKeySet();
        inFlight.values().forEach(a -> flying.add(a.index()));
        for (int i = 0; i < state.outcomes.length; i++) {
            if (state.outcomes[i] == null && !flying.contains(i)) {
                return false;
            }
        }
        return true;
    }
}
