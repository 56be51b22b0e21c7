package dev.vbuf.config;

/**
 * A secret setting's value. Its {@code toString()} never shows it, so a logged configuration does not leak it.
 *
 * @param value the secret
 */
public record Secret(String value) {
    /** Shortest accepted HS256 key: 256 bits. */
    public static final int MIN_BYTES = 32;

    @Override
    public String toString() {
        return "Secret[redacted]";
    }
}
