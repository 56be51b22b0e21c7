package dev.vbuf.client;

import java.io.IOException;
import java.util.Optional;

/**
 * Where a client gets the access token for its next connect. Asked before every connect, not once: a stream that
 * outlives a token (an hour-long film, a short-lived token) gets a fresh one each time it reconnects, since the server
 * checks the token at the upgrade only.
 */
@FunctionalInterface
public interface TokenSource {
    /** No token: the server requires none. */
    TokenSource NONE = Optional::empty;

    /** The token to send with the next connect, or empty for none; an exception fails that connect attempt. */
    Optional<String> token() throws IOException, InterruptedException;

    /** Always the same token (or none). */
    static TokenSource fixed(Optional<String> token) {
        return () -> token;
    }
}
