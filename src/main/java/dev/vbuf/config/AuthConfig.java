package dev.vbuf.config;

import java.util.Optional;
import java.util.Set;

/**
 * The {@code auth} section: who may open a session.
 *
 * @param secretKey      the HS256 key of access tokens; empty = no authentication ({@code auth.secret-key})
 * @param audience       the {@code aud} claim a token must carry ({@code auth.audience})
 * @param allowedOrigins browser origins allowed; empty = any ({@code auth.allowed-origins})
 */
public record AuthConfig(Optional<Secret> secretKey, String audience, Set<String> allowedOrigins) {
    public AuthConfig {
        allowedOrigins = Set.copyOf(allowedOrigins);
    }

    static AuthConfig read(SettingReader r) {
        return new AuthConfig(r.secret(Setting.SECRET_KEY),
                              r.string(Setting.AUTH_AUDIENCE),
                              r.origins(Setting.ALLOWED_ORIGINS));
    }
}
