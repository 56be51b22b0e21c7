package dev.vbuf.api;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** s16le bytes as samples, for the boundary tests. */
final class BoundaryCheckAccess {
    private BoundaryCheckAccess() {
    }

    static short[] samples(byte[] s16le) {
        short[] s = new short[s16le.length / 2];
        ByteBuffer.wrap(s16le).order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(s);
        return s;
    }
}
