package dev.vbuf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy between a real client and a real server that breaks connections the way networks and
 * platforms do: it closes a connection without a WebSocket close frame at a connection age (what Cloud Run does at a
 * revision's {@code timeoutSeconds}), resets it (RST: {@code SO_LINGER} 0) at an age, stalls both directions for a
 * while, and slices every write into small pieces; it can also put a WebSocket message of its own into what the server
 * sends (a goaway a server without one would never send). Ages are fixed or drawn from a range with a seeded generator, one
 * per connection in the order they are accepted, so a run's faults can be told again. Every accepted connection gets
 * the faults (HTTP requests too, as a browser's would through the same proxy).
 */
public final class FaultProxy implements AutoCloseable {
    /** What happens to a connection at its age. */
    public enum Fault {
        /** Both sockets closed normally: the peers see the stream end, with no WebSocket close frame. */
        CUT,
        /** Both sockets closed with {@code SO_LINGER} 0: the peers see a connection reset. */
        RESET
    }

    /** One fault that happened: which connection (in accept order), at what age. */
    public record Event(int connection, Fault fault, Duration age) {
    }

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Fault fault;
    private final Duration minAge;
    private final Duration maxAge;
    private final Random random;
    private final int sliceBytes;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final List<Event> events = new CopyOnWriteArrayList<>();
    private final List<Duration> ages = new CopyOnWriteArrayList<>();
    private final AtomicLong writes = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<byte[]> toClient =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicInteger injected = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long stallUntilNanos = System.nanoTime();
    private volatile boolean closed;
    private int accepted;

    private FaultProxy(Builder b) throws IOException {
        this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), b.upstreamPort);
        this.fault = b.fault;
        this.minAge = b.minAge;
        this.maxAge = b.maxAge;
        this.random = new Random(b.seed);
        this.sliceBytes = b.sliceBytes;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("fault-proxy-accept").start(this::accept);
    }

    /** A proxy to {@code 127.0.0.1:upstreamPort}; without faults until the builder adds some. */
    public static Builder to(int upstreamPort) {
        return new Builder(upstreamPort);
    }

    public static final class Builder {
        private final int upstreamPort;
        private Fault fault;
        private Duration minAge;
        private Duration maxAge;
        private long seed = 1;
        private int sliceBytes;

        private Builder(int upstreamPort) {
            this.upstreamPort = upstreamPort;
        }

        /** Closes each connection at an age drawn uniformly from {@code [min, max]} (min = max for a fixed one). */
        public Builder cutAtAge(Duration min, Duration max) {
            return fault(Fault.CUT, min, max);
        }

        /** Resets each connection (RST) at an age drawn uniformly from {@code [min, max]}. */
        public Builder resetAtAge(Duration min, Duration max) {
            return fault(Fault.RESET, min, max);
        }

        private Builder fault(Fault f, Duration min, Duration max) {
            if (max.compareTo(min) < 0) {
                throw new IllegalArgumentException("max age " + max + " < min age " + min);
            }
            this.fault = f;
            this.minAge = min;
            this.maxAge = max;
            return this;
        }

        /** The seed of the ages drawn. */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Forwards every write in pieces of at most {@code bytes}. */
        public Builder sliceWrites(int bytesPerWrite) {
            if (bytesPerWrite < 1) {
                throw new IllegalArgumentException("slices of at least 1 byte");
            }
            this.sliceBytes = bytesPerWrite;
            return this;
        }

        public FaultProxy start() throws IOException {
            return new FaultProxy(this);
        }
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Forwards nothing, in either direction, for {@code d} from now (the bytes wait in the sockets). */
    public void stall(Duration d) {
        stallUntilNanos = System.nanoTime() + d.toNanos();
    }

    /**
     * Puts a WebSocket text message of the proxy's own into what the server sends, right after the next binary message
     * of the server's on any connection (so between two vbuf replies): e.g. a goaway the server did not send.
     */
    public void injectToClient(String text) {
        toClient.set(ServerFrames.textFrame(text));
    }

    /** Messages put in by {@link #injectToClient} so far. */
    public int injected() {
        return injected.get();
    }

    /** The faults that happened so far. */
    public List<Event> events() {
        return List.copyOf(events);
    }

    /** The age drawn for each connection, in accept order (whether or not it lived that long). */
    public List<Duration> ages() {
        return List.copyOf(ages);
    }

    public int connections() {
        synchronized (this) {
            return accepted;
        }
    }

    /** Writes forwarded (a sliced write counts once per piece). */
    public long writes() {
        return writes.get();
    }

    /** Bytes forwarded, both directions. */
    public long bytes() {
        return bytes.get();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            int n;
            Duration age = null;
            synchronized (this) {
                n = accepted++;
                if (fault != null) {
                    long span = maxAge.toNanos() - minAge.toNanos();
                    age = minAge.plusNanos(span == 0 ? 0 : (long) (random.nextDouble() * span));
                    ages.add(age);
                }
            }
            Socket server = new Socket();
            try {
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                server.connect(upstream, 5_000);
            } catch (IOException e) {
                quietly(client, false);
                quietly(server, false);
                continue;
            }
            open.add(client);
            open.add(server);
            java.util.concurrent.atomic.AtomicInteger pumps = new java.util.concurrent.atomic.AtomicInteger(2);
            Thread.ofVirtual().name("fault-proxy-up-" + n).start(() -> pump(client, server, pumps, null));
            Thread.ofVirtual().name("fault-proxy-down-" + n)
                    .start(() -> pump(server, client, pumps, new ServerFrames()));
            if (age != null) {
                Duration at = age;
                int id = n;
                Thread.ofVirtual().name("fault-proxy-fault-" + n).start(() -> breakAt(id, at, client, server));
            }
        }
    }

    private void breakAt(int id, Duration age, Socket client, Socket server) {
        try {
            TimeUnit.NANOSECONDS.sleep(age.toNanos());
        } catch (InterruptedException e) {
            return;
        }
        if (client.isClosed() && server.isClosed()) {
            return; // ended before its age
        }
        events.add(new Event(id, fault, age));
        boolean reset = fault == Fault.RESET;
        quietly(client, reset);
        quietly(server, reset);
    }

    /**
     * One direction; the sockets are closed when both directions ended, or at once when one fails.
     *
     * @param frames for the server's direction, where its binary messages end (a message to put in goes there)
     */
    private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicInteger pumps, ServerFrames frames) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                awaitStall();
                int off = 0;
                while (off < n) {
                    int end = frames == null ? -1 : frames.messageEnd(buf, off, n);
                    forward(out, buf, off, end < 0 ? n : end);
                    if (end >= 0) {
                        byte[] extra = toClient.getAndSet(null);
                        if (extra != null) {
                            forward(out, extra, 0, extra.length);
                            injected.incrementAndGet();
                        }
                    }
                    off = end < 0 ? n : end;
                }
            }
            to.shutdownOutput(); // the peer ended its side: pass the end on
            if (pumps.decrementAndGet() == 0) {
                quietly(from, false);
                quietly(to, false);
            }
        } catch (IOException | InterruptedException e) {
            quietly(from, false);
            quietly(to, false);
        }
    }

    private void forward(OutputStream out, byte[] buf, int from, int to) throws IOException {
        int step = sliceBytes > 0 ? sliceBytes : Math.max(1, to - from);
        for (int off = from; off < to; off += step) {
            int len = Math.min(step, to - off);
            writes.incrementAndGet(); // counted first: a reader may see the bytes before this thread goes on
            bytes.addAndGet(len);
            out.write(buf, off, len);
            out.flush();
        }
    }

    private void awaitStall() throws InterruptedException {
        long left;
        while ((left = stallUntilNanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
        }
    }

    private void quietly(Socket s, boolean reset) {
        try {
            if (reset && !s.isClosed()) {
                s.setSoLinger(true, 0);
            }
            s.close();
        } catch (IOException ignored) {
            // already gone
        }
        open.remove(s);
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // best effort
        }
        for (Socket s : new ArrayList<>(open)) {
            quietly(s, false);
        }
    }
}
