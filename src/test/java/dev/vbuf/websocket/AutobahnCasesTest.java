package dev.vbuf.websocket;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.RawWebSocket;

import io.helidon.webserver.WebServer;
import io.helidon.webserver.websocket.WsConfig;
import io.helidon.webserver.websocket.WsRouting;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.notNullValue;

/**
 * The Autobahn|Testsuite's case families that apply to a server, ported case by case onto raw frames against vbuf's
 * own WebSocket connection with a test-only echo handler ({@link EchoHandler}; the suite itself needs Python 2.7 and
 * Docker): 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8 (with fail-fast on invalid text), 7
 * close handshake and codes, 9 large messages. Each case carries its Autobahn number and what the suite sends; what
 * the server must answer is the suite's expectation, strict where the suite also accepts a lenient answer (a failed
 * connection must get a close frame with the code, not only a dropped socket).
 */
class AutobahnCasesTest {
    private static final int CONTINUATION = 0x0;
    private static final int TEXT = 0x1;
    private static final int BINARY = 0x2;
    private static final int CLOSE = 0x8;
    private static final int PING = 0x9;
    private static final int PONG = 0xA;
    private static final int KIB = 1024;
    private static final int MIB = 1024 * KIB;

    private static WebServer server;

    @BeforeAll
    static void start() {
        server = WebServer.builder()
                .host("127.0.0.1")
                .port(0)
                .addProtocol(WsConfig.builder().maxFrameLength(2 * EchoHandler.MAX_MESSAGE_BYTES).build())
                .addRouting(WsRouting.builder().endpoint(Protocol.PATH, EchoHandler::new))
                .build()
                .start();
    }

    @AfterAll
    static void stop() {
        server.stop();
    }

    // ------------------------------------------------------------------------------------------------ the harness

    /** A frame as the server sent it, compared by opcode and payload. */
    record Answer(int opcode, byte[] payload) {
        @Override
        public String toString() {
            String start = new String(payload, 0, Math.min(payload.length, 24), StandardCharsets.UTF_8);
            return "opcode " + opcode + ", " + payload.length + " bytes, hash " + Arrays.hashCode(payload)
                   + " '" + start + "'";
        }
    }

    /** What the client sends in a case. */
    interface Script {
        void run(Peer peer) throws Exception;
    }

    /**
     * A case: the client's script, the frames the server must answer (in order) and the close code it must end with.
     * With {@code clientCloses}, the harness sends a normal close after the script, and the server must echo it.
     */
    record Case(String id, String what, Script script, List<Answer> answers, int closeCode, boolean clientCloses) {
        @Override
        public String toString() {
            return id + " " + what;
        }
    }

    /**
     * The client's side: frames sent whole, as one stream of bytes in small chops, or with pauses. As in Autobahn, a
     * case sends all its frames even after one the server must refuse; the server may have failed the connection by
     * then, so a write that finds it gone is not the case's failure (what the server sent before is still read).
     */
    static final class Peer {
        private final RawWebSocket ws;
        private boolean gone;

        Peer(RawWebSocket ws) {
            this.ws = ws;
        }

        private void write(byte[] bytes) {
            if (gone) {
                return;
            }
            try {
                ws.sendRawBytes(bytes);
            } catch (IOException e) {
                gone = true;
            }
        }

        void frame(boolean fin, int opcode, byte[] payload) {
            write(frameBytes((fin ? 0x80 : 0) | opcode, payload));
        }

        /** A frame with its first byte as given (FIN, RSV bits, opcode). */
        void firstByte(int firstByte, byte[] payload) {
            write(frameBytes(firstByte, payload));
        }

        /** These frames' bytes, written and flushed {@code chop} bytes at a time. */
        void chopped(int chop, byte[]... frames) {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (byte[] f : frames) {
                all.write(f, 0, f.length);
            }
            byte[] bytes = all.toByteArray();
            for (int at = 0; at < bytes.length; at += chop) {
                write(Arrays.copyOfRange(bytes, at, Math.min(bytes.length, at + chop)));
            }
        }

        void pause(long millis) throws InterruptedException {
            Thread.sleep(millis);
        }

        void close(byte[] payload) {
            frame(true, CLOSE, payload);
        }

        /** Sends a message in one frame and reads its echo (Autobahn 9.7's round trips). */
        void roundTrip(int opcode, byte[] payload) throws IOException {
            frame(true, opcode, payload);
            RawWebSocket.Frame echo = ws.read();
            assertThat("the echo", echo, notNullValue());
            assertThat("its opcode", echo.opcode(), is(opcode));
            assertThat("its payload", Arrays.equals(echo.payload(), payload), is(true));
        }
    }

    /** A masked client frame (random mask) with this first byte. */
    static byte[] frameBytes(int firstByte, byte[] payload) {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        return RawWebSocket.clientFrame(firstByte, payload, mask);
    }

    static byte[] frame(boolean fin, int opcode, byte[] payload) {
        return frameBytes((fin ? 0x80 : 0) | opcode, payload);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] hex(String h) {
        return HexFormat.of().parseHex(h.replace(" ", ""));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            all.write(p, 0, p.length);
        }
        return all.toByteArray();
    }

    static byte[] filled(int length, char c) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) c);
        return b;
    }

    static Answer text(String s) {
        return new Answer(TEXT, utf8(s));
    }

    static Answer text(byte[] b) {
        return new Answer(TEXT, b);
    }

    static Answer binary(byte[] b) {
        return new Answer(BINARY, b);
    }

    static Answer pong(byte[] b) {
        return new Answer(PONG, b);
    }

    /** The server answers these frames and then echoes the client's normal close. */
    static Case ok(String id, String what, Script script, Answer... answers) {
        return new Case(id, what, script, List.of(answers), 1000, true);
    }

    /** The server answers these frames, then fails the connection with {@code code}. */
    static Case fails(String id, String what, int code, Script script, Answer... answers) {
        return new Case(id, what, script, List.of(answers), code, false);
    }

    /** The script closes; the server answers these frames, then its close frame has {@code code}. */
    static Case closes(String id, String what, int code, Script script, Answer... answers) {
        return new Case(id, what, script, List.of(answers), code, false);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void autobahnCase(Case c) throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "")) {
            c.script().run(new Peer(ws));
            if (c.clientCloses()) {
                ws.sendClose(1000, new byte[0]);
            }
            List<Answer> got = new ArrayList<>();
            RawWebSocket.Frame f;
            while ((f = ws.read()) != null && f.opcode() != CLOSE) {
                got.add(new Answer(f.opcode(), f.payload()));
            }
            assertThat(c.id() + ": the frames answered", got.toString(), is(c.answers().toString()));
            assertThat(c.id() + ": a close frame", f, notNullValue());
            assertThat(c.id() + ": its code (reason '" + f.closeReason() + "')", f.closeCode(), is(c.closeCode()));
            assertThat(c.id() + ": the server ends the connection", ws.endedByServer(), is(true));
        }
    }

    static Stream<Arguments> cases() {
        return Stream.of(pingPong(), reservedBits(), opcodes(), fragmentation(), utf8Cases(), close(), large())
                .flatMap(List::stream)
                .map(Arguments::of);
    }

    // ---------------------------------------------------------------------------------------------- 2 ping/pong

    static List<Case> pingPong() {
        byte[] small = hex("00 ff fe fd fc fb 00 ff");
        byte[] max = filled(125, (char) 0xfe);
        List<Case> cases = new ArrayList<>(List.of(
                ok("2.1", "ping without payload", p -> p.frame(true, PING, new byte[0]), pong(new byte[0])),
                ok("2.2", "ping with a small text payload", p -> p.frame(true, PING, utf8("Hello, world!")),
                   pong(utf8("Hello, world!"))),
                ok("2.3", "ping with a small binary payload", p -> p.frame(true, PING, small), pong(small)),
                ok("2.4", "ping with a 125-byte binary payload", p -> p.frame(true, PING, max), pong(max)),
                fails("2.5", "ping with a 126-byte payload", 1002, p -> p.frame(true, PING, filled(126, 'x'))),
                ok("2.6", "ping with a 125-byte payload sent a byte at a time",
                   p -> p.chopped(1, frame(true, PING, max)), pong(max)),
                ok("2.7", "unsolicited pong without payload: nothing answered", p -> p.frame(true, PONG, new byte[0])),
                ok("2.8", "unsolicited pong with payload: nothing answered",
                   p -> p.frame(true, PONG, utf8("unsolicited pong payload"))),
                ok("2.9", "unsolicited pong, then a ping",
                   p -> {
                       p.frame(true, PONG, utf8("unsolicited pong payload"));
                       p.frame(true, PING, utf8("ping payload"));
                   }, pong(utf8("ping payload")))));
        Answer[] tenPongs = new Answer[10];
        for (int i = 0; i < 10; i++) {
            tenPongs[i] = pong(utf8("payload-" + i));
        }
        cases.add(ok("2.10", "10 pings", p -> {
            for (int i = 0; i < 10; i++) {
                p.frame(true, PING, utf8("payload-" + i));
            }
        }, tenPongs));
        cases.add(ok("2.11", "10 pings sent a byte at a time", p -> {
            for (int i = 0; i < 10; i++) {
                p.chopped(1, frame(true, PING, utf8("payload-" + i)));
            }
        }, tenPongs));
        return cases;
    }

    // ------------------------------------------------------------------------------------------ 3 reserved bits

    static List<Case> reservedBits() {
        byte[] hello = utf8("Hello, world!");
        Script rsv2AfterEcho = p -> {
            p.frame(true, TEXT, hello);
            p.firstByte(0x80 | 0x20 | TEXT, hello);
            p.frame(true, PING, new byte[0]);
        };
        return List.of(
                fails("3.1", "text with RSV1", 1002, p -> p.firstByte(0x80 | 0x40 | TEXT, hello)),
                fails("3.2", "text, text with RSV2, ping", 1002, rsv2AfterEcho, text(hello)),
                fails("3.3", "text, text with RSV2, ping, all in one write", 1002,
                      p -> p.chopped(1 << 20, frame(true, TEXT, hello), frameBytes(0x80 | 0x20 | TEXT, hello),
                                     frame(true, PING, new byte[0])), text(hello)),
                fails("3.4", "text, text with RSV1 and RSV2, ping, a byte at a time", 1002,
                      p -> p.chopped(1, frame(true, TEXT, hello), frameBytes(0x80 | 0x60 | TEXT, hello),
                                     frame(true, PING, new byte[0])), text(hello)),
                fails("3.5", "binary with RSV1 and RSV3", 1002,
                      p -> p.firstByte(0x80 | 0x50 | BINARY, filled(8, (char) 0xff))),
                fails("3.6", "ping with RSV2 and RSV3", 1002, p -> p.firstByte(0x80 | 0x30 | PING, hello)),
                fails("3.7", "close with RSV1, RSV2 and RSV3", 1002,
                      p -> p.firstByte(0x80 | 0x70 | CLOSE, new byte[0])));
    }

    // ---------------------------------------------------------------------------------------------- 4 opcodes

    static List<Case> opcodes() {
        List<Case> cases = new ArrayList<>();
        for (int group = 1; group <= 2; group++) {
            int first = group == 1 ? 3 : 11;
            for (int i = 0; i < 5; i++) {
                int opcode = first + i;
                String id = "4." + group + "." + (i + 1);
                String kind = group == 1 ? "non-control" : "control";
                byte[] payload = i % 2 == 1 ? utf8("reserved opcode payload") : new byte[0];
                if (i < 2) {
                    cases.add(fails(id, "reserved " + kind + " opcode " + opcode, 1002,
                                    p -> p.frame(true, opcode, payload)));
                } else {
                    cases.add(fails(id, "text, reserved " + kind + " opcode " + opcode + ", ping", 1002, p -> {
                        p.frame(true, TEXT, utf8("Hello, world!"));
                        p.frame(true, opcode, payload);
                        p.frame(true, PING, new byte[0]);
                    }, text("Hello, world!")));
                }
            }
        }
        return cases;
    }

    // ----------------------------------------------------------------------------------------- 5 fragmentation

    static List<Case> fragmentation() {
        byte[] f1 = utf8("fragment1");
        byte[] f2 = utf8("fragment2");
        byte[] ping = utf8("ping payload");
        List<Case> cases = new ArrayList<>(List.of(
                fails("5.1", "ping in 2 fragments", 1002, p -> {
                    p.frame(false, PING, f1);
                    p.frame(true, CONTINUATION, f2);
                }),
                fails("5.2", "pong in 2 fragments", 1002, p -> {
                    p.frame(false, PONG, f1);
                    p.frame(true, CONTINUATION, f2);
                })));
        String[] how = {"whole frames", "in chops", "a byte at a time"};
        int[] chops = {1 << 20, 3, 1};
        for (int i = 0; i < 3; i++) {
            int chop = chops[i];
            cases.add(ok("5." + (3 + i), "text in 2 fragments, " + how[i],
                         p -> p.chopped(chop, frame(false, TEXT, f1), frame(true, CONTINUATION, f2)),
                         text("fragment1fragment2")));
            cases.add(ok("5." + (6 + i), "text in 2 fragments with a ping between, " + how[i],
                         p -> p.chopped(chop, frame(false, TEXT, f1), frame(true, PING, ping),
                                        frame(true, CONTINUATION, f2)),
                         pong(ping), text("fragment1fragment2")));
            cases.add(fails("5." + (9 + i), "a final continuation without a message, then text, " + how[i], 1002,
                            p -> p.chopped(chop, frame(true, CONTINUATION, utf8("non-continuation payload")),
                                           frame(true, TEXT, utf8("Hello, world!")))));
            cases.add(fails("5." + (12 + i), "a continuation without a message, then text, " + how[i], 1002,
                            p -> p.chopped(chop, frame(false, CONTINUATION, utf8("non-continuation payload")),
                                           frame(true, TEXT, utf8("Hello, world!")))));
        }
        cases.add(fails("5.15", "text in 2 fragments, then a continuation and a text frame", 1002, p -> {
            p.frame(false, TEXT, f1);
            p.frame(true, CONTINUATION, f2);
            p.frame(false, CONTINUATION, utf8("fragment3"));
            p.frame(true, TEXT, utf8("fragment4"));
        }, text("fragment1fragment2")));
        cases.add(fails("5.16", "continuation, text, continuation, twice", 1002, p -> {
            for (int i = 0; i < 2; i++) {
                p.frame(false, CONTINUATION, f1);
                p.frame(true, TEXT, f2);
                p.frame(true, CONTINUATION, utf8("fragment3"));
            }
        }));
        cases.add(fails("5.17", "final continuation, text, continuation, twice", 1002, p -> {
            for (int i = 0; i < 2; i++) {
                p.frame(true, CONTINUATION, f1);
                p.frame(true, TEXT, f2);
                p.frame(true, CONTINUATION, utf8("fragment3"));
            }
        }));
        cases.add(fails("5.18", "a text fragment, then another text frame", 1002, p -> {
            p.frame(false, TEXT, f1);
            p.frame(true, TEXT, f2);
        }));
        for (int i = 0; i < 2; i++) {
            int chop = i == 0 ? 1 << 20 : 1;
            cases.add(ok("5." + (19 + i), "text in 5 fragments with pings and pauses between"
                                        + (i == 0 ? "" : ", a byte at a time"), p -> {
                p.chopped(chop, frame(false, TEXT, utf8("fragment1")), frame(false, CONTINUATION, utf8("fragment2")),
                          frame(true, PING, utf8("pongme 1!")));
                p.pause(200);
                p.chopped(chop, frame(false, CONTINUATION, utf8("fragment3")),
                          frame(false, CONTINUATION, utf8("fragment4")), frame(true, PING, utf8("pongme 2!")));
                p.pause(200);
                p.chopped(chop, frame(true, CONTINUATION, utf8("fragment5")));
            }, pong(utf8("pongme 1!")), pong(utf8("pongme 2!")), text("fragment1fragment2fragment3fragment4fragment5")));
        }
        return cases;
    }

    // --------------------------------------------------------------------------------------------------- 6 UTF-8

    /** A UTF-8 case: its bytes, whether they are valid, and how they are sent (one frame, or 1-byte fragments). */
    private static Case utf8Case(String id, String what, byte[] bytes, boolean valid, boolean byteFragments) {
        Script send = byteFragments ? p -> {
            for (int i = 0; i < bytes.length; i++) {
                p.frame(i == bytes.length - 1, i == 0 ? TEXT : CONTINUATION, Arrays.copyOfRange(bytes, i, i + 1));
            }
        } : p -> p.frame(true, TEXT, bytes);
        String how = byteFragments ? ", in 1-byte fragments" : "";
        return valid ? ok(id, what + how, send, text(bytes)) : fails(id, what + how, 1007, send);
    }

    static List<Case> utf8Cases() {
        byte[] greek = hex("ce ba e1 bd b9 cf 83 ce bc ce b5"); // κόσμε
        byte[] mixed = utf8("Hello-µ@ßöäüàá-UTF-8!!");
        byte[] surrogate = concat(greek, hex("ed a0 80"), utf8("edited"));
        List<Case> cases = new ArrayList<>(List.of(
                ok("6.1.1", "empty text", p -> p.frame(true, TEXT, new byte[0]), text("")),
                ok("6.1.2", "text in 3 empty fragments", p -> {
                    p.frame(false, TEXT, new byte[0]);
                    p.frame(false, CONTINUATION, new byte[0]);
                    p.frame(true, CONTINUATION, new byte[0]);
                }, text("")),
                ok("6.1.3", "text in 3 fragments, the first and last empty", p -> {
                    p.frame(false, TEXT, new byte[0]);
                    p.frame(false, CONTINUATION, utf8("middle frame payload"));
                    p.frame(true, CONTINUATION, new byte[0]);
                }, text("middle frame payload")),
                utf8Case("6.2.1", "valid UTF-8 with 2-byte characters", mixed, true, false),
                ok("6.2.2", "valid UTF-8 in 2 fragments split at a character boundary", p -> {
                    p.frame(false, TEXT, Arrays.copyOf(mixed, 14));
                    p.frame(true, CONTINUATION, Arrays.copyOfRange(mixed, 14, mixed.length));
                }, text(mixed)),
                utf8Case("6.2.3", "valid UTF-8", mixed, true, true),
                utf8Case("6.2.4", "κόσμε", greek, true, true),
                utf8Case("6.3.1", "κόσμε, an encoded surrogate, 'edited'", surrogate, false, false),
                utf8Case("6.3.2", "κόσμε, an encoded surrogate, 'edited'", surrogate, false, true),
                utf8Case("6.5.1", "κόσμε", greek, true, false)));
        for (int n = 1; n <= greek.length; n++) {
            boolean valid = n == 2 || n == 5 || n == 7 || n == 9 || n == 11; // ends after a whole character
            cases.add(utf8Case("6.6." + n, "the first " + n + " bytes of κόσμε", Arrays.copyOf(greek, n), valid,
                               false));
        }
        String[][] sequences = {
                // id, bytes, valid?, what
                {"6.7.1", "00", "y", "U+0000"}, {"6.7.2", "c2 80", "y", "U+0080"}, {"6.7.3", "e0 a0 80", "y", "U+0800"},
                {"6.7.4", "f0 90 80 80", "y", "U+10000"},
                {"6.8.1", "f8 88 80 80 80", "n", "a 5-byte sequence"},
                {"6.8.2", "fc 84 80 80 80 80", "n", "a 6-byte sequence"},
                {"6.9.1", "7f", "y", "U+007F"}, {"6.9.2", "df bf", "y", "U+07FF"}, {"6.9.3", "ef bf bf", "y", "U+FFFF"},
                {"6.9.4", "f4 8f bf bf", "y", "U+10FFFF"},
                {"6.10.1", "f7 bf bf bf", "n", "U+1FFFFF"}, {"6.10.2", "fb bf bf bf bf", "n", "U+3FFFFFF"},
                {"6.10.3", "fd bf bf bf bf bf", "n", "U+7FFFFFFF"},
                {"6.11.1", "ed 9f bf", "y", "U+D7FF"}, {"6.11.2", "ee 80 80", "y", "U+E000"},
                {"6.11.3", "ef bf bd", "y", "U+FFFD"}, {"6.11.4", "f4 8f bf bf", "y", "U+10FFFF"},
                {"6.11.5", "f4 90 80 80", "n", "U+110000"},
                {"6.12.1", "80", "n", "a lone continuation byte 0x80"}, {"6.12.2", "bf", "n", "a lone 0xbf"},
                {"6.12.3", "80 bf", "n", "2 continuation bytes"}, {"6.12.4", "80 bf 80", "n", "3 continuation bytes"},
                {"6.12.5", "80 bf 80 bf", "n", "4 continuation bytes"},
                {"6.13.1", "c0 20 c1 20 c2 20 df 20", "n", "2-byte lead bytes each followed by a space"},
                {"6.13.2", "e0 20 e7 20 ef 20", "n", "3-byte lead bytes each followed by a space"},
                {"6.13.3", "f0 20 f3 20 f7 20", "n", "4-byte lead bytes each followed by a space"},
                {"6.13.4", "f8 20 fb 20", "n", "5-byte lead bytes each followed by a space"},
                {"6.13.5", "fc 20 fd 20", "n", "6-byte lead bytes each followed by a space"},
                {"6.14.1", "c0", "n", "a 2-byte sequence without its last byte"},
                {"6.14.2", "e0 80", "n", "a 3-byte sequence without its last byte"},
                {"6.14.3", "f0 80 80", "n", "a 4-byte sequence without its last byte"},
                {"6.14.4", "df", "n", "U+07FF without its last byte"},
                {"6.14.5", "ef bf", "n", "U+FFFF without its last byte"},
                {"6.14.6", "f4 8f bf", "n", "U+10FFFF without its last byte"},
                {"6.15.1", "c0 e0 80 f0 80 80 df ef bf f4 8f bf", "n", "incomplete sequences one after another"},
                {"6.16.1", "fe", "n", "0xfe"}, {"6.16.2", "ff", "n", "0xff"}, {"6.16.3", "fe fe ff ff", "n", "fe fe ff ff"},
                {"6.17.1", "c0 af", "n", "'/' overlong in 2 bytes"}, {"6.17.2", "e0 80 af", "n", "'/' in 3 bytes"},
                {"6.17.3", "f0 80 80 af", "n", "'/' in 4 bytes"},
                {"6.18.1", "c1 bf", "n", "the largest overlong 2-byte sequence"},
                {"6.18.2", "e0 9f bf", "n", "the largest overlong 3-byte sequence"},
                {"6.18.3", "f0 8f bf bf", "n", "the largest overlong 4-byte sequence"},
                {"6.19.1", "c0 80", "n", "NUL overlong in 2 bytes"}, {"6.19.2", "e0 80 80", "n", "NUL in 3 bytes"},
                {"6.19.3", "f0 80 80 80", "n", "NUL in 4 bytes"},
                {"6.20.1", "ed a0 80", "n", "U+D800"}, {"6.20.2", "ed ad bf", "n", "U+DB7F"},
                {"6.20.3", "ed ae 80", "n", "U+DB80"}, {"6.20.4", "ed af bf", "n", "U+DBFF"},
                {"6.20.5", "ed b0 80", "n", "U+DC00"}, {"6.20.6", "ed be 80", "n", "U+DF80"},
                {"6.20.7", "ed bf bf", "n", "U+DFFF"},
                {"6.21.1", "ed a0 80 ed b0 80", "n", "U+D800 U+DC00"}, {"6.21.2", "ed a0 80 ed bf bf", "n", "U+D800 U+DFFF"},
                {"6.21.3", "ed ad bf ed b0 80", "n", "U+DB7F U+DC00"}, {"6.21.8", "ed af bf ed bf bf", "n", "U+DBFF U+DFFF"},
                {"6.22.1", "ef bf be", "y", "U+FFFE (a noncharacter, valid UTF-8)"},
                {"6.22.2", "ef bf bf", "y", "U+FFFF"}, {"6.22.3", "f0 9f bf be", "y", "U+1FFFE"},
                {"6.22.33", "f4 8f bf be", "y", "U+10FFFE"}, {"6.22.34", "f4 8f bf bf", "y", "U+10FFFF"},
                {"6.23.1", "ef bf bd", "y", "U+FFFD, the replacement character"},
                {"6.23.7", "ef bb bf", "y", "U+FEFF, a byte order mark"},
        };
        for (String[] s : sequences) {
            cases.add(utf8Case(s[0], s[3], hex(s[1]), s[2].equals("y"), false));
        }
        return cases;
    }

    /**
     * 6.4.1-6.4.4: invalid text refused as soon as it is known to be invalid. Sent as three fragments with pauses
     * (6.4.1, 6.4.2), the close must come before the third: vbuf checks each fragment as it arrives. Sent as chops of
     * one frame (6.4.3, 6.4.4), the close comes once that frame is in, which the suite accepts ("non-strict").
     */
    @ParameterizedTest(name = "6.4.{0}: fail fast on invalid UTF-8, {1}")
    @MethodSource("failFast")
    void invalidTextIsRefusedAsSoonAsItIsKnownInvalid(int n, String what, byte[][] parts, boolean fragments)
            throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "")) {
            Peer p = new Peer(ws);
            if (fragments) {
                p.frame(false, TEXT, parts[0]);
                p.pause(100);
                p.frame(false, CONTINUATION, parts[1]);
                RawWebSocket.Frame close = ws.read(); // before the third fragment is sent
                assertThat("6.4." + n + ": closed before the rest arrives", close.opcode(), is(CLOSE));
                assertThat(close.closeCode(), is(1007));
            } else {
                byte[] whole = frame(true, TEXT, concat(parts));
                int cut1 = whole.length - parts[1].length - parts[2].length;
                p.chopped(1 << 20, Arrays.copyOf(whole, cut1));
                p.pause(100);
                p.chopped(1 << 20, Arrays.copyOfRange(whole, cut1, cut1 + parts[1].length));
                p.pause(100);
                p.chopped(1 << 20, Arrays.copyOfRange(whole, cut1 + parts[1].length, whole.length));
                RawWebSocket.Frame close = ws.read();
                assertThat("6.4." + n + ": refused once the frame is in", close.opcode(), is(CLOSE));
                assertThat(close.closeCode(), is(1007));
            }
            assertThat(ws.endedByServer(), is(true));
        }
    }

    static Stream<Arguments> failFast() {
        byte[] greek = hex("ce ba e1 bd b9 cf 83 ce bc ce b5");
        byte[] edited = utf8("edited");
        byte[][] whole = {greek, hex("f4 90 80 80"), edited};
        byte[][] split = {concat(greek, hex("f4")), hex("90"), concat(hex("80 80"), edited)};
        return Stream.of(Arguments.of(1, "U+110000 alone in the second of 3 fragments", whole, true),
                         Arguments.of(2, "U+110000 split across 3 fragments", split, true),
                         Arguments.of(3, "as 6.4.1, in 3 chops of one frame", whole, false),
                         Arguments.of(4, "as 6.4.2, in 3 chops of one frame", split, false));
    }

    // ------------------------------------------------------------------------------------------------- 7 close

    private static byte[] closePayload(int code, byte[] reason) {
        return concat(new byte[] {(byte) (code >> 8), (byte) code}, reason);
    }

    static List<Case> close() {
        byte[] hello = utf8("Hello World!");
        List<Case> cases = new ArrayList<>(List.of(
                closes("7.1.1", "text, then a normal close", 1000, p -> {
                    p.frame(true, TEXT, hello);
                    p.close(closePayload(1000, new byte[0]));
                }, text(hello)),
                closes("7.1.2", "two close frames: the second is not answered", 1000, p -> {
                    p.close(closePayload(1000, new byte[0]));
                    p.close(closePayload(1000, new byte[0]));
                }),
                closes("7.1.3", "a ping after the close: no pong", 1000, p -> {
                    p.close(closePayload(1000, new byte[0]));
                    p.frame(true, PING, hello);
                }),
                closes("7.1.4", "text after the close: not echoed", 1000, p -> {
                    p.close(closePayload(1000, new byte[0]));
                    p.frame(true, TEXT, hello);
                }),
                closes("7.1.5", "a fragment, the close, the last fragment: nothing echoed", 1000, p -> {
                    p.frame(false, TEXT, utf8("fragment1"));
                    p.close(closePayload(1000, new byte[0]));
                    p.frame(true, CONTINUATION, utf8("fragment2"));
                }),
                closes("7.1.6", "a 256 KiB text, the close, a ping", 1000, p -> {
                    p.frame(true, TEXT, filled(256 * KIB, 'B'));
                    p.close(closePayload(1000, new byte[0]));
                    p.frame(true, PING, hello);
                }, text(filled(256 * KIB, 'B'))),
                closes("7.3.1", "a close without payload, answered with 1000", 1000, p -> p.close(new byte[0])),
                fails("7.3.2", "a close with a 1-byte payload", 1002, p -> p.close(new byte[] {0x03})),
                closes("7.3.3", "a close with code 1000", 1000, p -> p.close(closePayload(1000, new byte[0]))),
                closes("7.3.4", "a close with code 1000 and a reason", 1000, p -> p.close(closePayload(1000, hello))),
                closes("7.3.5", "a close with a 123-byte reason", 1000,
                       p -> p.close(closePayload(1000, filled(123, '*')))),
                fails("7.3.6", "a close with a 124-byte reason (a 126-byte control frame)", 1002,
                      p -> p.close(closePayload(1000, filled(124, '*')))),
                fails("7.5.1", "a close reason that is not UTF-8", 1007,
                      p -> p.close(closePayload(1000, concat(hex("ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80"),
                                                             utf8("edited")))))));
        int[] valid = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999};
        for (int i = 0; i < valid.length; i++) {
            int code = valid[i];
            cases.add(closes("7.7." + (i + 1), "close code " + code + ", echoed", code,
                             p -> p.close(closePayload(code, new byte[0]))));
        }
        int[] invalid = {0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999};
        for (int i = 0; i < invalid.length; i++) {
            int code = invalid[i];
            cases.add(fails("7.9." + (i + 1), "close code " + code + ", which may not be sent", 1002,
                            p -> p.close(closePayload(code, new byte[0]))));
        }
        cases.add(fails("7.13.1", "close code 5000", 1002, p -> p.close(closePayload(5000, new byte[0]))));
        cases.add(fails("7.13.2", "close code 65535", 1002, p -> p.close(closePayload(65535, new byte[0]))));
        return cases;
    }

    // ---------------------------------------------------------------------------------------- 9 large messages

    static List<Case> large() {
        List<Case> cases = new ArrayList<>();
        int[] sizes = {64 * KIB, 256 * KIB, MIB, 4 * MIB, 8 * MIB, 16 * MIB};
        for (int i = 0; i < sizes.length; i++) {
            byte[] t = filled(sizes[i], '*');
            byte[] b = filled(sizes[i], (char) 0xfe);
            cases.add(ok("9.1." + (i + 1), "text of " + (sizes[i] / KIB) + " KiB in one frame",
                         p -> p.frame(true, TEXT, t), text(t)));
            cases.add(ok("9.2." + (i + 1), "binary of " + (sizes[i] / KIB) + " KiB in one frame",
                         p -> p.frame(true, BINARY, b), binary(b)));
        }
        int[] fragmentSizes = {64, 256, KIB, 4 * KIB, 16 * KIB, 64 * KIB, 256 * KIB, MIB, 4 * MIB};
        byte[] t4 = filled(4 * MIB, '*');
        byte[] b4 = filled(4 * MIB, (char) 0xfe);
        for (int i = 0; i < fragmentSizes.length; i++) {
            int size = fragmentSizes[i];
            cases.add(ok("9.3." + (i + 1), "4 MiB of text in fragments of " + size + " bytes",
                         p -> p.chopped(1 << 20, fragments(TEXT, t4, size)), text(t4)));
            cases.add(ok("9.4." + (i + 1), "4 MiB of binary in fragments of " + size + " bytes",
                         p -> p.chopped(1 << 20, fragments(BINARY, b4, size)), binary(b4)));
        }
        int[] chops = {64, 128, 256, 512, KIB, 2 * KIB};
        byte[] t1 = filled(MIB, '*');
        byte[] b1 = filled(MIB, (char) 0xfe);
        for (int i = 0; i < chops.length; i++) {
            int chop = chops[i];
            cases.add(ok("9.5." + (i + 1), "1 MiB of text in one frame, written " + chop + " bytes at a time",
                         p -> p.chopped(chop, frame(true, TEXT, t1)), text(t1)));
            cases.add(ok("9.6." + (i + 1), "1 MiB of binary in one frame, written " + chop + " bytes at a time",
                         p -> p.chopped(chop, frame(true, BINARY, b1)), binary(b1)));
        }
        int[] roundTrips = {0, 16, 64, 256, KIB, 4 * KIB};
        for (int i = 0; i < roundTrips.length; i++) {
            int size = roundTrips[i];
            cases.add(ok("9.7." + (i + 1), "1000 round trips of " + size + "-byte text", p -> {
                for (int k = 0; k < 1000; k++) {
                    p.roundTrip(TEXT, filled(size, '*'));
                }
            }));
            cases.add(ok("9.8." + (i + 1), "1000 round trips of " + size + "-byte binary", p -> {
                for (int k = 0; k < 1000; k++) {
                    p.roundTrip(BINARY, filled(size, (char) 0xfe));
                }
            }));
        }
        return cases;
    }

    /** A message as frames of {@code size} bytes, as one array of their bytes. */
    private static byte[] fragments(int opcode, byte[] message, int size) {
        ByteArrayOutputStream all = new ByteArrayOutputStream(message.length + message.length / size * 14 + 14);
        for (int at = 0; at < message.length; at += size) {
            boolean fin = at + size >= message.length;
            byte[] f = frame(fin, at == 0 ? opcode : CONTINUATION,
                             Arrays.copyOfRange(message, at, Math.min(message.length, at + size)));
            all.write(f, 0, f.length);
        }
        return all.toByteArray();
    }

    @Test
    @DisplayName("1.1.x/1.2.x framing: text and binary at every length encoding boundary")
    void framingAtEveryLengthBoundary() throws Exception {
        try (RawWebSocket ws = RawWebSocket.open(server.port(), "")) {
            Peer p = new Peer(ws);
            for (int length : new int[] {0, 125, 126, 127, 128, 65535, 65536}) {
                p.roundTrip(TEXT, filled(length, '*'));
                p.roundTrip(BINARY, filled(length, (char) 0xfe));
            }
        }
    }
}
