package dev.vbuf.websocket;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;

import io.helidon.common.Weight;
import io.helidon.common.buffers.BufferData;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.Method;
import io.helidon.http.RequestException;
import io.helidon.http.Status;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.ProtocolConfigs;
import io.helidon.webserver.http1.spi.Http1UpgradeProvider;
import io.helidon.webserver.http1.spi.Http1Upgrader;
import io.helidon.webserver.spi.ServerConnection;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsConnection;
import io.helidon.webserver.websocket.WsRoute;
import io.helidon.webserver.websocket.WsRouting;
import io.helidon.websocket.WsListener;
import io.helidon.websocket.WsUpgradeException;

/**
 * The WebSocket upgrade Helidon uses (registered through {@code META-INF/services} with a weight above Helidon's own
 * provider): the RFC 6455 opening handshake, then, for a route whose listener is a {@link MessageHandler} (vbuf's
 * segment endpoint), {@link VbufWsConnection} instead of Helidon's {@code WsConnection}. Other routes keep Helidon's.
 *
 * <p>Why vbuf reads frames itself (Helidon 4.2): Helidon reads the socket 8 KiB at a time, copies each chunk, returns
 * a frame's payload as a list of those chunks, unmasks it a byte at a time into another buffer, and the listener copies
 * it again; for a 2 MB segment that is five copies, ~250 reads and most of the server's own CPU. It also answers some
 * malformed frames with an HTTP 500 page written onto the upgraded connection or with its internal exception text,
 * and does not enforce control-frame rules (RFC 6455 5.5) or reject a data frame inside a fragmented message. The
 * handshake is small and fixed by the RFC; the frames are where the cost and the rules are.
 */
@Weight(VbufWsUpgradeProvider.WEIGHT)
public final class VbufWsUpgradeProvider implements Http1UpgradeProvider<WsConfig> {
    /** Above Helidon's default weight (100). */
    static final double WEIGHT = 200;
    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /** For the service loader. */
    public VbufWsUpgradeProvider() {
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

    static final class Upgrader implements Http1Upgrader {
        private final WsConfig config;

        Upgrader(WsConfig config) {
            this.config = config;
        }

        @Override
        public String supportedProtocol() {
            return "websocket";
        }

        /** Returns null (not upgraded; the request goes on as plain HTTP) when the handshake cannot be made. */
        @Override
        public ServerConnection upgrade(ConnectionContext ctx, HttpPrologue prologue, WritableHeaders<?> headers) {
            Optional<String> key = headers.first(HeaderNames.create("Sec-WebSocket-Key"));
            if (key.isEmpty()) {
                return null;
            }
            if (!prologue.method().equals(Method.GET)) { // RFC 6455 4.1: the opening handshake is a GET
                throw RequestException.builder()
                        .type(DirectHandler.EventType.OTHER)
                        .status(Status.METHOD_NOT_ALLOWED_405)
                        .message("a WebSocket upgrade must be a GET request")
                        .header(HeaderValues.create(HeaderNames.ALLOW, "GET"))
                        .build();
            }
            String version = headers.first(HeaderNames.create("Sec-WebSocket-Version")).orElse("13");
            if (!version.equals("13")) {
                throw RequestException.builder()
                        .type(DirectHandler.EventType.BAD_REQUEST)
                        .message("Unsupported WebSocket version")
                        .header(HeaderValues.create(HeaderNames.create("Sec-WebSocket-Version"), "13"))
                        .build();
            }
            String accept = accept(key.get());
            WsRoute route;
            try {
                route = ctx.router().routing(WsRouting.class, WsRouting.empty()).findRoute(prologue);
            } catch (RuntimeException e) { // no WebSocket route at this path
                return null;
            }
            if (!config.origins().isEmpty()) {
                Optional<String> origin = headers.first(HeaderNames.ORIGIN);
                if (origin.isPresent() && !config.origins().contains(origin.get())) {
                    throw RequestException.builder()
                            .type(DirectHandler.EventType.FORBIDDEN)
                            .message("Origin not allowed")
                            .build();
                }
            }
            WsListener listener = route.listener();
            Optional<Headers> extra;
            try {
                extra = listener.onHttpUpgrade(prologue, headers);
            } catch (WsUpgradeException e) {
                return null; // refused: the HTTP route answers why
            }
            StringBuilder response = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\n")
                    .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                    .append("Sec-WebSocket-Accept: ").append(accept).append("\r\n");
            extra.ifPresent(hs -> hs.forEach(h -> h.allValues().forEach(
                    v -> response.append(h.name()).append(": ").append(v).append("\r\n"))));
            response.append("\r\n");
            ctx.dataWriter().writeNow(BufferData.create(response.toString().getBytes(StandardCharsets.US_ASCII)));
            Headers selected = extra.orElse(WritableHeaders.create());
            if (listener instanceof MessageHandler handler) {
                return new VbufWsConnection(ctx, handler,
                                            selected.first(HeaderNames.create("Sec-WebSocket-Protocol")),
                                            config.maxFrameLength());
            }
            return WsConnection.create(ctx, prologue, selected, key.get(), listener);
        }

        /** Sec-WebSocket-Accept for a client key (RFC 6455 4.2.2): base64(SHA-1(key + GUID)); the key is 16 bytes. */
        static String accept(String key) {
            byte[] nonce;
            try {
                nonce = Base64.getDecoder().decode(key.strip());
            } catch (IllegalArgumentException e) {
                nonce = new byte[0];
            }
            if (nonce.length != 16) {
                throw RequestException.builder()
                        .type(DirectHandler.EventType.BAD_REQUEST)
                        .message("Invalid Sec-WebSocket-Key header")
                        .build();
            }
            try {
                byte[] digest = MessageDigest.getInstance("SHA-1")
                        .digest((key.strip() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
                return Base64.getEncoder().encodeToString(digest);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("this Java runtime has no SHA-1", e);
            }
        }
    }
}
