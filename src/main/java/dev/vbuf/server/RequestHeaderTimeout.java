package dev.vbuf.server;

import dev.vbuf.websocket.UpgradeHeaders;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.concurrency.limits.Limit;
import io.helidon.common.task.InterruptableTask;
import io.helidon.http.Headers;
import io.helidon.http.Status;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.Http1Config;
import io.helidon.webserver.http1.Http1ConnectionListener;
import io.helidon.webserver.spi.ProtocolConfig;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.spi.ServerConnectionSelector;
import io.helidon.webserver.spi.ServerConnectionSelectorProvider;

/**
 * Closes HTTP/1 connections that do not complete a request line and its headers in time.
 *
 * <p>Helidon 4.2 has one idle reaper per listener, with one threshold for every connection: vbuf must set it above the
 * WebSocket session timeout (an hour), so on its own it would keep a connection that sends half a request line for
 * that long. Helidon sets no socket read timeout on server connections either. This class therefore wraps Helidon's
 * own HTTP/1 connection and keeps, per connection, when it began waiting for a request:
 * <ul>
 *     <li>from the accept, and again from the end of each response, the connection is <em>waiting</em>: if its request
 *     line and headers are not all in within the timeout, it is closed (no response: there is no request to answer);
 *     </li>
 *     <li>once the headers are in (Helidon's receive listener reports them) the connection is <em>in a request</em>
 *     and exempt: a slow but progressing body, the handler's own time, and a WebSocket session after its upgrade
 *     (which never returns to HTTP/1) are not cut by this;</li>
 *     <li>a response started (the send listener reports its status) and Helidon's connection is back at reading a
 *     request line ({@link InterruptableTask#canInterrupt()}): waiting again, from that moment. An upgrade vbuf
 *     accepts writes its 101 itself, not through Helidon's response, so an upgraded connection stays exempt; a
 *     refused upgrade is answered as plain HTTP and waits again like any other request.</li>
 * </ul>
 * One ticker (a virtual thread, started with the first connection and ending when there are none) checks the
 * deadlines every quarter of the timeout (at most every second). A connection past its deadline is closed the way
 * Helidon's own reaper closes one (its reading thread is interrupted), and its socket is closed on the next tick if
 * it is still there.
 */
final class RequestHeaderTimeout {
    private static final System.Logger LOG = System.getLogger(RequestHeaderTimeout.class.getName());
    private static final String HTTP1 = "http_1_1";

    private static final int WAITING = 0;
    private static final int IN_REQUEST = 1;
    private static final int RESPONDED = 2;

    private final long timeoutNanos;
    private final long tickMillis;
    private final Map<ConnectionContext, Watched> watched = new ConcurrentHashMap<>();
    private final AtomicBoolean ticking = new AtomicBoolean();
    private final AtomicLong closed = new AtomicLong();

    RequestHeaderTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
        this.tickMillis = Math.clamp(timeout.toMillis() / 4, 20, 1000);
    }

    /**
     * The HTTP/1 connection selector for a listener: Helidon's own (with the upgrades the given protocol
     * configurations enable, found as Helidon finds them), each of its connections watched by this timeout. It must
     * be the listener's only selector (protocol discovery off, no {@link Http1Config} among the protocols): Helidon
     * then hands every accepted socket to it at once, before reading a byte, so a connection that sends nothing is
     * watched too.
     */
    ServerConnectionSelector http1(String listenerName, List<ProtocolConfig> upgrades) {
        Http1ConnectionListener receive = new Http1ConnectionListener() {
            @Override
            public void headers(ConnectionContext ctx, Headers headers) {
                // here, as Helidon 4.2 calls only a listener that is alone in its list
                UpgradeHeaders.normalise(headers);
                Watched w = watched.get(ctx);
                if (w != null) {
                    w.state.set(IN_REQUEST);
                }
            }
        };
        Http1ConnectionListener send = new Http1ConnectionListener() {
            @Override
            public void status(ConnectionContext ctx, Status status) {
                Watched w = watched.get(ctx);
                if (w != null) {
                    w.state.compareAndSet(IN_REQUEST, RESPONDED);
                }
            }
        };
        Http1Config config = Http1Config.builder().addReceiveListener(receive).addSendListener(send).build();
        ServerConnectionSelector helidons = helidonHttp1().create(listenerName, config, ProtocolConfigs.create(upgrades));
        return new ServerConnectionSelector() {
            @Override
            public int bytesToIdentifyConnection() {
                return helidons.bytesToIdentifyConnection();
            }

            @Override
            public Support supports(BufferData request) {
                return helidons.supports(request);
            }

            @Override
            public Set<String> supportedApplicationProtocols() {
                return helidons.supportedApplicationProtocols();
            }

            @Override
            public ServerConnection connection(ConnectionContext ctx) {
                return new Watched(ctx, helidons.connection(ctx));
            }
        };
    }

    @SuppressWarnings("unchecked")
    private static ServerConnectionSelectorProvider<Http1Config> helidonHttp1() {
        for (ServerConnectionSelectorProvider<?> p : ServiceLoader.load(ServerConnectionSelectorProvider.class)) {
            if (HTTP1.equals(p.protocolType()) && p.protocolConfigType() == Http1Config.class) {
                return (ServerConnectionSelectorProvider<Http1Config>) p;
            }
        }
        throw new IllegalStateException("Helidon's HTTP/1 connection provider is not on the class path");
    }

    /** Connections closed by this timeout so far. */
    long closedConnections() {
        return closed.get();
    }

    /** Connections watched now (open HTTP/1 connections, upgraded ones included). */
    int watchedConnections() {
        return watched.size();
    }

    private void startTicker() {
        if (ticking.compareAndSet(false, true)) {
            Thread.ofVirtual().name("vbuf-request-header-timeout").start(this::tick);
        }
    }

    private void tick() {
        while (true) {
            try {
                Thread.sleep(tickMillis);
            } catch (InterruptedException e) {
                ticking.set(false);
                return;
            }
            long now = System.nanoTime();
            watched.values().forEach(w -> w.check(now));
            if (watched.isEmpty()) {
                ticking.set(false);
                // a connection registered between the check and the flag sees ticking=false and starts a new one;
                // one registered before the flag was cleared is seen here
                if (watched.isEmpty() || !ticking.compareAndSet(false, true)) {
                    return;
                }
            }
        }
    }

    /** Helidon's HTTP/1 connection with its request-header deadline. */
    private final class Watched implements ServerConnection, InterruptableTask<Void> {
        private final ConnectionContext ctx;
        private final ServerConnection http1;
        private final AtomicInteger state = new AtomicInteger(WAITING);
        private volatile long waitingSince = System.nanoTime();
        private volatile boolean expired;

        Watched(ConnectionContext ctx, ServerConnection http1) {
            this.ctx = ctx;
            this.http1 = http1;
        }

        @Override
        public void handle(Limit limit) throws InterruptedException {
            watched.put(ctx, this);
            startTicker();
            try {
                http1.handle(limit);
            } finally {
                watched.remove(ctx);
            }
        }

        @SuppressWarnings("removal")
        @Override
        public void handle(Semaphore requestSemaphore) throws InterruptedException {
            watched.put(ctx, this);
            startTicker();
            try {
                http1.handle(requestSemaphore);
            } finally {
                watched.remove(ctx);
            }
        }

        void check(long now) {
            if (state.get() == RESPONDED && canInterrupt() && state.compareAndSet(RESPONDED, WAITING)) {
                waitingSince = now; // the response is out and the connection reads the next request line
                return;
            }
            if (state.get() != WAITING || now - waitingSince <= timeoutNanos) {
                return;
            }
            if (!expired) {
                expired = true;
                closed.incrementAndGet();
                LOG.log(Level.DEBUG, () -> "closing connection " + ctx.childSocketId() + " from "
                                           + ctx.remotePeer().address() + ": no complete request line and headers within "
                                           + Duration.ofNanos(timeoutNanos).toMillis() + " ms");
                http1.close(true);
            } else {
                ctx.serverSocket().close(); // still here a tick later: the reading thread did not react
            }
        }

        @Override
        public boolean canInterrupt() {
            return http1 instanceof InterruptableTask<?> t && t.canInterrupt();
        }

        @Override
        public Duration idleTime() {
            return http1.idleTime();
        }

        @Override
        public void close(boolean interrupt) {
            http1.close(interrupt);
        }
    }
}
