package dev.vbuf.client;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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

    /**
     * Runs {@code command} with {@code sh -c} before each connect; its standard output, trimmed, is the token (an
     * empty output is none). A command that fails or takes more than 30 s fails the connect attempt, which the
     * reconnect contract retries like a network error.
     */
    static TokenSource command(String command) {
        return () -> {
            Process p = new ProcessBuilder(List.of("sh", "-c", command))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("the token command did not finish within 30 s: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IOException("the token command exited with " + p.exitValue() + ": " + command);
            }
            return Optional.of(new String(out, StandardCharsets.UTF_8).strip()).filter(t -> !t.isEmpty());
        };
    }
}
