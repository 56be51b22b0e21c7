package dev.vbuf.api;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;

/** Protocol v1's routes: the WebSocket endpoint and the HTTP endpoint, both at {@link Protocol#PATH}. */
public final class SegmentApi {
    private final SegmentProcessor processor;
    private final SessionRegistry registry;
    private final VbufMetrics metrics;
    private final int perSession;
    private final AccessPolicy access;

    public SegmentApi(SegmentProcessor processor, SessionRegistry registry, VbufMetrics metrics, int perSession,
                      AccessPolicy access) {
        this.processor = processor;
        this.registry = registry;
        this.metrics = metrics;
        this.perSession = perSession;
        this.access = access;
    }

    public void http(HttpRouting.Builder routing) {
        routing.register(Protocol.PATH, new SegmentHttpService(processor, registry, metrics, access));
    }

    public WsRouting.Builder ws() {
        return WsRouting.builder()
                .endpoint(Protocol.PATH, () -> new SegmentSocket(processor, registry, metrics, perSession, access));
    }
}
