package dev.vbuf.api;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.vbuf.access.Authenticator;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;

import io.helidon.http.Headers;
import io.helidon.http.HttpPrologue;
import io.helidon.http.WritableHeaders;
import io.helidon.websocket.WsUpgradeException;

/**
 * The opening handshake of one WebSocket session, as the session agreed it: the output format of its replies, the
 * sub-protocol chosen from the client's offer, which decides between protocol v1 and v1.1, and when the access token
 * it came with expires.
 *
 * @param format      the format the session's audio is sent in
 * @param subProtocol the sub-protocol the server selects, or empty when the client offered none of vbuf's
 * @param tokenExpiry the {@code exp} of the upgrade's access token; empty when authentication is off
 */
record SessionUpgrade(OutputFormat format, Optional<String> subProtocol, Optional<Instant> tokenExpiry) {

    SessionUpgrade(OutputFormat format, Optional<String> subProtocol) {
        this(format, subProtocol, Optional.empty());
    }

    /**
     * Reads the format and runs the access checks; at the session cap the longest-idle session may yield its slot to
     * this upgrade (after the format is known to be good, so a bad request takes nobody's slot). A refused upgrade
     * falls through to the plain HTTP route, which runs the same checks and answers 401 (token), 403 (origin), 503
     * (draining, session cap) or 400 (format) with a JSON body.
     *
     * @throws WsUpgradeException the upgrade is refused
     */
    static SessionUpgrade negotiate(ApiContext ctx, HttpPrologue prologue, Headers headers)
            throws WsUpgradeException {
        RequestedFormat requested = RequestedFormat.of(prologue.query());
        OutputFormat format = requested.format().orElseThrow(() -> new WsUpgradeException(requested.unknownMessage()));
        Optional<Access.Refusal> refusal = Access.upgradeRefusal(ctx, headers, prologue.query(), true);
        if (refusal.isPresent()) {
            throw new WsUpgradeException(refusal.get().message());
        }
        return new SessionUpgrade(format, choose(Authenticator.protocols(headers.values(Access.SEC_WEBSOCKET_PROTOCOL))),
                                  Access.tokenExpiry(ctx.access(), headers, prologue.query()));
    }

    /**
     * The sub-protocol to select from those offered: v1.1 when offered, else v1 when offered. A browser that offers
     * sub-protocols (e.g. to carry its token) needs one chosen, or it drops the connection.
     */
    static Optional<String> choose(List<String> offered) {
        if (offered.contains(Protocol.SUBPROTOCOL_V11)) {
            return Optional.of(Protocol.SUBPROTOCOL_V11);
        }
        if (offered.contains(Protocol.SUBPROTOCOL)) {
            return Optional.of(Protocol.SUBPROTOCOL);
        }
        return Optional.empty();
    }

    /** The client asked for protocol v1.1 (sub-protocol {@link Protocol#SUBPROTOCOL_V11}) and got it. */
    boolean v11() {
        return subProtocol.filter(Protocol.SUBPROTOCOL_V11::equals).isPresent();
    }

    /** The headers the upgrade's answer adds: the selected sub-protocol, if any. */
    Optional<Headers> responseHeaders() {
        return subProtocol.map(p -> {
            WritableHeaders<?> response = WritableHeaders.create();
            response.set(Access.SEC_WEBSOCKET_PROTOCOL, p);
            return response;
        });
    }
}
