package dev.vbuf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The fault proxy in front of a real echo server: bytes pass intact in slices; cuts, resets and stalls happen. */
class FaultProxyTest {
    private ServerSocket echo;

    @BeforeEach
    void echoServer() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (s) {
                            s.getInputStream().transferTo(s.getOutputStream());
                        } catch (IOException e) {
                            // the proxy ended it
                        }
                    });
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        echo.close();
    }

    @Test
    void slicedBytesArriveIntact() throws Exception {
        byte[] data = new byte[200_000];
        new SplittableRandom(1).nextBytes(data);
        try (FaultProxy proxy = FaultProxy.start(echo.getLocalPort(), FaultProxy.Faults.none().sliced(7));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            Thread.ofVirtual().start(() -> {
                try {
                    s.getOutputStream().write(data);
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = s.getInputStream().readAllBytes();
            assertThat(Arrays.equals(back, data), is(true));
        }
    }

    @Test
    void cutEndsTheStreamWithoutAReset() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(echo.getLocalPort(), FaultProxy.Faults.cutEvery(300, 300, 1));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            long t0 = System.nanoTime();
            s.getOutputStream().write(1);
            InputStream in = s.getInputStream();
            assertThat(in.read(), is(1));
            assertThat("end of stream at the cut", in.read(), is(-1));
            assertThat((System.nanoTime() - t0) / 1_000_000, greaterThanOrEqualTo(250L));
            assertThat(proxy.cuts(), is(1));
        }
    }

    @Test
    void resetAtASeededAge() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(echo.getLocalPort(), FaultProxy.Faults.resetEvery(100, 400, 9));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            s.getOutputStream().write(1);
            InputStream in = s.getInputStream();
            assertThat(in.read(), is(1));
            assertThrows(SocketException.class, () -> {
                while (in.read() >= 0) {
                    // nothing more comes: the reset ends the read
                }
            });
            assertThat(proxy.resets(), is(1));
        }
    }

    @Test
    void stallHoldsBothDirections() throws Exception {
        try (FaultProxy proxy = FaultProxy.start(echo.getLocalPort(), FaultProxy.Faults.none().stalled(0, 700));
             Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.port())) {
            long t0 = System.nanoTime();
            s.getOutputStream().write(5);
            assertThat(s.getInputStream().read(), is(5));
            assertThat("held for the stall", (System.nanoTime() - t0) / 1_000_000, greaterThanOrEqualTo(650L));
        }
    }
}
