package dev.vbuf.websocket;

/** RFC 6455 frame opcodes (section 5.2); the ones not listed are reserved. */
final class Opcodes {
    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    private Opcodes() {
    }

    /** Close, ping, pong and the reserved 0xB-0xF: the opcodes with the high bit set. */
    static boolean control(int opcode) {
        return (opcode & 0x8) != 0;
    }
}
