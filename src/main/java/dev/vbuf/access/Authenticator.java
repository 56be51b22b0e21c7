package dev.vbuf.access;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.vbuf.config.Secret;

import com.auth0.jwt.JWT;
import com.auth0.jwt.JWTVerifier;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.exceptions.JWTVerificationException;

/**
 * Checks the access token of a WebSocket upgrade or an HTTP request: an HS256 JWT signed with {@code VBUF_AUTH_SECRET_KEY} (alias {@code SECRET_KEY}),
 * with an {@code exp} in the future and {@code aud} containing {@code VBUF_AUTH_AUDIENCE}. Disabled (everything
 * allowed) when no secret is configured.
 *
 * <p>The token is taken from, in this order: {@code Authorization: Bearer <jwt>}; the {@code access_token} query
 * parameter; a {@code Sec-WebSocket-Protocol} entry {@code bearer.<jwt>} (browsers cannot set headers on a
 * WebSocket). Why a token was refused is logged by the caller at DEBUG, never told to the client.
 */
public final class Authenticator {
    /** Query parameter carrying the token. */
    public static final String QUERY_PARAM = "access_token";
    /** Prefix of the {@code Sec-WebSocket-Protocol} entry carrying the token. */
    public static final String PROTOCOL_PREFIX = "bearer.";
    /** Clock skew tolerated on {@code exp}, {@code nbf} and {@code iat}. */
    public static final Duration LEEWAY = Duration.ofSeconds(30);

    private final Optional<JWTVerifier> verifier;
    private final Optional<Algorithm> algorithm;
    private final String audience;

    private Authenticator(Optional<Secret> secret, String audience) {
        this.audience = audience;
        this.algorithm = secret.map(s -> Algorithm.HMAC256(s.value()));
        this.verifier = algorithm.map(a -> JWT.require(a)
                .withAudience(audience)
                .withClaimPresence("exp")
                .acceptLeeway(LEEWAY.toSeconds())
                .build());
    }

    public static Authenticator create(Optional<Secret> secret, String audience) {
        return new Authenticator(secret, audience);
    }

    public boolean enabled() {
        return verifier.isPresent();
    }

    /**
     * Why the request may not pass, if it may not.
     *
     * @param authorization    the {@code Authorization} header, if any
     * @param queryToken       the {@code access_token} query parameter, if any
     * @param webSocketProtocols the {@code Sec-WebSocket-Protocol} header values, if any
     * @return empty when allowed; otherwise the reason, for the server's log only
     */
    public Optional<String> refusal(Optional<String> authorization, Optional<String> queryToken,
                                    List<String> webSocketProtocols) {
        if (verifier.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> token = token(authorization, queryToken, webSocketProtocols);
        if (token.isEmpty()) {
            return Optional.of("no access token");
        }
        try {
            verifier.get().verify(token.get());
            return Optional.empty();
        } catch (JWTVerificationException e) {
            return Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /**
     * The expiry ({@code exp}) of the token a request carries, when it is one this server accepts; empty when
     * authentication is off or the token is refused. Tokens are checked at the upgrade only: a session must end
     * before its token expires.
     */
    public Optional<Instant> expiry(Optional<String> authorization, Optional<String> queryToken,
                                    List<String> webSocketProtocols) {
        if (verifier.isEmpty()) {
            return Optional.empty();
        }
        try {
            return token(authorization, queryToken, webSocketProtocols)
                    .map(t -> verifier.get().verify(t).getExpiresAtAsInstant());
        } catch (JWTVerificationException e) {
            return Optional.empty();
        }
    }

    static Optional<String> token(Optional<String> authorization, Optional<String> queryToken,
                                  List<String> webSocketProtocols) {
        if (authorization.isPresent()) {
            String h = authorization.get().strip();
            if (h.regionMatches(true, 0, "Bearer ", 0, 7)) {
                return Optional.of(h.substring(7).strip());
            }
        }
        if (queryToken.isPresent() && !queryToken.get().isBlank()) {
            return queryToken;
        }
        for (String entry : protocols(webSocketProtocols)) {
            if (entry.startsWith(PROTOCOL_PREFIX) && entry.length() > PROTOCOL_PREFIX.length()) {
                return Optional.of(entry.substring(PROTOCOL_PREFIX.length()));
            }
        }
        return Optional.empty();
    }

    /** The individual entries of {@code Sec-WebSocket-Protocol} header values (comma-separated lists). */
    public static List<String> protocols(List<String> headerValues) {
        List<String> entries = new ArrayList<>();
        for (String v : headerValues) {
            Arrays.stream(v.split(",")).map(String::strip).filter(e -> !e.isEmpty()).forEach(entries::add);
        }
        return entries;
    }

    /**
     * A token this server accepts, for {@code subject}, valid for {@code ttl}: what {@code vbuf token} prints and the
     * tests use.
     */
    public String mint(String subject, Duration ttl) {
        Algorithm a = algorithm.orElseThrow(() -> new IllegalStateException("no secret key is configured"));
        Instant now = Instant.now();
        return JWT.create().withSubject(subject).withAudience(audience).withIssuedAt(now)
                .withExpiresAt(now.plus(ttl)).sign(a);
    }
}
