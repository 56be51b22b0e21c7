package dev.vbuf.websocket;

import dev.vbuf.protocol.CloseCodes;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * vbuf's WebSocket connection: the one place frames are read, checked and written. It replaces Helidon's
 * {@code WsConnection} for vbuf's endpoint (see {@link VbufWsUpgradeProvider} for why) and hands the application
 * whole messages ({@link MessageHandler}).
 * <ul>
 *     <li>Reading: large socket reads into a staging buffer for headers and small frames; a data frame's payload is
 *     read straight into its own array and unmasked in place. Fragments of one message are joined once, at its end.
 *     A message over the handler's limit is read and dropped as it arrives.</li>
 *     <li>Checking: every RFC 6455 rule a server must enforce closes the connection with 1002 (1007 for a close
 *     reason that is not UTF-8, 1009 for a frame over the frame limit) and a short reason in vbuf's words; no HTTP
 *     response and no exception text ever reaches an upgraded connection.</li>
 *     <li>Writing: each call writes whole frames with one socket write, under a lock.</li>
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
    /** Text messages longer than this are dropped and reported by size (vbuf's text messages are small JSON). */
    static final int MAX_TEXT_BYTES = 64 * 1024;
    /** After a protocol violation, how long the handler has to answer and send its close frame. */
    private static final Duration VIOLATION_CLOSE_WAIT = Duration.ofSeconds(35);
    private static final int MAX_CLOSE_REASON_BYTES = 123;
    /** Stack of the reading thread: frame parsing and the handler's calls are shallow. */
    static final long READER_STACK_BYTES = 512 * 1024;
    /** Name of the reading threads (then the client's port). */
    static final String READER_THREAD_PREFIX = "ws-read-";

    private final ConnectionContext ctx;
    private final MessageHandler handler;
    private final Optional<String> subProtocol;
    private final HelidonSocket socket;
    private final FrameReader reader;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final CountDownLatch closeWritten = new CountDownLatch(1);
    private volatile boolean closeSent;
    private volatile boolean stopped;
    private volatile Thread readerThread;
    /** The reading thread is in (or about to enter) a socket read, which only closing the socket ends. */
    private volatile boolean inSocketRead;
    private volatile long lastActivityNanos = System.nanoTime();
    /** The message being read (read and written by the reading thread only). */
    private Message message;
    /** The size of the last binary message, to size the next one's buffer. */
    private long lastBinaryBytes;

    VbufWsConnection(ConnectionContext ctx, MessageHandler handler, Optional<String> subProtocol, long maxFrameLength) {
        this.ctx = ctx;
        this.handler = handler;
        this.subProtocol = subProtocol;
        this.socket = ctx.serverSocket();
        this.reader = new FrameReader(this::readSocket, maxFrameLength, STAGING_BYTES);
        DataReader early = ctx.dataReader();
        if (early.available() > 0) { // frames the client sent right behind its upgrade request
            reader.prepend(early.readBytes(early.available()));
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
                .unstarted(this::readUntilClosed);
        readerThread = reading;
        reading.start();
        boolean interrupted = false;
        while (true) {
            try {
                reading.join();
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
        } finally {
            if (message != null) {
                message.drop(); // the connection ended mid-message: its buffer goes back
                message = null;
            }
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
        FrameReader.Header h = reader.readHeader();
        lastActivityNanos = System.nanoTime();
        switch (h.opcode()) {
            case FrameReader.OP_CONTINUATION -> {
                if (message == null) {
                    throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR,
                                                "continuation frame without a message to continue");
                }
                message.add(h);
            }
            case FrameReader.OP_TEXT, FrameReader.OP_BINARY -> {
                if (message != null) {
                    throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR,
                                                "a new message began inside a fragmented one");
                }
                message = new Message(h.opcode() == FrameReader.OP_TEXT);
                message.add(h);
            }
            case FrameReader.OP_CLOSE -> {
                closeFromClient(control(h));
                return true;
            }
            case FrameReader.OP_PING -> handler.onPing(control(h));
            default -> control(h); // a pong: nothing to do
        }
        return false;
    }

    private byte[] control(FrameReader.Header h) throws IOException {
        byte[] payload = new byte[(int) h.length()];
        reader.readPayload(h, payload, 0);
        return payload;
    }

    private void closeFromClient(byte[] payload) throws ProtocolViolation {
        int code = CloseCodes.NO_STATUS;
        String reason = "";
        if (payload.length == 1) {
            throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "close frame with a 1-byte payload");
        }
        if (payload.length >= 2) {
            code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
            if (!CloseCodes.validOnTheWire(code)) {
                throw new ProtocolViolation(CloseCodes.PROTOCOL_ERROR, "close code " + code + " may not be sent");
            }
            reason = utf8(payload, 2, payload.length - 2)
                    .orElseThrow(() -> new ProtocolViolation(CloseCodes.INVALID_PAYLOAD,
                                                             "close reason is not valid UTF-8"));
        }
        handler.onClose(code, reason);
        if (!closeSent) { // echo it (RFC 6455 5.5.1); a close without a code is answered with a normal one
            try {
                close(code == CloseCodes.NO_STATUS ? CloseCodes.NORMAL : code, "");
            } catch (UncheckedIOException e) {
                LOG.log(Level.DEBUG, "could not answer the client's close frame: " + e.getMessage());
            }
        }
    }

    private static Optional<String> utf8(byte[] b, int off, int len) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b, off, len));
            return Optional.of(chars.toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** One data message being read, frame by frame. */
    private final class Message {
        private final boolean text;
        private final long limit;
        /** Text: its frames, joined at the end (text messages are small). */
        private final List<byte[]> parts = new ArrayList<>(1);
        /** Binary: the handler's buffer, read into directly; it grows (rarely) by moving to a larger one. */
        private byte[] buffer;
        private long size;
        private boolean tooLarge;
        private boolean refused;

        Message(boolean text) {
            this.text = text;
            this.limit = text ? MAX_TEXT_BYTES : handler.maxMessageBytes();
        }

        /** Reads one frame of the message; true when it was the last one (the message has been delivered). */
        boolean add(FrameReader.Header h) throws IOException, ProtocolViolation {
            if (!tooLarge && !refused && size + h.length() > limit) {
                tooLarge = true;
                drop();
            }
            if (tooLarge || refused) {
                reader.skipPayload(h);
            } else if (text) {
                if (h.length() > 0) {
                    byte[] part = new byte[(int) h.length()];
                    reader.readPayload(h, part, 0);
                    parts.add(part);
                }
            } else if (room(h)) {
                reader.readPayload(h, buffer, (int) size);
            } else {
                refused = true;
                drop();
                reader.skipPayload(h);
            }
            size += h.length();
            if (!h.fin()) {
                return false;
            }
            message = null;
            deliver();
            return true;
        }

        /**
         * Makes room in the buffer for this frame. A message's first buffer is sized for the whole message when this
         * is its only frame, else for the last message this connection sent (players send segments of similar size),
         * so a fragmented segment is read without moving it.
         */
        private boolean room(FrameReader.Header h) {
            long need = size + h.length();
            if (buffer != null && buffer.length >= need) {
                return true;
            }
            long want = buffer == null && !h.fin() ? Math.max(need, lastBinaryBytes) : need;
            if (buffer != null) {
                want = Math.max(need, 2L * buffer.length);
            }
            byte[] bigger = handler.acquireBuffer((int) Math.min(want, limit));
            if (bigger == null || bigger.length < need) {
                if (bigger != null) {
                    handler.releaseBuffer(bigger);
                }
                return false;
            }
            if (buffer != null) {
                System.arraycopy(buffer, 0, bigger, 0, (int) size);
                handler.releaseBuffer(buffer);
            }
            buffer = bigger;
            return true;
        }

        /** Gives back what the message holds (it is being dropped, or the connection ended). */
        void drop() {
            parts.clear();
            if (buffer != null) {
                handler.releaseBuffer(buffer);
                buffer = null;
            }
        }

        private void deliver() throws ProtocolViolation {
            if (!text) {
                lastBinaryBytes = size;
            }
            if (tooLarge) {
                if (text) {
                    handler.onText(null, size);
                } else {
                    handler.onTooLarge(size);
                }
            } else if (refused) {
                handler.onRefused(size);
            } else if (text) {
                byte[] whole = join();
                String s = utf8(whole, 0, whole.length).orElseThrow(
                        () -> new ProtocolViolation(CloseCodes.INVALID_PAYLOAD, "text message is not valid UTF-8"));
                handler.onText(s, size);
            } else {
                byte[] b = buffer != null ? buffer : handler.acquireBuffer(0);
                buffer = null;
                if (b == null) { // an empty message with no buffer to be had
                    handler.onRefused(0);
                } else {
                    handler.onBinary(b, (int) size);
                }
            }
        }

        private byte[] join() {
            if (parts.size() == 1) {
                return parts.get(0);
            }
            byte[] whole = new byte[(int) size];
            int off = 0;
            for (byte[] p : parts) {
                System.arraycopy(p, 0, whole, off, p.length);
                off += p.length;
            }
            return whole;
        }
    }

    // ------------------------------------------------------------------------------------------------- writing

    @Override
    public void sendText(String text) {
        write(frame(0x1, text.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void sendBinary(byte[] data) {
        write(frame(0x2, data));
    }

    @Override
    public void sendTextThenBinary(String text, byte[] data) {
        byte[] t = text.getBytes(StandardCharsets.UTF_8);
        int th = headerLength(t.length);
        int bh = headerLength(data.length);
        byte[] both = new byte[th + t.length + bh + data.length];
        writeHeader(both, 0, 0x1, t.length);
        System.arraycopy(t, 0, both, th, t.length);
        writeHeader(both, th + t.length, 0x2, data.length);
        System.arraycopy(data, 0, both, th + t.length + bh, data.length);
        write(both);
    }

    @Override
    public void pong(byte[] payload) {
        write(frame(0xA, payload));
    }

    @Override
    public void close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_CLOSE_REASON_BYTES);
        while (n < r.length && n > 0 && (r[n] & 0xC0) == 0x80) {
            n--; // never cut a UTF-8 sequence in two
        }
        byte[] payload = new byte[2 + n];
        payload[0] = (byte) (code >> 8);
        payload[1] = (byte) code;
        System.arraycopy(r, 0, payload, 2, n);
        writeLock.lock();
        try {
            if (closeSent) {
                return;
            }
            closeSent = true;
            ctx.dataWriter().writeNow(BufferData.create(frame(0x8, payload)));
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

    private static byte[] frame(int opcode, byte[] payload) {
        int h = headerLength(payload.length);
        byte[] f = new byte[h + payload.length];
        writeHeader(f, 0, opcode, payload.length);
        System.arraycopy(payload, 0, f, h, payload.length);
        return f;
    }

    private static int headerLength(int payloadLength) {
        return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
    }

    /** A final, unmasked server frame header. */
    private static void writeHeader(byte[] b, int at, int opcode, int length) {
        b[at] = (byte) (0x80 | opcode);
        if (length < 126) {
            b[at + 1] = (byte) length;
        } else if (length < 65536) {
            b[at + 1] = 126;
            b[at + 2] = (byte) (length >>> 8);
            b[at + 3] = (byte) length;
        } else {
            b[at + 1] = 127;
            for (int i = 0; i < 8; i++) {
                b[at + 2 + i] = (byte) ((long) length >>> (56 - 8 * i));
            }
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
