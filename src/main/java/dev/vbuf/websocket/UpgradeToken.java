package dev.vbuf.websocket;

import java.util.Arrays;
import java.util.Locale;

import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.Headers;
import io.helidon.http.WritableHeaders;
import io.helidon.webserver.ConnectionContext;
import io.helidon.webserver.http1.Http1ConnectionListener;

/**
 * Makes the {@code Upgrade} header case-insensitive and a list, as HTTP says it is (RFC 9110 7.8; RFC 6455 4.2.1:
 * "websocket", "treated as an ASCII case-insensitive value"). Helidon 4.2's HTTP/1 connection picks the upgrade by the
 * header's exact value, so {@code Upgrade: WebSocket} (as some client libraries send it) found no upgrade and was
 * answered as a plain GET (426). Helidon calls this receive listener with the request's headers, parsed, right before
 * it looks the upgrade up; when any of the header's tokens is {@code websocket} in any case, it writes the header as the
 * one token Helidon's lookup knows. Nothing else is touched: the headers are Helidon's own parse, not re-read here.
 */
public final class UpgradeToken implements Http1ConnectionListener {
    /** The token Helidon registers WebSocket's upgrade under. */
    static final String WEBSOCKET = "websocket";

    @Override
    public void headers(ConnectionContext ctx, Headers headers) {
        if (headers instanceof WritableHeaders<?> writable && offersWebSocket(headers)
                && !headers.get(HeaderNames.UPGRADE).get().equals(WEBSOCKET)) {
            writable.set(HeaderNames.UPGRADE, WEBSOCKET);
        }
    }

    /** Whether the request's {@code Upgrade} header lists {@code websocket}, in any case. */
    static boolean offersWebSocket(Headers headers) {
        return headers.contains(HeaderNames.UPGRADE) && hasToken(headers.get(HeaderNames.UPGRADE), WEBSOCKET);
    }

    /** Whether a comma-separated header lists this token, in any case (protocol versions after a slash aside). */
    static boolean hasToken(Header header, String token) {
        return header.allValues().stream() // each header line's value, itself a list (Helidon 4.2 splits only at ", ")
                .flatMap(v -> Arrays.stream(v.split(",")))
                .map(v -> v.strip().toLowerCase(Locale.ROOT))
                .anyMatch(v -> v.equals(token) || v.startsWith(token + "/"));
    }
}
