package dev.vbuf.cli;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.vbuf.client.TokenSource;
import dev.vbuf.process.ProcessRunner;

import picocli.CommandLine.Option;

/**
 * {@code --token JWT} or {@code --token-command CMD}: the access token a command sends to a server that requires one.
 * The command is run before every connect (a stream that reconnects after its token expired gets a fresh one).
 */
public final class TokenOption {
    /** How long the token command may take; a slower one fails that connect attempt. */
    static final Duration COMMAND_DEADLINE = Duration.ofSeconds(30);

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
        return tokenCommandGiven() ? command(tokenCommand) : TokenSource.fixed(token());
    }

    /**
     * Runs {@code command} with {@code sh -c} before each connect; its standard output, trimmed, is the token (an
     * empty output is none). A command that fails or takes longer than {@link #COMMAND_DEADLINE} fails the connect
     * attempt, which the reconnect contract retries like a network error.
     */
    static TokenSource command(String command) {
        return () -> {
            ProcessRunner.Result r = ProcessRunner.of(List.of("sh", "-c", command)).deadline(COMMAND_DEADLINE).run();
            if (r.stop() == ProcessRunner.Stop.DEADLINE) {
                throw new IOException("the token command did not finish within " + COMMAND_DEADLINE.toSeconds()
                                      + " s: " + command);
            }
            if (!r.succeeded()) {
                throw new IOException("the token command exited with " + r.exitCode() + ": " + command
                                      + (r.stderrTail().isBlank() ? "" : " (" + r.stderrTail().strip() + ")"));
            }
            return Optional.of(r.stdoutText().strip()).filter(t -> !t.isEmpty());
        };
    }

    /** Whether {@code --token-command} is given. */
    public boolean tokenCommandGiven() {
        return tokenCommand != null && !tokenCommand.isBlank();
    }
}
