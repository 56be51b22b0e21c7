package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.util.Optional;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.access.Authenticator;
import dev.vbuf.admission.SegmentGate;
import dev.vbuf.protocol.ErrorCode;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.Status;

/** The access checks of protocol v1's requests, on Helidon's request headers and query. */
final class Access {
    private static final System.Logger LOG = System.getLogger(Access.class.getName());
    static final HeaderName SEC_WEBSOCKET_PROTOCOL = HeaderNames.create("Sec-WebSocket-Protocol");

    /** Why a request may not pass: the HTTP answer (503 for a session refused while its code says 429). */
    record Refusal(Status status, ErrorCode code, String message, Long retryAfterMs) {
        /** A refusal answered with its code's own HTTP status. */
        Refusal(ErrorCode code, String message) {
            this(Status.create(code.httpStatus()), code, message, null);
        }
    }

    private Access() {
    }

    /** Token and origin: for every request to the segment API. */
    static Optional<Refusal> requestRefusal(AccessPolicy policy, Headers headers, UriQuery query, String what) {
        Optional<String> denied = policy.auth().refusal(headers.first(HeaderNames.AUTHORIZATION),
                                                        query.first(Authenticator.QUERY_PARAM).asOptional(),
                                                        headers.values(SEC_WEBSOCKET_PROTOCOL));
        if (denied.isPresent()) {
            LOG.log(Level.DEBUG, what + " refused: " + denied.get()); // the reason stays in the log
            return Optional.of(new Refusal(ErrorCode.UNAUTHORIZED, Protocol.UNAUTHORIZED_MESSAGE));
        }
        Optional<String> origin = headers.first(HeaderNames.ORIGIN);
        if (!policy.originAllowed(origin)) {
            LOG.log(Level.DEBUG, what + " refused: origin " + origin.get() + " is not allowed");
            return Optional.of(new Refusal(ErrorCode.FORBIDDEN_ORIGIN,
                                           "origin " + origin.get() + " is not allowed to use this service"));
        }
        return Optional.empty();
    }

    /**
     * Token, origin, shutdown and the session cap: for a WebSocket upgrade, checked only (a refused upgrade's plain
     * GET says why with this); no session yields its slot here.
     */
    static Optional<Refusal> upgradeRefusal(ApiContext ctx, Headers headers, UriQuery query) {
        return upgradeRefusal(ctx, headers, query, false);
    }

    /**
     * As {@link #upgradeRefusal(ApiContext, Headers, UriQuery)}; with {@code takeSlot}, at the session cap the
     * longest-idle session yields its slot to this upgrade ({@link SessionRegistry#roomFor}).
     */
    static Optional<Refusal> upgradeRefusal(ApiContext ctx, Headers headers, UriQuery query, boolean takeSlot) {
        AccessPolicy policy = ctx.access();
        Optional<Refusal> refusal = requestRefusal(policy, headers, query, "WebSocket upgrade");
        if (refusal.isEmpty() && ctx.draining().getAsBoolean()) {
            refusal = Optional.of(new Refusal(Status.SERVICE_UNAVAILABLE_503, ErrorCode.SHUTTING_DOWN,
                                              "server is shutting down; connect again (another instance will take "
                                              + "the session)", SegmentGate.SHUTDOWN_RETRY_AFTER.toMillis()));
        }
        if (refusal.isEmpty() && !ctx.sessions().roomFor(policy.maxSessions(), takeSlot)) {
            refusal = Optional.of(sessionLimit(policy));
        }
        return refusal;
    }

    /** The {@code exp} of the (accepted) access token a request carries; empty without one or without auth. */
    static Optional<Instant> tokenExpiry(AccessPolicy policy, Headers headers, UriQuery query) {
        return policy.auth().expiry(headers.first(HeaderNames.AUTHORIZATION),
                                    query.first(Authenticator.QUERY_PARAM).asOptional(),
                                    headers.values(SEC_WEBSOCKET_PROTOCOL));
    }

    private static Refusal sessionLimit(AccessPolicy policy) {
        return new Refusal(Status.SERVICE_UNAVAILABLE_503, ErrorCode.OVERLOADED,
                           "session limit reached: this instance serves " + policy.maxSessions()
                           + " sessions; retry (another instance may take it)", AccessPolicy.SESSION_RETRY_AFTER_MS);
    }
}
