package dev.vbuf.api;

import java.util.Arrays;

import io.helidon.common.buffers.BufferData;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.nullValue;

/** Frames of one binary message become one segment; past the limit the rest is read, dropped and reported. */
class MessageAssemblerTest {

    private static byte[] bytes(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 31 + seed);
        }
        return b;
    }

    @Test
    void aMessageInOneFrameComesOutWhole() {
        MessageAssembler a = new MessageAssembler(1000);
        byte[] data = bytes(1000, 1);
        MessageAssembler.Message m = a.add(BufferData.create(data), true);
        assertThat(m.tooLarge(), is(false));
        assertThat(m.size(), is(1000L));
        assertThat(Arrays.equals(m.bytes(), data), is(true));
    }

    @Test
    void framesAreJoinedInOrderUntilTheLastOne() {
        MessageAssembler a = new MessageAssembler(1 << 20);
        byte[] one = bytes(300, 1);
        byte[] two = bytes(200, 2);
        byte[] three = bytes(1, 3);
        assertThat(a.add(BufferData.create(one), false), is(nullValue()));
        assertThat(a.add(BufferData.create(two), false), is(nullValue()));
        MessageAssembler.Message m = a.add(BufferData.create(three), true);
        byte[] expected = new byte[501];
        System.arraycopy(one, 0, expected, 0, 300);
        System.arraycopy(two, 0, expected, 300, 200);
        expected[500] = three[0];
        assertThat(Arrays.equals(m.bytes(), expected), is(true));
        // the next message starts afresh
        MessageAssembler.Message next = a.add(BufferData.create(bytes(5, 9)), true);
        assertThat(Arrays.equals(next.bytes(), bytes(5, 9)), is(true));
    }

    @Test
    void overTheLimitTheMessageIsDroppedAndItsFullSizeReported() {
        MessageAssembler a = new MessageAssembler(1000);
        assertThat(a.add(BufferData.create(bytes(600, 1)), false), is(nullValue()));
        assertThat(a.add(BufferData.create(bytes(600, 2)), false), is(nullValue()));
        MessageAssembler.Message m = a.add(BufferData.create(bytes(10, 3)), true);
        assertThat(m.tooLarge(), is(true));
        assertThat(m.size(), is(1210L));
        // a single oversized frame is reported too, and the session goes on with the next message
        assertThat(a.add(BufferData.create(bytes(1001, 4)), true).tooLarge(), is(true));
        assertThat(a.add(BufferData.create(bytes(1000, 5)), true).tooLarge(), is(false));
    }

    @Test
    void anEmptyMessageIsAnEmptySegment() {
        MessageAssembler.Message m = new MessageAssembler(1000).add(BufferData.empty(), true);
        assertThat(m.tooLarge(), is(false));
        assertThat(m.bytes().length, is(0));
    }
}
