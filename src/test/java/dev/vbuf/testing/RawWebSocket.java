package dev.vbuf.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket that sends whatever frames a test builds, malformed ones included (a WebSocket
 * library would refuse to), and reads the server's frames back as they are on the wire.
 */
public final class RawWebSocket implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;

    /** A frame as the server sent it. */
    public record Frame(boolean fin, int opcode, byte[] payload) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** For a close frame: its status code, or -1 without one. */
        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
        }

        public String closeReason() {
            return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
        }
    }

    private RawWebSocket(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Opens {@code /v1/segments?query} and completes the opening handshake (asserting 101). */
    public static RawWebSocket open(int port, String query) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
        RawWebSocket ws = new RawWebSocket(s);
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        ws.out.write(("GET /v1/segments?" + query + " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                      + "Connection: Upgrade\r\nSec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce)
                      + "\r\nSec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        String head = ws.readHttpHead();
        if (!head.startsWith("HTTP/1.1 101 ")) {
            s.close();
            throw new IOException("upgrade refused: " + head);
        }
        return ws;
    }

    private String readHttpHead() throws IOException {
        return httpHead(in);
    }

    /** Reads an HTTP response's status line and headers, through the empty line, from a raw socket's stream. */
    public static String httpHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** A client frame: first byte as given (FIN, RSV bits, opcode), masked unless {@code masked} is false. */
    public void sendRaw(int firstByte, byte[] payload, boolean masked) throws IOException {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.write(clientFrame(firstByte, payload, masked ? mask : null));
        out.flush();
    }

    /**
     * A client frame's bytes: first byte as given (FIN, RSV bits, opcode), the shortest length encoding, and the payload
     * masked with {@code mask} (4 bytes), or unmasked (mask bit clear) when {@code mask} is null.
     */
    public static byte[] clientFrame(int firstByte, byte[] payload, byte[] mask) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.write(firstByte);
        int maskBit = mask != null ? 0x80 : 0;
        if (payload.length < 126) {
            f.write(maskBit | payload.length);
        } else if (payload.length < 65536) {
            f.write(maskBit | 126);
            f.write(payload.length >>> 8);
            f.write(payload.length & 0xFF);
        } else {
            f.write(maskBit | 127);
            for (int i = 7; i >= 0; i--) {
                f.write((int) ((long) payload.length >>> (8 * i)) & 0xFF);
            }
        }
        byte[] body = payload.clone();
        if (mask != null) {
            f.write(mask, 0, 4);
            for (int i = 0; i < body.length; i++) {
                body[i] ^= mask[i % 4];
            }
        }
        f.write(body, 0, body.length);
        return f.toByteArray();
    }

    /** Bytes as they are (e.g. a frame header announcing a payload that never comes). */
    public void sendRawBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A well-formed masked frame. */
    public void send(boolean fin, int opcode, byte[] payload) throws IOException {
        sendRaw((fin ? 0x80 : 0) | opcode, payload, true);
    }

    /** A close frame with a status code and reason bytes. */
    public void sendClose(int code, byte[] reason) throws IOException {
        byte[] p = new byte[2 + reason.length];
        p[0] = (byte) (code >> 8);
        p[1] = (byte) code;
        System.arraycopy(reason, 0, p, 2, reason.length);
        send(true, 0x8, p);
    }

    /** The server's next frame, or null when the connection ended. */
    public Frame read() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        int b1 = in.read();
        if ((b1 & 0x80) != 0) {
            throw new IOException("a server frame must not be masked");
        }
        long len = b1 & 0x7F;
        if (len == 126) {
            len = (in.read() << 8) | in.read();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | in.read();
            }
        }
        byte[] payload = in.readNBytes((int) len);
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
    }

    /** Reads frames until a close frame (returned) or the end of the connection (null). */
    public Frame readUntilClose() throws IOException {
        Frame f;
        while ((f = read()) != null) {
            if (f.opcode() == 0x8) {
                return f;
            }
        }
        return null;
    }

    /** True when the server ended the TCP connection (after its close frame). */
    public boolean endedByServer() {
        try {
            return in.read() < 0;
        } catch (IOException e) {
            return true; // reset: ended too
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
