package dev.vbuf.cli;

import java.util.Optional;

import dev.vbuf.client.TokenSource;

import picocli.CommandLine.Option;

/**
 * {@code --token JWT} or {@code --token-command CMD}: the access token a command sends to a server that requires one.
 * The command is run before every connect (a stream that reconnects after its token expired gets a fresh one).
 */
public final class TokenOption {
    @Option(names = "--token", defaultValue = "${env:VBUF_TOKEN}",
            description = "Access token for a server with VBUF_AUTH_SECRET_KEY (or SECRET_KEY) set (sent as Authorization: Bearer; default:"
                          + " the VBUF_TOKEN environment variable). `vbuf token` makes one.")
    String token;

    @Option(names = "--token-command", paramLabel = "CMD",
            description = "Shell command run before each connect; its output, trimmed, is the token (instead of --token).")
    String tokenCommand;

    /** The fixed token, when one is given (a blank one, e.g. an empty VBUF_TOKEN, is none). */
    public Optional<String> token() {
        return Optional.ofNullable(token).filter(t -> !t.isBlank());
    }

    /** Where each connect gets its token: the command when given, else the fixed token. */
    public TokenSource source() {
        return tokenCommandGiven() ? TokenSource.command(tokenCommand)
                : TokenSource.fixed(token());
    }

    /** Whether {@code --token-command} is given. */
    public boolean tokenCommandGiven() {
        return tokenCommand != null && !tokenCommand.isBlank();
    }
}
