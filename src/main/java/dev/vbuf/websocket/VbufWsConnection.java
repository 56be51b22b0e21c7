package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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
 *     <li>{@link MessageAggregator} joins data frames into messages under the message caps.</li>
 *     <li>{@link FrameEncoder} encodes the server's frames; this class writes each call's frames with one socket
 *     write, under a lock.</li>
 *     <li>The reading thread: a platform thread of the connection's own ({@link #READER_STACK_BYTES} of stack),
 *     started by Helidon's virtual connection thread, which waits for it. A virtual thread whose socket read finds no
 *     data parks, re-arms the JDK's poller and is unparked by the poller's thread onto a carrier thread: with a
 *     player's upload (64 KiB frames at 20 Mbit/s, one or two waits per frame) that hand-off cost the server more CPU
 *     than reading the segment (12.8 vs 8.0 ms per paced 6-s segment, perf/README.md). A platform thread blocks in
 *     the kernel's {@code read} and is woken by it directly.</li>
 * </ul>
 */
final class VbufWsConnection implements ServerConnection, WsChannel {
    private static final System.Logger LOG = System.getLogger(VbufWsConnection.class.getName());
    /** Socket read size for headers and small frames. */
    static final int STAGING_BYTES = 64 * 1024;
    /** After a protocol violation, how long the handler has to answer and send its close frame. */
    private static final Duration VIOLATION_CLOSE_WAIT = Duration.ofSeconds(35);
    /** Stack of the reading thread: frame parsing and the handler's calls are shallow. */
    static final long READER_STACK_BYTES = 512 * 1024;
    /** Name of the reading threads (then the client's port). */
    static final String READER_THREAD_PREFIX = "ws-read-";

    private final ConnectionContext ctx;
    private final MessageHandler handler;
    private final Optional<String> subProtocol;
    private final HelidonSocket socket;
    private final FrameDecoder decoder;
    private final MessageAggregator messages;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final CountDownLatch closeWritten = new CountDownLatch(1);
    /** The reading thread has ended (Helidon's virtual thread waits on it: a latch, not a join, see handle). */
    private final CountDownLatch readerDone = new CountDownLatch(1);
    private volatile boolean closeSent;
    private volatile boolean stopped;
    private volatile Thread readerThread;
    /** The reading thread is in (or about to enter) a socket read, which only closing the socket ends. */
    private volatile boolean inSocketRead;
    private volatile long lastActivityNanos = System.nanoTime();

    VbufWsConnection(ConnectionContext ctx, MessageHandler handler, Optional<String> subProtocol, long maxFrameLength) {
        this.ctx = ctx;
        this.handler = handler;
        this.subProtocol = subProtocol;
        this.socket = ctx.serverSocket();
        this.decoder = new FrameDecoder(this::readSocket, maxFrameLength, STAGING_BYTES);
        this.messages = new MessageAggregator(decoder, handler);
        DataReader early = ctx.dataReader();
        if (early.available() > 0) { // frames the client sent right behind its upgrade request
            decoder.prepend(early.readBytes(early.available()));
        }
    }

    private int readSocket(byte[] b, int off, int len) throws IOException {
        inSocketRead = true;
        try {
            if (stopped) { // close() may have looked before this read began (see close)
                throw new EOFException("the connection was stopped");
            }
            return socket.read(new IntoArray(b, off, len));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } finally {
            inSocketRead = false;
        }
    }

    @Override
    public void handle(Limit limit) {
        Thread reading = Thread.ofPlatform()
                .name(READER_THREAD_PREFIX + ctx.remotePeer().port())
                .daemon(true)
                .stackSize(READER_STACK_BYTES)
                .unstarted(() -> {
                    try {
                        readUntilClosed();
                    } finally {
                        readerDone.countDown();
                    }
                });
        readerThread = reading;
        reading.start();
        boolean interrupted = false;
        while (true) {
            try { // Thread.join waits in Object.wait, which pins a virtual thread's carrier on JDK 21-23; a latch parks
                readerDone.await();
                break;
            } catch (InterruptedException e) { // Helidon stopping its executor: the reading thread stops too
                interrupted = true;
                close(true);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void readUntilClosed() {
        handler.onOpen(this);
        boolean closedByClient = false;
        try {
            closedByClient = readFrames();
        } catch (ProtocolViolation v) {
            handler.onProtocolViolation(v);
            try { // nothing more is read; the handler answers what it accepted, then sends the close frame
                closeWritten.await(VIOLATION_CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } catch (EOFException | UncheckedIOException e) {
            LOG.log(Level.DEBUG, "WebSocket connection ended: " + e.getMessage());
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "WebSocket connection failed: " + e);
        } catch (RuntimeException | Error e) { // a fault of vbuf's: said once, no trace on stderr, 1011 if it can go
            LOG.log(Level.WARNING, "WebSocket reading stopped by an internal error: " + e);
            try {
                close(CloseCodes.INTERNAL_ERROR, "internal error");
            } catch (RuntimeException ignored) {
                // the socket is gone too
            }
        } finally {
            messages.abandon(); // the connection may have ended mid-message: its buffer goes back
            if (!closedByClient) {
                handler.onClose(CloseCodes.ABNORMAL, "the connection ended without a close frame");
            }
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

    // ------------------------------------------------------------------------------------------------- writing

    @Override
    public void sendText(String text) {
        write(FrameEncoder.frame(Opcodes.TEXT, text.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void sendBinary(byte[] data) {
        write(FrameEncoder.frame(Opcodes.BINARY, data));
    }

    @Override
    public void sendTextThenBinary(String text, byte[] data) {
        write(FrameEncoder.textThenBinary(text, data));
    }

    @Override
    public void pong(byte[] payload) {
        write(FrameEncoder.frame(Opcodes.PONG, payload));
    }

    @Override
    public void ping(byte[] payload) {
        write(FrameEncoder.frame(Opcodes.PING, payload));
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
        try {
            socket.close();
        } catch (UncheckedIOException e) {
            // already gone
        }
    }

    @Override
    public Optional<String> subProtocol() {
        return subProtocol;
    }

    private void write(byte[] frames) {
        writeLock.lock();
        try {
            if (closeSent) {
                throw new IllegalStateException("the close frame has been sent");
            }
            ctx.dataWriter().writeNow(BufferData.create(frames));
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
                try {
                    socket.close();
                } catch (UncheckedIOException e) {
                    // already gone
                }
            }
        }
    }
}
