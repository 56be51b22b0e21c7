package dev.vbuf.cli;

import java.time.Duration;
import java.util.concurrent.Callable;

import dev.vbuf.access.Authenticator;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vbuf token}: prints an access token the server accepts, signed with the same {@code VBUF_AUTH_SECRET_KEY} (or its alias {@code SECRET_KEY}; and
 * audience) the server reads, for operators, smoke tests and the {@code stream} command. Real deployments mint tokens
 * in their own backend with any JWT library: HS256, {@code aud}, {@code exp}.
 */
@Command(name = "token", mixinStandardHelpOptions = true,
         description = "Print an HS256 access token signed with VBUF_AUTH_SECRET_KEY or SECRET_KEY (from the environment).")
public final class TokenCommand implements Callable<Integer> {
    @Option(names = "--subject", defaultValue = "vbuf-cli", description = "The token's sub claim (default: ${DEFAULT-VALUE})")
    String subject;

    @Option(names = "--ttl-minutes", defaultValue = "60", description = "Lifetime in minutes (default: ${DEFAULT-VALUE})")
    long ttlMinutes;

    @Override
    public Integer call() {
        VbufConfig config;
        try {
            config = VbufConfig.load();
        } catch (IllegalArgumentException e) {
            System.err.println("vbuf token: " + e.getMessage());
            return 2;
        }
        if (config.auth().secretKey().isEmpty()) {
            System.err.println("vbuf token: " + Setting.SECRET_KEY.envVar() + " is not set");
            return 2;
        }
        if (ttlMinutes < 1) {
            System.err.println("vbuf token: --ttl-minutes must be >= 1");
            return 2;
        }
        Authenticator auth = Authenticator.create(config.auth().secretKey(), config.auth().audience());
        System.out.println(auth.mint(subject, Duration.ofMinutes(ttlMinutes)));
        return 0;
    }
}
