package dev.vbuf.api;

import java.io.ByteArrayOutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.access.Authenticator;
import dev.vbuf.access.SegmentRateLimiter;
import dev.vbuf.log.Logs;
import dev.vbuf.core.OutputFormat;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.core.ErrorCode;
import dev.vbuf.core.SegmentAudio;
import dev.vbuf.core.SegmentException;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;

/**
 * One WebSocket session of protocol v1 (one instance per connection). Each binary message is one segment, numbered in
 * arrival order, and holds one of the session's {@code perSession} permits from arrival until its reply is sent:
 * while that many are outstanding the connection's reading thread waits, so a client is slowed by TCP, never buffered
 * without bound. Each segment is processed on its own virtual thread; finished replies are put in segment order into
 * an outbox that one sender thread writes (a text message, plus a binary message for audio; then the close frame).
 * The lock guards only this session's state and is never held during I/O, so a client that stops reading blocks
 * nothing but its own sender, and a send stalled past {@link #SEND_STALL} ends the session.
 */
final class SegmentSocket implements WsListener {
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** After a close frame, how long the client has to answer it before the connection is dropped. */
    private static final Duration CLOSE_HANDSHAKE = Duration.ofSeconds(3);
    /** A reply that cannot be written for this long means the client stopped reading: the session is dropped. */
    static final Duration SEND_STALL = Duration.ofSeconds(30);

    private final AccessPolicy access;
    private final SegmentRateLimiter rate;
    private final SegmentProcessor processor;
    private final SessionRegistry registry;
    private final VbufMetrics metrics;
    private final int perSession;
    private final Semaphore inProgress;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);

    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private final TreeMap<Long, Reply> ready = new TreeMap<>();
    private long nextToQueue;
    private int unansweredHere;
    private int closeCode;
    private String closeReason;
    private boolean closeQueued;
    private boolean gone;

    private final BlockingQueue<Outgoing> outbox = new LinkedBlockingQueue<>();
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    private volatile OutputFormat format = OutputFormat.DEFAULT;
    private volatile WsSession session;
    private volatile Thread sender;
    /** The connection's own (virtual) thread; it ends when the connection does, even if no close frame came. */
    private volatile Thread connectionThread;
    private volatile long lastMessageNanos = System.nanoTime();
    /** When the send in progress started, or 0. */
    private volatile long sendStartedNanos;

    // message assembly (only touched by the connection's reading thread)
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();
    private long messageSize;
    private long nextSeq;

    SegmentSocket(SegmentProcessor processor, SessionRegistry registry, VbufMetrics metrics, int perSession,
                  AccessPolicy access) {
        this.access = access;
        this.rate = access.newRateLimiter(System.nanoTime());
        this.processor = processor;
        this.registry = registry;
        this.metrics = metrics;
        this.perSession = perSession;
        this.inProgress = new Semaphore(perSession);
    }

    /** What the sender writes: a reply, a pong, or the close frame. */
    private sealed interface Outgoing permits Reply, Pong, Close {
    }

    /** One segment's reply: its JSON text, its audio (results only), its metrics outcome, when the segment arrived. */
    private record Reply(String json, byte[] audio, String outcome, long arrivalNanos) implements Outgoing {
    }

    /** The answer to a ping (RFC 6455 5.5.2), written by the sender like everything else on this connection. */
    private record Pong(byte[] payload) implements Outgoing {
    }

    private record Close(int code, String reason) implements Outgoing {
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        // A refused upgrade falls through to the plain HTTP route, which runs the same checks and answers 401 (token),
        // 403 (origin), 503 (session cap) or 400 (format) with a JSON body.
        Optional<Access.Refusal> refusal = Access.upgradeRefusal(access, registry, processor.gate(), headers,
                                                                          prologue.query());
        if (refusal.isPresent()) {
            throw new WsUpgradeException(refusal.get().message());
        }
        Optional<String> requested = prologue.query().first(Protocol.FORMAT_PARAM).asOptional();
        if (requested.isPresent()) {
            // An unknown format refuses the upgrade; the plain HTTP route then answers 400 with the reason.
            format = OutputFormat.fromWireName(requested.get())
                    .orElseThrow(() -> new WsUpgradeException("unknown format " + requested.get()));
        }
        // A browser that offers sub-protocols (e.g. to carry its token) needs one chosen, or it drops the connection.
        if (Authenticator.protocols(headers.values(Access.SEC_WEBSOCKET_PROTOCOL)).contains(Protocol.SUBPROTOCOL)) {
            WritableHeaders<?> response = WritableHeaders.create();
            response.set(Access.SEC_WEBSOCKET_PROTOCOL, Protocol.SUBPROTOCOL);
            return Optional.of(response);
        }
        return Optional.empty();
    }

    @Override
    public void onOpen(WsSession session) {
        this.session = session;
        this.connectionThread = Thread.currentThread();
        this.sender = Thread.ofVirtual().name("ws-send-" + id).start(this::sendLoop);
        registry.add(this);
        metrics.sessionOpened();
        Logs.log(LOG, Level.DEBUG, id, -1, "session opened, format=" + format);
        if (registry.size() > access.maxSessions()) {
            // upgrades that raced past the check in onHttpUpgrade: the cap is strict
            closeWhenAnswered(Protocol.CLOSE_TRY_AGAIN_LATER, "session limit reached; retry");
        }
    }

    @Override
    public void onMessage(WsSession session, BufferData buffer, boolean last) {
        lastMessageNanos = System.nanoTime();
        int n = buffer.available();
        messageSize += n;
        if (messageSize <= processor.maxSegmentBytes()) {
            byte[] chunk = new byte[n];
            buffer.read(chunk);
            message.writeBytes(chunk);
        } else if (message.size() > 0) {
            message.reset(); // over the limit: keep reading to the end, keep nothing
        }
        if (!last) {
            return;
        }
        long arrival = System.nanoTime();
        long size = messageSize;
        byte[] segment = size <= processor.maxSegmentBytes() ? message.toByteArray() : null;
        message.reset();
        messageSize = 0;
        metrics.messageIn(size);
        try {
            inProgress.acquire(); // pipelining limit: the reading thread waits here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return; // the connection is closing; the segment was never accepted
        }
        long seq = nextSeq++;
        if (!accepted()) {
            return; // the session is gone: nobody to answer
        }
        Logs.log(LOG, Level.DEBUG, id, seq, "segment received: " + size + " bytes");
        if (segment == null) {
            complete(seq, error(seq, processor.tooLarge(size), arrival));
            return;
        }
        long waitMs = rate.tryAcquire(arrival);
        if (waitMs > 0) {
            complete(seq, error(seq, new SegmentException(ErrorCode.RATE_LIMITED, String.format(java.util.Locale.ROOT,
                    "rate_limited: this session may send %.2f segments/s (bursts of %d)",
                    access.sessionSegmentsPerSecond(), access.sessionSegmentBurst()), waitMs), arrival));
            return;
        }
        Thread worker = Thread.ofVirtual().name("segment-" + id + "-" + seq).unstarted(() -> {
            try {
                complete(seq, process(seq, segment, arrival));
            } catch (InterruptedException e) {
                // the session is gone; its FFmpeg process has been killed and there is nobody to answer
            } catch (Throwable t) {
                Logs.log(LOG, Level.ERROR, id, seq, "segment failed unexpectedly: " + t, t);
                complete(seq, error(seq, new SegmentException(ErrorCode.INTERNAL, "internal error"), arrival));
            } finally {
                workers.remove(Thread.currentThread());
            }
        });
        workers.add(worker);
        worker.start();
        if (isGone()) {
            worker.interrupt(); // gone() may have run before the worker was registered
        }
    }

    private Reply process(long seq, byte[] segment, long arrival) throws InterruptedException {
        try {
            SegmentAudio audio = processor.process(segment, format, arrival);
            return new Reply(Protocol.json(Protocol.Result.of(seq, audio)), audio.bytes(), MetricNames.OUTCOME_OK,
                             arrival);
        } catch (SegmentException e) {
            return error(seq, e, arrival);
        }
    }

    private Reply error(long seq, SegmentException e, long arrival) {
        if (e.code() != ErrorCode.OVERLOADED) {
            Logs.log(LOG, Level.DEBUG, id, seq, e.code() + ": " + e.getMessage());
        }
        return new Reply(Protocol.json(Protocol.Error.of(seq, e)), null, e.code().wireName(), arrival);
    }

    @Override
    public void onMessage(WsSession session, String text, boolean last) {
        lastMessageNanos = System.nanoTime();
        if (last) {
            closeWhenAnswered(Protocol.CLOSE_UNSUPPORTED_DATA,
                              "text messages are not part of protocol v1: send each segment as one binary message");
        }
    }

    /** Helidon does not answer pings itself; heartbeat-keeping clients and proxies expect a pong. */
    @Override
    public void onPing(WsSession session, BufferData buffer) {
        outbox.add(new Pong(buffer.readBytes()));
    }

    @Override
    public void onClose(WsSession session, int status, String reason) {
        Logs.log(LOG, Level.DEBUG, id, -1, "client closed the session: " + status + " " + reason);
        gone();
    }

    @Override
    public void onError(WsSession session, Throwable t) {
        Logs.log(LOG, Level.WARNING, id, -1, "session error: " + t, t);
        gone();
    }

    /** Counts a segment as accepted; false when the session is already gone. */
    private boolean accepted() {
        lock.lock();
        try {
            if (gone) {
                return false;
            }
            unansweredHere++;
        } finally {
            lock.unlock();
        }
        registry.accepted();
        return true;
    }

    /** Files the reply of one segment and queues, in order, every reply that is now next. */
    private void complete(long seq, Reply reply) {
        lock.lock();
        try {
            if (gone) {
                return;
            }
            ready.put(seq, reply);
            while (!ready.isEmpty() && ready.firstKey() == nextToQueue) {
                outbox.add(ready.pollFirstEntry().getValue());
                nextToQueue++;
            }
        } finally {
            lock.unlock();
        }
    }

    /** The sender: writes the outbox in order; a reply counts as answered once written. */
    private void sendLoop() {
        try {
            while (true) {
                Outgoing next = outbox.take();
                if (next instanceof Close c) {
                    sendClose(c);
                    return;
                }
                if (next instanceof Pong p) {
                    session.pong(BufferData.create(p.payload()));
                    continue;
                }
                Reply r = (Reply) next;
                sendStartedNanos = System.nanoTime();
                session.send(r.json, true);
                if (r.audio != null) {
                    session.send(BufferData.create(r.audio), true);
                    metrics.messageOut(r.audio.length);
                }
                sendStartedNanos = 0;
                metrics.segmentAnswered(format, r.outcome, Duration.ofNanos(System.nanoTime() - r.arrivalNanos));
                lock.lock();
                try {
                    if (gone) {
                        return;
                    }
                    unansweredHere--;
                    registry.answered(1);
                    queueCloseIfDue();
                } finally {
                    lock.unlock();
                }
                inProgress.release();
            }
        } catch (InterruptedException e) {
            // gone(): stop sending
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.DEBUG, id, -1, "send failed, client gone: " + e);
            gone();
        }
    }

    private void sendClose(Close c) {
        Logs.log(LOG, Level.DEBUG, id, -1, "closing session: " + c.code + " " + c.reason);
        WsSession s = session;
        try {
            s.close(c.code, c.reason);
        } catch (RuntimeException e) {
            gone();
            return;
        }
        // If the client never answers the close frame, drop the connection.
        try {
            Thread.sleep(CLOSE_HANDSHAKE);
        } catch (InterruptedException e) {
            return; // the client answered (gone() interrupts this thread)
        }
        if (!isGone() && s instanceof ServerConnection sc) {
            sc.close(true);
        }
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    void closeWhenAnswered(int code, String reason) {
        lock.lock();
        try {
            if (closeCode == 0) {
                closeCode = code;
                closeReason = reason;
            }
            queueCloseIfDue();
        } finally {
            lock.unlock();
        }
    }

    private void queueCloseIfDue() {
        if (closeCode != 0 && !closeQueued && !gone && unansweredHere == 0 && session != null) {
            closeQueued = true;
            outbox.add(new Close(closeCode, closeReason));
        }
    }

    private boolean isGone() {
        lock.lock();
        try {
            return gone;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The client went away (or stopped reading): nobody to answer, so stop every segment of this session (which kills
     * its FFmpeg), stop the sender (interrupting a socket write closes the socket), and let the reading thread go.
     */
    private void gone() {
        int dropped;
        lock.lock();
        try {
            if (gone) {
                return;
            }
            gone = true;
            dropped = unansweredHere;
            unansweredHere = 0;
            ready.clear();
            outbox.clear();
        } finally {
            lock.unlock();
        }
        registry.answered(dropped);
        inProgress.release(perSession);
        for (Thread w : workers) {
            w.interrupt();
        }
        Thread s = sender;
        if (s != null && s != Thread.currentThread()) {
            s.interrupt();
        }
        registry.remove(this);
        metrics.sessionClosed();
    }

    /** Called by the registry's sweep: notices vanished clients and clients that stopped reading. */
    void checkConnection(long now) {
        Thread t = connectionThread;
        if (t != null && !t.isAlive()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "connection ended without a close frame");
            gone();
            return;
        }
        long started = sendStartedNanos;
        if (started != 0 && now - started > SEND_STALL.toNanos()) {
            Logs.log(LOG, Level.INFO, id, -1, "client stopped reading: a reply could not be written for "
                                              + SEND_STALL.toSeconds() + " s; dropping the session");
            gone();
            if (session instanceof ServerConnection sc) {
                sc.close(true);
            }
        }
    }

    long idleNanos(long now) {
        lock.lock();
        try {
            return unansweredHere > 0 ? 0 : now - lastMessageNanos;
        } finally {
            lock.unlock();
        }
    }
}
