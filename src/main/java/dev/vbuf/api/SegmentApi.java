package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.util.function.BooleanSupplier;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.admission.SegmentBuffers;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.observe.VbufMetrics;
import dev.vbuf.segment.SegmentProcessor;

import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.websocket.WsRouting;

/**
 * Protocol v1's routes: the WebSocket endpoint and the HTTP endpoint, both at {@link Protocol#PATH}. Owns the open
 * sessions and the count of segments not answered yet, which the server's drain waits on.
 */
public final class SegmentApi implements AutoCloseable {
    private final ApiContext ctx;

    /**
     * @param draining whether the server is shutting down (new sessions are refused, and HTTP {@code overloaded}
     *                 answers become 503)
     */
    public SegmentApi(SegmentProcessor processor, VbufMetrics metrics, AccessPolicy access, int perSession,
                      SessionRegistry sessions, BooleanSupplier draining, SegmentBuffers buffers) {
        this.ctx = new ApiContext(processor, sessions, new Unanswered(), metrics, access,
                                  perSession, draining, buffers);
    }

    public SessionRegistry sessions() {
        return ctx.sessions();
    }

    public Unanswered unanswered() {
        return ctx.unanswered();
    }

    public void http(HttpRouting.Builder routing) {
        routing.register(Protocol.PATH, new SegmentHttpService(ctx));
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
                .endpoint(Protocol.PATH, () -> new SegmentSocket(ctx));
    }

    @Override
    public void close() {
        ctx.sessions().close();
    }
}
