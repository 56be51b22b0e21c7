package dev.vbuf.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

import dev.vbuf.testing.RawWebSocket;

/**
 * A client on a plain socket that sends a request head exactly as the test writes it (header names and values in any
 * case, methods a WebSocket library would never send) and, once upgraded, frames as {@link RawWebSocket} builds them.
 */
final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String head;

    private RawClient(Socket socket, String head) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.head = head;
    }

    /** A fresh Sec-WebSocket-Key. */
    static String key() {
        byte[] nonce = new byte[16];
        ThreadLocalRandom.current().nextBytes(nonce);
        return Base64.getEncoder().encodeToString(nonce);
    }

    /** Sends {@code method path HTTP/1.1}, the header lines given (each "Name: value") and reads the response head. */
    static RawClient request(int port, String method, String path, String... headerLines) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
        s.setSoTimeout(30_000);
        StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n");
        for (String h : headerLines) {
            req.append(h).append("\r\n");
        }
        req.append("\r\n");
        s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
        return new RawClient(s, readHead(s.getInputStream()));
    }

    private static String readHead(InputStream in) throws IOException {
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

    /** The response's status line and headers. */
    String head() {
        return head;
    }

    int status() {
        String[] parts = head.split(" ", 3);
        return parts.length < 2 ? -1 : Integer.parseInt(parts[1]);
    }

    /** A response header's value (first one, name in any case), or null. */
    String header(String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        return null;
    }

    /** A masked client frame. */
    void send(boolean fin, int opcode, byte[] payload) throws IOException {
        byte[] mask = new byte[4];
        ThreadLocalRandom.current().nextBytes(mask);
        out.write(RawWebSocket.clientFrame((fin ? 0x80 : 0) | opcode, payload, mask));
        out.flush();
    }

    void sendRawBytes(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The server's next frame, or null at the end of the connection. */
    RawWebSocket.Frame read() throws IOException {
        int b0 = in.read();
        if (b0 < 0) {
            return null;
        }
        long len = in.read() & 0x7F;
        if (len == 126) {
            len = (in.read() << 8) | in.read();
        } else if (len == 127) {
            len = 0;
            for (int i = 0; i < 8; i++) {
                len = (len << 8) | in.read();
            }
        }
        return new RawWebSocket.Frame((b0 & 0x80) != 0, b0 & 0x0F, in.readNBytes((int) len));
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
