package dev.vbuf.websocket;

import java.util.Locale;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;

/**
 * Reads a request's {@code Upgrade} and {@code Connection} headers the way RFC 6455 4.2.1 and RFC 9110 7.8 say:
 * both are comma-separated token lists and their tokens are case-insensitive. Helidon 4.2 picks its upgrade provider by
 * the {@code Upgrade} header's exact value, so {@code Upgrade: WebSocket} (as Autobahn's client and some libraries send
 * it) or {@code Upgrade: websocket, h2c} fell through to the HTTP route (426), and it does not look at
 * {@code Connection} at all. {@link #normalise} runs on every HTTP/1 request's headers, after Helidon parsed them
 * and before it picks the provider: a WebSocket upgrade request (a {@code websocket} token in {@code Upgrade} and an
 * {@code upgrade} token in {@code Connection}) has its {@code Upgrade} header set to the provider's name; an
 * {@code Upgrade} header without {@code Connection: upgrade} is not an upgrade request (RFC 9110 7.8) and is
 * removed, so the HTTP route answers it.
 */
public final class UpgradeHeaders {
    /** The protocol name Helidon's provider map knows WebSocket by. */
    static final String WEBSOCKET = "websocket";
    private static final String UPGRADE_TOKEN = "upgrade";

    private UpgradeHeaders() {
    }

    /**
     * Rewrites a request's headers as the class comment says. To be called from the HTTP/1 receive listener's
     * {@code headers} (Helidon's headers there are writable; read-only ones are left alone).
     */
    public static void normalise(Headers request) {
        if (!(request instanceof WritableHeaders<?> headers) || !headers.contains(HeaderNames.UPGRADE)) {
            return;
        }
        if (!hasToken(headers, HeaderNames.CONNECTION, UPGRADE_TOKEN)) {
            headers.remove(HeaderNames.UPGRADE);
        } else if (hasToken(headers, HeaderNames.UPGRADE, WEBSOCKET)) {
            headers.set(HeaderNames.UPGRADE, WEBSOCKET);
        }
    }

    private static boolean hasToken(Headers headers, HeaderName name, String token) {
        if (!headers.contains(name)) {
            return false;
        }
        for (String line : headers.get(name).allValues()) {
            for (String t : line.split(",")) {
                if (t.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }
}
