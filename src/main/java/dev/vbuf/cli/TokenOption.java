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
 * The command is run (by {@code sh -c}) before every connect, so a stream that reconnects after its token expired
 * brings a fresh one (the server checks tokens at the upgrade only).
 */
public final class TokenOption {
    /** How long a token command may take. */
    static final Duration COMMAND_DEADLINE = Duration.ofSeconds(30);
    /** The most output a token command may print. */
    private static final int MAX_TOKEN_BYTES = 64 * 1024;

    @Option(names = "--token", defaultValue = "${env:VBUF_TOKEN}",
            description = "Access token for a server with VBUF_AUTH_SECRET_KEY (or SECRET_KEY) set (sent as Authorization: Bearer; default:"
                          + " the VBUF_TOKEN environment variable). `vbuf token` makes one.")
    String token;

    @Option(names = "--token-command", paramLabel = "CMD",
            description = "A shell command that prints a fresh access token; run before every connect (its output,"
                          + " trimmed, is the token). Instead of --token.")
    String tokenCommand;

    /** The token, when one is given (a blank one, e.g. an empty VBUF_TOKEN, is none). */
    public Optional<String> token() {
        return Optional.ofNullable(token).filter(t -> !t.isBlank());
    }

    /** Why the options cannot be used together, if they cannot. */
    Optional<String> conflict() {
        return tokenCommand != null && !tokenCommand.isBlank() && token().isPresent() && !fromEnvironment()
               ? Optional.of("give --token or --token-command, not both") : Optional.empty();
    }

    /** Whether the command is given (it then wins over a VBUF_TOKEN from the environment). */
    boolean hasCommand() {
        return tokenCommand != null && !tokenCommand.isBlank();
    }

    private boolean fromEnvironment() {
        return token != null && token.equals(System.getenv("VBUF_TOKEN"));
    }

    /** Where each connect gets its token: the command, else the fixed token, else none. */
    public TokenSource source() {
        return hasCommand() ? command(tokenCommand) : TokenSource.fixed(token());
    }

    /** A token source that runs {@code sh -c command} for every token; its trimmed output is the token. */
    static TokenSource command(String command) {
        return () -> {
            ProcessRunner.Result r = ProcessRunner.of(List.of("sh", "-c", command)).deadline(COMMAND_DEADLINE)
                    .maxStdoutBytes(MAX_TOKEN_BYTES).run();
            if (!r.succeeded()) {
                String tail = r.stderrTail().strip();
                throw new IOException("--token-command failed (" + (r.stop() == ProcessRunner.Stop.NONE
                        ? "exit " + r.exitCode() : r.stop().toString().toLowerCase(java.util.Locale.ROOT)) + ")"
                                      + (tail.isEmpty() ? "" : ": " + tail.lines().reduce((a, b) -> b).orElse("")));
            }
            String t = r.stdoutText().strip();
            if (t.isEmpty()) {
                throw new IOException("--token-command printed no token");
            }
            return Optional.of(t);
        };
    }
}
