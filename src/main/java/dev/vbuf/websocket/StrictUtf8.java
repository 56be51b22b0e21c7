package dev.vbuf.websocket;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** UTF-8 that refuses malformed input (text messages and close reasons must be valid UTF-8, RFC 6455 8.1). */
final class StrictUtf8 {
    private StrictUtf8() {
    }

    /** The text of {@code b[off, off + len)}, or empty when those bytes are not valid UTF-8. */
    static Optional<String> decode(byte[] b, int off, int len) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                                       .onMalformedInput(CodingErrorAction.REPORT)
                                       .onUnmappableCharacter(CodingErrorAction.REPORT)
                                       .decode(ByteBuffer.wrap(b, off, len))
                                       .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
