package dev.vbuf.api;

import java.lang.System.Logger.Level;
import java.util.Optional;

import dev.vbuf.access.Authenticator;

import io.helidon.common.uri.UriQuery;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;

/** The access check of protocol v1's requests, on Helidon's request headers and query. */
final class Access {
    private static final System.Logger LOG = System.getLogger(Access.class.getName());
    static final HeaderName SEC_WEBSOCKET_PROTOCOL = HeaderNames.create("Sec-WebSocket-Protocol");

    private Access() {
    }

    /** True when the request may pass; a refusal is logged at DEBUG with its reason (never the token). */
    static boolean allowed(Authenticator auth, Headers headers, UriQuery query, String what) {
        Optional<String> refusal = auth.refusal(headers.first(HeaderNames.AUTHORIZATION),
                                                query.first(Authenticator.QUERY_PARAM).asOptional(),
                                                headers.values(SEC_WEBSOCKET_PROTOCOL));
        refusal.ifPresent(r -> LOG.log(Level.DEBUG, what + " refused: " + r));
        return refusal.isEmpty();
    }
}
