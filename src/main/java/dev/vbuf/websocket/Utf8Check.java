package dev.vbuf.websocket;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Checks a text message as UTF-8 while it arrives (RFC 6455 8.1): each call looks at the bytes added since the last
 * one, so a message is refused at the frame that makes it invalid, not at its end (a client cannot make the server
 * hold a message that is already known to be refused). The JDK's strict decoder does the checking: it refuses a
 * sequence as soon as its first bytes cannot begin a valid character, and keeps an incomplete one for the next call.
 * The decoded characters are thrown away; the whole message is decoded once, when it is complete.
 */
final class Utf8Check {
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final CharBuffer scratch = CharBuffer.allocate(512);
    /** Bytes of the message checked so far; an incomplete character at the end waits for its other bytes. */
    private int checked;

    /** A new message. */
    void reset() {
        decoder.reset();
        checked = 0;
    }

    /** Checks {@code b[0, end)} of a message that goes on; false when it can no longer be valid UTF-8. */
    boolean more(byte[] b, int end) {
        return decode(b, end, false);
    }

    /** Checks {@code b[0, end)}, the whole message; false when it is not valid UTF-8 (an incomplete last character too). */
    boolean end(byte[] b, int end) {
        return decode(b, end, true); // UTF-8 keeps no state beyond the bytes left in the input: nothing to flush
    }

    private boolean decode(byte[] b, int end, boolean last) {
        if (b == null) {
            return true; // an empty message
        }
        ByteBuffer in = ByteBuffer.wrap(b, checked, end - checked);
        CoderResult r;
        do {
            scratch.clear();
            r = decoder.decode(in, scratch, last);
            if (r.isError()) {
                return false;
            }
        } while (r.isOverflow());
        checked = in.position();
        return !last || !in.hasRemaining();
    }
}
