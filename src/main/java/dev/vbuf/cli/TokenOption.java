package dev.vbuf.cli;

import java.util.Optional;

import picocli.CommandLine.Option;

/** {@code --token JWT}: the access token a command sends to a server that requires one. */
public final class TokenOption {
    @Option(names = "--token", defaultValue = "${env:VBUF_TOKEN}",
            description = "Access token for a server with VBUF_AUTH_SECRET_KEY (or SECRET_KEY) set (sent as Authorization: Bearer; default:"
                          + " the VBUF_TOKEN environment variable). `vbuf token` makes one.")
    String token;

    /** The token, when one is given (a blank one, e.g. an empty VBUF_TOKEN, is none). */
    public Optional<String> token() {
        return Optional.ofNullable(token).filter(t -> !t.isBlank());
    }
}
