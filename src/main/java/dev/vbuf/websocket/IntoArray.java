package dev.vbuf.websocket;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;

import io.helidon.common.buffers.BufferData;

/**
 * A write-only view of a region of a caller's array, for {@code HelidonSocket.read(BufferData)}: the socket calls
 * {@link #readFrom}, which reads straight into {@code array[offset, offset + length)}. Helidon's own buffers read
 * into their own arrays (from offset 0), which would cost a copy of every payload byte; this is the one method the
 * socket needs. Nothing else is supported.
 */
final class IntoArray implements BufferData {
    private final byte[] array;
    private final int offset;
    private final int length;

    IntoArray(byte[] array, int offset, int length) {
        this.array = array;
        this.offset = offset;
        this.length = length;
    }

    @Override
    public int readFrom(InputStream in) {
        try {
            return in.read(array, offset, length);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("a read target only");
    }

    @Override
    public BufferData reset() {
        throw unsupported();
    }

    @Override
    public BufferData rewind() {
        throw unsupported();
    }

    @Override
    public BufferData clear() {
        throw unsupported();
    }

    @Override
    public void writeTo(OutputStream out) {
        throw unsupported();
    }

    @Override
    public int read() {
        throw unsupported();
    }

    @Override
    public int read(byte[] bytes, int position, int len) {
        throw unsupported();
    }

    @Override
    public String readString(int len, Charset charset) {
        throw unsupported();
    }

    @Override
    public boolean consumed() {
        throw unsupported();
    }

    @Override
    public BufferData write(int value) {
        throw unsupported();
    }

    @Override
    public int writeTo(ByteBuffer writeBuffer, int limit) {
        throw unsupported();
    }

    @Override
    public void write(byte[] bytes, int position, int len) {
        throw unsupported();
    }

    @Override
    public void write(BufferData buffer, int len) {
        throw unsupported();
    }

    @Override
    public String debugDataBinary() {
        return "IntoArray[" + offset + ", " + (offset + length) + ")";
    }

    @Override
    public String debugDataHex(boolean fullBuffer) {
        return debugDataBinary();
    }

    @Override
    public int available() {
        return 0;
    }

    @Override
    public void skip(int len) {
        throw unsupported();
    }

    @Override
    public int indexOf(byte b) {
        throw unsupported();
    }

    @Override
    public int lastIndexOf(byte b, int len) {
        throw unsupported();
    }

    @Override
    public BufferData trim(int x) {
        throw unsupported();
    }

    @Override
    public int capacity() {
        return length;
    }

    @Override
    public int get(int index) {
        throw unsupported();
    }
}
