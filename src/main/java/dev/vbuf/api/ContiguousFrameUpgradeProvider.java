package dev.vbuf.api;

import java.util.Optional;
import java.util.concurrent.ExecutorService;

import io.helidon.common.Weight;
import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.CompositeBufferData;
import io.helidon.common.buffers.DataReader;
import io.helidon.common.buffers.DataWriter;
import io.helidon.common.socket.HelidonSocket;
import io.helidon.common.socket.PeerInfo;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ListenerContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.ProxyProtocolData;
import io.helidon.webserver.Router;
import io.helidon.webserver.http1.spi.Http1UpgradeProvider;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsUpgrader;

/**
 * Helidon's own WebSocket upgrade and connection, given a reader that hands out each frame's payload as one contiguous
 * array.
 *
 * <p>Why: Helidon 4.2 reads the socket in 8 KiB chunks, returns a frame's payload as a list of those chunks, and then
 * unmasks it one byte at a time through {@code CompositeListBufferData.read()}, which walks the list from the start for
 * every byte. For a 2 MB segment that was ~80 % of the server's CPU samples and ~40 ms of added latency, and the cost
 * grows with the square of the frame size. Copying the chunks into one array first (a bulk copy) makes the unmask
 * loop run over a plain array. Everything else (handshake, origin checks, frame parsing, limits, close handling) is
 * Helidon's code, unchanged.
 *
 * <p>Registered through {@code META-INF/services} with a weight above Helidon's {@code WsUpgradeProvider}, which then
 * loses the "websocket" protocol to this one.
 */
@Weight(ContiguousFrameUpgradeProvider.WEIGHT)
public final class ContiguousFrameUpgradeProvider implements Http1UpgradeProvider<WsConfig> {
    /** Above Helidon's default weight (100). */
    static final double WEIGHT = 200;

    /** For the service loader. */
    public ContiguousFrameUpgradeProvider() {
    }

    @Override
    public String protocolType() {
        return "websocket";
    }

    @Override
    public Class<WsConfig> protocolConfigType() {
        return WsConfig.class;
    }

    @Override
    public Http1Upgrader create(WsConfig config, ProtocolConfigs configs) {
        return new Upgrader(config);
    }

    static final class Upgrader extends WsUpgrader {
        Upgrader(WsConfig config) {
            super(config);
        }

        @Override
        public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
            return super.upgrade(new Context(ctx, new ContiguousDataReader(ctx.dataReader())), prologue, headers);
        }
    }

    /** A data reader on top of the connection's own that returns multi-chunk reads as one array. */
    static final class ContiguousDataReader extends DataReader {
        ContiguousDataReader(DataReader source) {
            super(() -> {
                try {
                    BufferData chunk = source.readBuffer();
                    byte[] bytes = new byte[chunk.available()];
                    chunk.read(bytes);
                    return bytes;
                } catch (InsufficientDataAvailableException e) {
                    return null; // the socket closed: this reader reports it the same way
                }
            });
        }

        @Override
        public BufferData readBuffer(int length) {
            BufferData data = super.readBuffer(length);
            if (!(data instanceof CompositeBufferData)) {
                return data;
            }
            byte[] bytes = new byte[length];
            data.read(bytes, 0, length);
            return BufferData.create(bytes);
        }
    }

    /** The connection's context with the reader replaced; everything else delegated. */
    private record Context(ConnectionContext delegate, DataReader reader) implements ConnectionContext {
        @Override
        public DataReader dataReader() {
            return reader;
        }

        @Override
        public ListenerContext listenerContext() {
            return delegate.listenerContext();
        }

        @Override
        public ExecutorService executor() {
            return delegate.executor();
        }

        @Override
        public DataWriter dataWriter() {
            return delegate.dataWriter();
        }

        @Override
        public Router router() {
            return delegate.router();
        }

        @Override
        public Optional<ProxyProtocolData> proxyProtocolData() {
            return delegate.proxyProtocolData();
        }

        @Override
        public HelidonSocket serverSocket() {
            return delegate.serverSocket();
        }

        @Override
        public PeerInfo remotePeer() {
            return delegate.remotePeer();
        }

        @Override
        public PeerInfo localPeer() {
            return delegate.localPeer();
        }

        @Override
        public boolean isSecure() {
            return delegate.isSecure();
        }

        @Override
        public String socketId() {
            return delegate.socketId();
        }

        @Override
        public String childSocketId() {
            return delegate.childSocketId();
        }
    }
}
