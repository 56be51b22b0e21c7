package dev.vbuf.api;

import java.io.ByteArrayOutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;

import dev.vbuf.log.Logs;
import dev.vbuf.media.OutputFormat;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.segment.ErrorCode;
import dev.vbuf.segment.SegmentAudio;
import dev.vbuf.segment.SegmentException;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.common.buffers.BufferData;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsSession;
import io.helidon.websocket.WsUpgradeException;

/**
 * One WebSocket session of protocol v1 (one instance per connection). Each binary message is one segment, numbered in
 * arrival order. Up to {@code perSession} segments are processed at once, each on its own virtual thread; while that
 * many are in progress the connection's reading thread waits, so a fast client is slowed by TCP, not by memory.
 * Replies go out strictly in segment order, each as one text message (plus one binary message for audio), sent under
 * one lock because Helidon's session is not safe for concurrent sends.
 */
final class SegmentSocket implements WsListener {
    private static final System.Logger LOG = System.getLogger(SegmentSocket.class.getName());
    /** After a close frame, how long the client has to answer it before the connection is dropped. */
    private static final Duration CLOSE_HANDSHAKE = Duration.ofSeconds(3);

    private final SegmentProcessor processor;
    private final SessionRegistry registry;
    private final VbufMetrics metrics;
    private final Semaphore inProgress;
    private final String id = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);

    private final ReentrantLock sendLock = new ReentrantLock();
    private final TreeMap<Long, Reply> ready = new TreeMap<>();
    private final Set<Thread> workers = ConcurrentHashMap.newKeySet();
    private long nextToSend;
    private int unansweredHere;
    private int closeCode;
    private String closeReason;
    private boolean closeSent;

    private volatile OutputFormat format = OutputFormat.DEFAULT;
    private volatile WsSession session;
    private volatile boolean gone;
    private volatile long lastMessageNanos = System.nanoTime();
    /** The connection's own (virtual) thread; it ends when the connection does, even if no close frame came. */
    private volatile Thread connectionThread;

    // message assembly (only touched by the connection's reading thread)
    private final ByteArrayOutputStream message = new ByteArrayOutputStream();
    private long messageSize;
    private long nextSeq;

    SegmentSocket(SegmentProcessor processor, SessionRegistry registry, VbufMetrics metrics, int perSession) {
        this.processor = processor;
        this.registry = registry;
        this.metrics = metrics;
        this.inProgress = new Semaphore(perSession);
    }

    /** One segment's reply: its JSON text, its audio (results only), its metrics outcome, when the segment arrived. */
    private record Reply(String json, byte[] audio, String outcome, long arrivalNanos) {
    }

    @Override
    public Optional<Headers> onHttpUpgrade(HttpPrologue prologue, Headers headers) throws WsUpgradeException {
        Optional<String> requested = prologue.query().first(Protocol.FORMAT_PARAM).asOptional();
        if (requested.isPresent()) {
            // An unknown format refuses the upgrade; the plain HTTP route then answers 400 with the reason.
            format = OutputFormat.fromWireName(requested.get())
                    .orElseThrow(() -> new WsUpgradeException("unknown format " + requested.get()));
        }
        return Optional.empty();
    }

    @Override
    public void onOpen(WsSession session) {
        this.session = session;
        this.connectionThread = Thread.currentThread();
        registry.add(this);
        metrics.sessionOpened();
        Logs.log(LOG, Level.DEBUG, id, -1, "session opened, format=" + format);
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
        long seq = nextSeq++;
        long size = messageSize;
        byte[] segment = size <= processor.maxSegmentBytes() ? message.toByteArray() : null;
        message.reset();
        messageSize = 0;
        metrics.messageIn(size);
        accepted();
        Logs.log(LOG, Level.DEBUG, id, seq, "segment received: " + size + " bytes");
        if (segment == null) {
            complete(seq, error(seq, processor.tooLarge(size), arrival));
            return;
        }
        try {
            inProgress.acquire(); // pipelining limit: the reading thread waits here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            complete(seq, error(seq, new SegmentException(ErrorCode.INTERNAL, "session closing"), arrival));
            return;
        }
        Thread worker = Thread.ofVirtual().name("segment-" + id + "-" + seq).unstarted(() -> {
            try {
                process(seq, segment, arrival);
            } finally {
                workers.remove(Thread.currentThread());
                inProgress.release();
            }
        });
        workers.add(worker);
        worker.start();
    }

    private void process(long seq, byte[] segment, long arrival) {
        Reply reply;
        try {
            SegmentAudio audio = processor.process(segment, format, arrival);
            reply = new Reply(Protocol.json(Protocol.Result.of(seq, audio)), audio.bytes(), MetricNames.OUTCOME_OK,
                              arrival);
        } catch (SegmentException e) {
            reply = error(seq, e, arrival);
        } catch (InterruptedException e) {
            // the session is gone; its FFmpeg process has been killed and there is nobody to answer
            return;
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.ERROR, id, seq, "segment failed unexpectedly: " + e, e);
            reply = error(seq, new SegmentException(ErrorCode.INTERNAL, "internal error"), arrival);
        }
        complete(seq, reply);
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

    private void accepted() {
        sendLock.lock();
        try {
            unansweredHere++;
        } finally {
            sendLock.unlock();
        }
        registry.accepted();
    }

    /** Files the reply of one segment and sends every reply that is now next in order. */
    private void complete(long seq, Reply reply) {
        sendLock.lock();
        try {
            if (gone) {
                return;
            }
            ready.put(seq, reply);
            while (!ready.isEmpty() && ready.firstKey() == nextToSend) {
                Reply next = ready.pollFirstEntry().getValue();
                Logs.log(LOG, Level.DEBUG, id, nextToSend, "answered: " + next.outcome);
                nextToSend++;
                unansweredHere--;
                registry.answered(1);
                send(next);
            }
            closeIfDue();
        } finally {
            sendLock.unlock();
        }
    }

    private void send(Reply r) {
        if (gone || closeSent) {
            return;
        }
        try {
            session.send(r.json, true);
            if (r.audio != null) {
                session.send(BufferData.create(r.audio), true);
                metrics.messageOut(r.audio.length);
            }
            metrics.segmentAnswered(format, r.outcome, Duration.ofNanos(System.nanoTime() - r.arrivalNanos));
        } catch (RuntimeException e) {
            Logs.log(LOG, Level.DEBUG, id, -1, "send failed, client gone: " + e);
            gone();
        }
    }

    /** Closes the session with the given code as soon as every accepted segment has been answered. */
    void closeWhenAnswered(int code, String reason) {
        sendLock.lock();
        try {
            if (closeCode == 0) {
                closeCode = code;
                closeReason = reason;
            }
            closeIfDue();
        } finally {
            sendLock.unlock();
        }
    }

    private void closeIfDue() {
        if (closeCode == 0 || closeSent || unansweredHere > 0 || session == null) {
            return;
        }
        closeSent = true;
        Logs.log(LOG, Level.DEBUG, id, -1, "closing session: " + closeCode + " " + closeReason);
        try {
            session.close(closeCode, closeReason);
        } catch (RuntimeException e) {
            gone();
            return;
        }
        // If the client never answers the close frame, drop the connection.
        WsSession s = session;
        Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(CLOSE_HANDSHAKE);
            } catch (InterruptedException ignored) {
                return;
            }
            if (!gone && s instanceof ServerConnection sc) {
                sc.close(true);
            }
        });
    }

    /** The client went away: nobody to answer, so stop every segment of this session (which kills its FFmpeg). */
    private void gone() {
        sendLock.lock();
        int dropped;
        try {
            if (gone) {
                return;
            }
            gone = true;
            dropped = unansweredHere;
            unansweredHere = 0;
            ready.clear();
        } finally {
            sendLock.unlock();
        }
        registry.answered(dropped);
        for (Thread w : workers) {
            w.interrupt();
        }
        registry.remove(this);
        metrics.sessionClosed();
    }

    /** Called by the registry's sweep: notices connections that ended without a close frame (client vanished). */
    void checkConnection() {
        Thread t = connectionThread;
        if (t != null && !t.isAlive()) {
            Logs.log(LOG, Level.DEBUG, id, -1, "connection ended without a close frame");
            gone();
        }
    }

    long idleNanos(long now) {
        sendLock.lock();
        try {
            return unansweredHere > 0 ? 0 : now - lastMessageNanos;
        } finally {
            sendLock.unlock();
        }
    }
}
