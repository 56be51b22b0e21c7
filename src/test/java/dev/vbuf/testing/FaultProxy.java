package dev.vbuf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy in front of a test server that breaks connections the way networks do, over real sockets:
 * it ends a connection at a given age without a WebSocket close frame (a plain FIN both ways, what an idle-timeout
 * load balancer does) or with a reset (SO_LINGER 0, what a dead NAT entry or a killed peer looks like), stalls both
 * directions for a while, and cuts every write into small slices (so a frame arrives in pieces). Ages are drawn from
 * a seeded random generator: a failing run repeats with its seed.
 */
public final class FaultProxy implements AutoCloseable {
    /** How each connection ends, if the proxy ends it. */
    public enum Ending {
        /** The connection lives until either side ends it. */
        NONE,
        /** Both sockets closed at the drawn age: the peers read end of stream, no close frame. */
        CUT,
        /** Both sockets reset at the drawn age. */
        RESET
    }

    /**
     * @param ending      what happens at the drawn age
     * @param minAgeMs    the earliest connection age for the ending
     * @param maxAgeMs    the latest (equal to {@code minAgeMs} for a fixed age)
     * @param stallAtMs   connection age at which both directions stop forwarding, or -1 for never
     * @param stallForMs  how long they stay stopped
     * @param sliceBytes  the largest piece one write forwards (0: as read)
     * @param seed        the random generator's seed
     */
    public record Faults(Ending ending, long minAgeMs, long maxAgeMs, long stallAtMs, long stallForMs, int sliceBytes,
                         long seed) {
        public static Faults cutEvery(long minAgeMs, long maxAgeMs, long seed) {
            return new Faults(Ending.CUT, minAgeMs, maxAgeMs, -1, 0, 0, seed);
        }

        public static Faults resetEvery(long minAgeMs, long maxAgeMs, long seed) {
            return new Faults(Ending.RESET, minAgeMs, maxAgeMs, -1, 0, 0, seed);
        }

        public static Faults none() {
            return new Faults(Ending.NONE, 0, 0, -1, 0, 0, 0);
        }

        public Faults sliced(int bytes) {
            return new Faults(ending, minAgeMs, maxAgeMs, stallAtMs, stallForMs, bytes, seed);
        }

        public Faults stalled(long atMs, long forMs) {
            return new Faults(ending, minAgeMs, maxAgeMs, atMs, forMs, sliceBytes, seed);
        }
    }

    private final ServerSocket listener;
    private final int targetPort;
    private final Faults faults;
    private final SplittableRandom random;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger cuts = new AtomicInteger();
    private final AtomicInteger resets = new AtomicInteger();
    private volatile boolean closed;

    private FaultProxy(int targetPort, Faults faults) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.faults = faults;
        this.random = new SplittableRandom(faults.seed());
        Thread.ofVirtual().name("fault-proxy-accept").start(this::accept);
    }

    /** A proxy on an ephemeral loopback port in front of {@code 127.0.0.1:targetPort}. */
    public static FaultProxy start(int targetPort, Faults faults) throws IOException {
        return new FaultProxy(targetPort, faults);
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Connections the proxy ended without a close frame. */
    public int cuts() {
        return cuts.get();
    }

    /** Connections the proxy reset. */
    public int resets() {
        return resets.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                connections.incrementAndGet();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                open.add(client);
                open.add(server);
                long age;
                synchronized (random) {
                    age = faults.minAgeMs() + (faults.maxAgeMs() > faults.minAgeMs()
                            ? random.nextLong(faults.maxAgeMs() - faults.minAgeMs() + 1) : 0);
                }
                Link link = new Link(client, server, System.nanoTime());
                Thread.ofVirtual().start(() -> link.pump(client, server));
                Thread.ofVirtual().start(() -> link.pump(server, client));
                if (faults.ending() != Ending.NONE) {
                    Thread.ofVirtual().start(() -> link.endAt(age));
                }
            } catch (IOException e) {
                if (!closed) {
                    sleepQuietly(10); // a refused upstream: the client sees its connection closed
                }
            }
        }
    }

    /** One proxied connection: its two sockets and its stall. */
    private final class Link {
        private final Socket client;
        private final Socket server;
        private final long bornNanos;
        private final AtomicInteger ended = new AtomicInteger();

        Link(Socket client, Socket server, long bornNanos) {
            this.client = client;
            this.server = server;
            this.bornNanos = bornNanos;
        }

        void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    stallIfDue();
                    int step = faults.sliceBytes() > 0 ? faults.sliceBytes() : n;
                    for (int off = 0; off < n; off += step) {
                        out.write(buffer, off, Math.min(step, n - off));
                        out.flush();
                    }
                }
                to.shutdownOutput(); // pass the end of stream on
                if (ended.incrementAndGet() == 2) {
                    closeBoth(false);
                }
            } catch (IOException e) {
                closeBoth(false); // one side reset or closed: the other learns it too
            }
        }

        private void stallIfDue() {
            if (faults.stallAtMs() < 0) {
                return;
            }
            long ageMs = (System.nanoTime() - bornNanos) / 1_000_000;
            long until = faults.stallAtMs() + faults.stallForMs();
            if (ageMs >= faults.stallAtMs() && ageMs < until) {
                sleepQuietly(until - ageMs);
            }
        }

        void endAt(long ageMs) {
            long waitMs = ageMs - (System.nanoTime() - bornNanos) / 1_000_000;
            if (waitMs > 0) {
                sleepQuietly(waitMs);
            }
            if (client.isClosed() && server.isClosed()) {
                return;
            }
            if (faults.ending() == Ending.RESET) {
                resets.incrementAndGet();
                closeBoth(true);
            } else {
                cuts.incrementAndGet();
                closeBoth(false);
            }
        }

        private void closeBoth(boolean reset) {
            for (Socket s : List.of(client, server)) {
                try {
                    if (reset && !s.isClosed()) {
                        s.setSoLinger(true, 0);
                    }
                    s.close();
                } catch (SocketException e) {
                    // already closed
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                open.remove(s);
            }
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
