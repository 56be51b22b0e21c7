package dev.vbuf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fault proxy itself, between a real socket client and a real echo server. */
class FaultProxyTest {
    private ServerSocket echo;

    @BeforeEach
    void echoServer() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (true) {
                Socket s;
                try {
                    s = echo.accept();
                } catch (IOException e) {
                    return;
                }
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.getInputStream().transferTo(s.getOutputStream());
                    } catch (IOException ignored) {
                        // the proxy broke it
                    }
                });
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        echo.close();
    }

    private Socket connect(FaultProxy proxy) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port());
        s.setSoTimeout(5_000);
        return s;
    }

    private static byte[] readFully(InputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n);
        assertThat("bytes back", b.length, is(n));
        return b;
    }

    @Test
    void forwardsEveryByteBothWaysInSlices() throws Exception {
        byte[] data = new byte[100_000];
        new Random(7).nextBytes(data);
        try (FaultProxy proxy = FaultProxy.to(echo.getLocalPort()).sliceWrites(100).start();
             Socket s = connect(proxy)) {
            Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(data);
                } catch (IOException ignored) {
                    // the read below fails then
                }
            });
            assertThat(Arrays.equals(readFully(s.getInputStream(), data.length), data), is(true));
            assertThat("every byte there and back", proxy.bytes(), is(2L * data.length));
            assertThat("written in pieces of at most 100 bytes", proxy.writes(),
                       greaterThanOrEqualTo(2L * data.length / 100));
        }
    }

    @Test
    void cutsAtAConnectionAgeDrawnFromASeededRange() throws Exception {
        Duration min = Duration.ofMillis(300);
        Duration max = Duration.ofMillis(600);
        try (FaultProxy proxy = FaultProxy.to(echo.getLocalPort()).cutAtAge(min, max).seed(11).start();
             Socket s = connect(proxy)) {
            long start = System.nanoTime();
            s.getOutputStream().write(42);
            assertThat(s.getInputStream().read(), is(42));
            assertThat("the stream ends, without an error", s.getInputStream().read(), is(-1));
            long ms = (System.nanoTime() - start) / 1_000_000;
            Duration age = proxy.ages().get(0);
            assertThat(age.compareTo(min) >= 0 && age.compareTo(max) <= 0, is(true));
            assertThat("ended at its age " + age + ": " + ms + " ms", ms, greaterThanOrEqualTo(age.toMillis() - 5));
            assertThat(proxy.events(), is(java.util.List.of(new FaultProxy.Event(0, FaultProxy.Fault.CUT, age))));
            try (FaultProxy again = FaultProxy.to(echo.getLocalPort()).cutAtAge(min, max).seed(11).start();
                 Socket t = connect(again)) {
                t.getOutputStream().write(1);
                t.getInputStream().read();
                assertThat("the same seed, the same age", again.ages(), is(proxy.ages()));
            }
        }
    }

    @Test
    void resetsWithAnRst() throws Exception {
        try (FaultProxy proxy = FaultProxy.to(echo.getLocalPort())
                .resetAtAge(Duration.ofMillis(200), Duration.ofMillis(200)).start();
             Socket s = connect(proxy)) {
            s.getOutputStream().write(1);
            assertThat(s.getInputStream().read(), is(1));
            SocketException e = assertThrows(SocketException.class, () -> {
                while (s.getInputStream().read() >= 0) {
                    // until the reset
                }
            });
            assertThat(e.getMessage(), containsString("reset"));
            assertThat(proxy.events().get(0).fault(), is(FaultProxy.Fault.RESET));
        }
    }

    @Test
    void stallsBothDirectionsThenGoesOn() throws Exception {
        try (FaultProxy proxy = FaultProxy.to(echo.getLocalPort()).start(); Socket s = connect(proxy)) {
            proxy.stall(Duration.ofMillis(800));
            long start = System.nanoTime();
            s.getOutputStream().write(9);
            s.setSoTimeout(400);
            assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read());
            s.setSoTimeout(5_000);
            assertThat(s.getInputStream().read(), is(9));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertThat("held for the stall", ms, greaterThanOrEqualTo(790L));
            assertThat("then forwarded", ms, lessThan(5_000L));
        }
    }
}
