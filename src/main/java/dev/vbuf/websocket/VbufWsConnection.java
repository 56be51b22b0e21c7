package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.spi.ServerConnection;

/**
 * vbuf's WebSocket connection: its threads, its lifecycle, the close handshake, and each frame's dispatch. It replaces
 * Helidon's {@code WsConnection} for vbuf's endpoint (see {@link VbufWsUpgradeProvider} for why) and hands the
 * application whole messages ({@link MessageHandler}). The codec's jobs have their own classes, as in Netty:
 * <ul>
 *     <li>{@link FrameDecoder} reads and checks each frame from the socket; every RFC 6455 rule a server must enforce
 *     is a {@link ProtocolViolation} (1002, 1007 for a close reason that is not UTF-8, 1009 for a frame over the frame
 *     limit) with a short reason in vbuf's words; no HTTP response and no exception text ever reaches an upgraded
 *     connection.</li>
 *     <li>{@link MessageAggregator} joins data frames into messages under the message caps, taking memory as the bytes
 *     arrive.</li>
 *     <li>{@link FrameEncoder} encodes the server's frames; this class writes each call's frames under a lock, a large
 *     payload straight from the caller's array (no copy).</li>
 *     <li>The reading thread: a platform thread of the connection's own ({@link #READER_STACK_BYTES} of stack),
 *     started by Helidon's virtual connection thread. A virtual thread whose socket read finds no data parks, re-arms
 *     the JDK's poller and is unparked by the poller's thread onto a carrier thread: with a player's upload (64 KiB
 *     frames at 20 Mbit/s, one or two waits per frame) that hand-off cost the server more CPU than reading the
 *     segment (12.8 vs 8.0 ms per paced 6-s segment, perf/README.md). A platform thread blocks in the kernel's
 *     {@code read} and is woken by it directly.</li>
 *     <li>The watchdog: Helidon's virtual connection thread itself, which waits for the reading thread on a latch (a
 *     virtual thread in {@code Thread.join()} of a platform thread sits in {@code Object.wait} inside
 *     {@code synchronized}, which pins its carrier thread on JDK 21-23: a few hundred sessions would pin them all).
 *     While it waits it enforces the message deadline ({@link MessageHandler#messageDeadline()}): a message that has
 *     not arrived whole in time is a 1008 violation, handed to the handler as any other, and the socket is closed
 *     once the handler's close frame is out, which ends the reading thread stuck inside the message and gives its
 *     memory back.</li>
 * </ul>
 * The handler is called by one thread at a time: the reading thread, which holds {@link #handlerLock} except while it
 * waits in a socket read, or the watchdog for an expired message (while the reading thread waits in that read).
 * Once the close frame has been sent, data frames are read and dropped and pings go unanswered (RFC 6455 5.5.1: only
 * the client's close frame matters then); the handler hears only of that close. An error the handler lets escape is
 * logged and the client gets 1011.
 */
final class VbufWsConnection implements ServerConnection, WsChannel, MessageAggregator.Watch {
    private static final System.Logger LOG = System.getLogger(VbufWsConnection.class.getName());
    /** Socket read size for headers and small frames. */
    static final int STAGING_BYTES = 64 * 1024;
    /** After a protocol violation, how long the handler has to answer and send its close frame. */
    private static final Duration VIOLATION_CLOSE_WAIT = Duration.ofSeconds(35);
    /**
     * After a violation in an intact frame header (a frame over the frame limit), how much of the frame at fault is
     * read and dropped so that the frames behind it, the client's close frame among them, are read as after any close
     * the server sends: a socket closed with unread bytes in it is reset (RFC 1122 4.2.2.13), and a reset can reach
     * the client before the close frame does (it then sees 1006 instead of 1009, and resumes). A larger frame gets the
     * socket closed as it is.
     */
    static final long LINGER_BYTES = 16L * 1024 * 1024;
    /** Stack of the reading thread: frame parsing and the handler's calls are shallow. */
    static final long READER_STACK_BYTES = 512 * 1024;
    /**
     * A binary payload up to this size is copied behind its header and written with it (one write, one packet: a
     * payload written on its own behind a small header would wait for the header's ACK where Nagle's algorithm is on);
     * a larger one is written from the caller's array as it is.
     */
    static final int COPIED_PAYLOAD_BYTES = 16 * 1024;
    /** Name of the reading threads (then the client's port). */
    static final String READER_THREAD_PREFIX = "ws-read-";
    /** {@link #messageSince} between messages. */
    private static final long NO_MESSAGE = Long.MIN_VALUE;
    /** Without a message deadline, how often the watchdog wakes (it has nothing to look at). */
    private static final long IDLE_WATCH_NANOS = Duration.ofHours(1).toNanos();
    /** Whether an uncaught error's stack trace has been logged (once per JVM; later ones are one line each). */
    private static final AtomicBoolean TRACE_LOGGED = new AtomicBoolean();

    private final ConnectionContext ctx;
    private final MessageHandler handler;
    private final Optional<String> subProtocol;
    private final HelidonSocket socket;
    private final FrameDecoder decoder;
    private final MessageAggregator messages;
    /** 0: no deadline. */
    private final long deadlineNanos;
    private final ReentrantLock writeLock = new ReentrantLock();
    /** Held by whichever thread calls the handler (see the class comment). */
    private final ReentrantLock handlerLock = new ReentrantLock();
    private final CountDownLatch closeWritten = new CountDownLatch(1);
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile boolean closeSent;
    private volatile boolean stopped;
    private volatile Thread readerThread;
    /** The reading thread is in (or about to enter) a socket read, which only closing the socket ends. */
    private volatile boolean inSocketRead;
    private volatile long lastActivityNanos = System.nanoTime();
    /** When the message being read began ({@link #NO_MESSAGE} between messages); written under the handler lock. */
    private volatile long messageSince = NO_MESSAGE;
    /** The message being read ran past its deadline and the handler was told; set under the handler lock. */
    private volatile boolean expired;

    VbufWsConnection(ConnectionContext ctx, MessageHandler handler, Optional<String> subProtocol, long maxFrameLength) {
        this.ctx = ctx;
        this.handler = handler;
        this.subProtocol = subProtocol;
        this.socket = ctx.serverSocket();
        this.deadlineNanos = handler.messageDeadline().map(Duration::toNanos).orElse(0L);
        this.decoder = new FrameDecoder(this::readSocket, maxFrameLength, STAGING_BYTES);
        this.messages = new MessageAggregator(decoder, handler, this);
        DataReader early = ctx.dataReader();
        if (early.available() > 0) { // frames the client sent right behind its upgrade request
            decoder.prepend(early.readBytes(early.available()));
        }
    }

    /** The decoder's source, on the reading thread: the handler lock is let go for the wait. */
    private int readSocket(byte[] b, int off, int len) throws IOException {
        inSocketRead = true;
        handlerLock.unlock();
        try {
            if (stopped) { // close() may have looked before this read began (see close)
                throw new EOFException("the connection was stopped");
            }
            return socket.read(new IntoArray(b, off, len));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            inSocketRead = false;
            handlerLock.lock();
            if (expired) { // the watchdog told the handler while this thread waited: nothing more is read
                throw new MessageExpired();
            }
        }
    }

    /** Ends the reading thread's work on a message past its deadline (the watchdog has told the handler). */
    private static final class MessageExpired extends IOException {
        MessageExpired() {
            super("message deadline passed", null);
        }
    }

    // --------------------------------------------------------------------------- the watchdog (Helidon's thread)

    @Override
    public void handle(Limit limit) {
        Thread reading = Thread.ofPlatform()
                .name(READER_THREAD_PREFIX + ctx.remotePeer().port())
                .daemon(true)
                .stackSize(READER_STACK_BYTES)
                .uncaughtExceptionHandler((t, e) -> LOG.log(Level.ERROR, "WebSocket reading thread failed: " + e))
                .unstarted(this::read);
        readerThread = reading;
        reading.start();
        boolean interrupted = false;
        while (true) {
            try {
                if (readerDone.await(untilNextLook(), TimeUnit.NANOSECONDS)) {
                    break;
                }
                enforceDeadline();
            } catch (InterruptedException e) { // Helidon stopping its executor: the reading thread stops too
                interrupted = true;
                close(true);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * How long the watchdog may sleep: until the message in progress is due, or a whole deadline when none is (a
     * message that begins meanwhile is due no sooner than that).
     */
    private long untilNextLook() {
        if (deadlineNanos == 0) {
            return IDLE_WATCH_NANOS;
        }
        long since = messageSince;
        return since == NO_MESSAGE || expired ? deadlineNanos : Math.max(1, since + deadlineNanos - System.nanoTime());
    }

    private void enforceDeadline() throws InterruptedException {
        long since = messageSince;
        if (deadlineNanos == 0 || expired || since == NO_MESSAGE || System.nanoTime() - since < deadlineNanos) {
            return;
        }
        handlerLock.lockInterruptibly(); // the reading thread lets go of it only in a socket read
        try {
            if (messageSince != since || stopped) {
                return; // the message ended meanwhile
            }
            expired = true;
            if (!closeSent) {
                handler.onProtocolViolation(new ProtocolViolation(
                        CloseCodes.POLICY_VIOLATION, "a message did not arrive whole within "
                                                     + TimeUnit.NANOSECONDS.toSeconds(deadlineNanos) + " s"));
            }
        } finally {
            handlerLock.unlock();
        }
        // the handler answers what it accepted, then sends its close frame; the client, inside a message, cannot
        // answer it, so the socket is closed then, which ends the reading thread's wait and gives its memory back
        closeWritten.await(VIOLATION_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        closeSocket();
    }

    // ----------------------------------------------------------------------------------------- the reading thread

    private void read() {
        handlerLock.lock();
        try {
            readUntilClosed();
        } finally {
            handlerLock.unlock();
            readerDone.countDown();
        }
    }

    private void readUntilClosed() {
        boolean closedByClient = false;
        try {
            handler.onOpen(this);
            closedByClient = readFrames();
        } catch (ProtocolViolation v) {
            if (!closeSent) {
                handler.onProtocolViolation(v);
            }
            awaitCloseFrame(); // nothing more is read; the handler answers what it accepted, then sends the close frame
            closedByClient = lingerAfter(v);
        } catch (MessageExpired e) {
            awaitCloseFrame(); // the watchdog told the handler, which is answering
        } catch (EOFException | UncheckedIOException e) {
            LOG.log(Level.DEBUG, "WebSocket connection ended: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "WebSocket connection failed: " + e);
        } catch (RuntimeException | Error e) {
            failed(e);
        } finally {
            messages.abandon(); // the connection may have ended mid-message: its buffer goes back
            if (!closedByClient) {
                try {
                    handler.onClose(CloseCodes.ABNORMAL, "the connection ended without a close frame");
                } catch (RuntimeException e) {
                    failed(e);
                }
            }
        }
    }

    /**
     * After the close frame for {@code v}: drops the rest of the frame at fault, and of any over-limit frame behind it
     * (up to {@link #LINGER_BYTES} in all), and reads frames until the client's close frame, as after any close frame the server sends; the handler's close handshake
     * bounds the wait ({@link WsChannel#abort} ends it). True when the client's close frame came.
     */
    private boolean lingerAfter(ProtocolViolation v) {
        if (!closeSent) {
            return false;
        }
        long budget = LINGER_BYTES;
        ProtocolViolation at = v;
        while (at.bytesToFrameEnd() >= 0 && at.bytesToFrameEnd() <= budget) {
            budget -= at.bytesToFrameEnd();
            try {
                decoder.skip(at.bytesToFrameEnd());
                return readFrames();
            } catch (ProtocolViolation next) {
                at = next; // e.g. the next over-limit frame of a pipelining client: dropped too, within the budget
            } catch (IOException | UncheckedIOException e) {
                LOG.log(Level.DEBUG, "WebSocket connection ended while closing: " + e.getMessage());
                return false;
            }
        }
        return false;
    }

    /** Waits until the handler's close frame is out (it answers what it accepted first), at most a while. */
    private void awaitCloseFrame() {
        handlerLock.unlock(); // the handler's sender may need nothing of it, but the watchdog may
        try {
            closeWritten.await(VIOLATION_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            handlerLock.lock();
        }
    }

    /**
     * The handler let an error escape (a bug, not the client's doing): logged once for this connection (with its stack
     * trace the first time in this JVM), and the client gets 1011 if the connection can still take a frame.
     */
    private void failed(Throwable e) {
        String what = "WebSocket session failed on the server's side; closing it with 1011: " + e;
        if (TRACE_LOGGED.compareAndSet(false, true)) {
            LOG.log(Level.ERROR, what, e);
        } else {
            LOG.log(Level.ERROR, what);
        }
        try {
            close(CloseCodes.INTERNAL_ERROR, "internal error");
        } catch (RuntimeException gone) {
            LOG.log(Level.DEBUG, "could not send the 1011 close frame: " + gone.getMessage());
        }
    }

    /**
     * Reads until the client's close frame (true) or the server stops the connection (false). The loop is entered once
     * per connection, so the JIT would compile it only by on-stack replacement, after tens of thousands of frames
     * (hours of a player's session); each frame is therefore read by {@link #readFrame}, which it compiles like any
     * method called that often.
     */
    private boolean readFrames() throws IOException, ProtocolViolation {
        while (!stopped) {
            if (readFrame()) {
                return true;
            }
        }
        return false;
    }

    /** Reads one frame; true when it was the client's close frame. */
    private boolean readFrame() throws IOException, ProtocolViolation {
        FrameDecoder.Header h = decoder.readHeader();
        long now = System.nanoTime();
        lastActivityNanos = now;
        if (closeSent) {
            return readAfterClose(h);
        }
        handler.onFrame(now);
        if (closeSent && h.opcode() != Opcodes.CLOSE) { // RFC 6455 1.4: after our close frame, only theirs matters
            messages.abandon(); // the message in progress, if any, is dropped (a no-op after the first time)
            decoder.skipPayload(h);
            return false;
        }
        switch (h.opcode()) {
            case Opcodes.CONTINUATION, Opcodes.TEXT, Opcodes.BINARY -> messages.add(h);
            case Opcodes.CLOSE -> {
                closeFromClient(FrameDecoder.close(decoder.readControl(h)));
                return true;
            }
            case Opcodes.PING -> handler.onPing(decoder.readControl(h));
            default -> handler.onPong(decoder.readControl(h));
        }
        return false;
    }

    /** After the close frame was sent: everything but the client's close frame is read and dropped. */
    private boolean readAfterClose(FrameDecoder.Header h) throws IOException, ProtocolViolation {
        switch (h.opcode()) {
            case Opcodes.CONTINUATION, Opcodes.TEXT, Opcodes.BINARY -> {
                messages.discard(h);
                messageSince = NO_MESSAGE;
            }
            case Opcodes.CLOSE -> {
                closeFromClient(FrameDecoder.close(decoder.readControl(h)));
                return true;
            }
            default -> decoder.readControl(h);
        }
        return false;
    }

    private void closeFromClient(FrameDecoder.Close close) {
        handler.onClose(close.code(), close.reason());
        if (!closeSent) { // echo it (RFC 6455 5.5.1); a close without a code is answered with a normal one
            try {
                close(close.code() == CloseCodes.NO_STATUS ? CloseCodes.NORMAL : close.code(), "");
            } catch (UncheckedIOException e) {
                LOG.log(Level.DEBUG, "could not answer the client's close frame: " + e.getMessage());
            }
        }
    }

    @Override
    public void began() {
        messageSince = System.nanoTime();
    }

    @Override
    public boolean mayDeliver() {
        messageSince = NO_MESSAGE;
        return !closeSent && !expired;
    }

    // ------------------------------------------------------------------------------------------------- writing

    @Override
    public void sendText(String text) {
        write(FrameEncoder.frame(Opcodes.TEXT, text.getBytes(StandardCharsets.UTF_8)), null);
    }

    @Override
    public void sendBinary(byte[] data) {
        if (data.length <= COPIED_PAYLOAD_BYTES) {
            write(FrameEncoder.frame(Opcodes.BINARY, data), null);
        } else {
            write(FrameEncoder.header(Opcodes.BINARY, data.length), data);
        }
    }

    @Override
    public void sendTextThenBinary(String text, byte[] data) {
        byte[] head = FrameEncoder.textThenBinaryHead(text, data.length);
        if (data.length <= COPIED_PAYLOAD_BYTES) {
            byte[] both = Arrays.copyOf(head, head.length + data.length);
            System.arraycopy(data, 0, both, head.length, data.length);
            write(both, null);
        } else {
            write(head, data);
        }
    }

    @Override
    public void pong(byte[] payload) {
        write(FrameEncoder.frame(Opcodes.PONG, payload), null);
    }

    @Override
    public void ping(byte[] payload) {
        write(FrameEncoder.frame(Opcodes.PING, payload), null);
    }

    @Override
    public void close(int code, String reason) {
        byte[] frame = FrameEncoder.close(code, reason);
        writeLock.lock();
        try {
            if (closeSent) {
                return;
            }
            closeSent = true;
            ctx.dataWriter().writeNow(BufferData.create(frame));
        } finally {
            writeLock.unlock();
            closeWritten.countDown();
        }
    }

    @Override
    public void abort() {
        close(true);
        closeSocket();
    }

    @Override
    public Optional<String> subProtocol() {
        return subProtocol;
    }

    /**
     * Writes {@code head}, then {@code payload} (if any) as it is: two socket writes under one lock, so frames from
     * different threads never interleave and a payload of many megabytes is not copied into one array with its header.
     */
    private void write(byte[] head, byte[] payload) {
        writeLock.lock();
        try {
            if (closeSent) {
                throw new IllegalStateException("the close frame has been sent");
            }
            ctx.dataWriter().writeNow(BufferData.create(head));
            if (payload != null && payload.length > 0) {
                ctx.dataWriter().writeNow(BufferData.create(payload));
            }
            lastActivityNanos = System.nanoTime();
        } finally {
            writeLock.unlock();
        }
    }

    // ------------------------------------------------------------------------------------------------ lifecycle

    @Override
    public Duration idleTime() {
        return Duration.ofNanos(System.nanoTime() - lastActivityNanos);
    }

    @Override
    public void close(boolean interrupt) {
        stopped = true;
        Thread t = readerThread;
        if (t != null && t != Thread.currentThread()) {
            t.interrupt(); // ends a wait in the handler (e.g. the pipelining limit)
            if (inSocketRead) { // a platform thread's socket read ends only when the socket closes
                closeSocket();
            }
        }
    }

    private void closeSocket() {
        try {
            socket.close();
        } catch (UncheckedIOException e) {
            // already gone
        }
    }
}
