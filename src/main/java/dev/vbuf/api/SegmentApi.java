package dev.vbuf.api;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.core.ErrorCode;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
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

    /**
     * Helidon's answer to a malformed request, except for a body declared too large even to read (Helidon refuses it
     * before any route, as a bad request with status 413): that gets the same JSON {@code too_large} error as a segment
     * over the limit, instead of an empty 413.
     */
    public static DirectHandler badRequest(int maxSegmentBytes) {
        DirectHandler helidon = DirectHandler.defaultHandler();
        return (request, type, status, headers, message) -> status.code() != 413
                ? helidon.handle(request, type, status, headers, message)
                : DirectHandler.TransportResponse.builder()
                        .status(status)
                        .headers(headers)
                        .header(HeaderNames.CONTENT_TYPE, SegmentHttpService.JSON.text())
                        .entity(Protocol.json(new Protocol.HttpError(ErrorCode.TOO_LARGE.wireName(),
                                                                     "the request body exceeds the segment limit of "
                                                                     + maxSegmentBytes + " bytes", null)))
                        .build();
    }

    public WsRouting.Builder ws() {
        return WsRouting.builder()
                .endpoint(Protocol.PATH, () -> new SegmentSocket(processor, registry, metrics, perSession, access));
    }
}
