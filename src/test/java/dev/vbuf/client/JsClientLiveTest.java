package dev.vbuf.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.vbuf.access.AccessPolicy;
import dev.vbuf.access.Authenticator;
import dev.vbuf.config.Secret;
import dev.vbuf.config.Setting;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.FaultProxy;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * The JavaScript client package's own tests ({@code node --test}, its {@code test/}) against real servers started
 * here, each set up for one case: defaults, a session rate a quick start exceeds, one FFmpeg slot and no queue, a
 * proxy that cuts every connection without a close frame, a frame limit below a segment, a secret key. Fails when
 * node fails; node's report is the failure's message.
 */
class JsClientLiveTest {
    static final String SECRET = "js-client-test-secret-key-0123456789abcdef";

    @BeforeAll
    static void nodeAndWs() {
        JsPackage.assumeNodeAndWs();
    }

    @Test
    void thePackagesTestsPassAgainstRealServers(@TempDir Path dir) throws Exception {
        Path segments = Files.createDirectories(dir.resolve("segments"));
        List<Path> made = JsPackage.segments(segments, 6);
        List<AutoCloseable> open = new ArrayList<>();
        try {
            VbufServer plain = start(open, Map.of());
            VbufServer rate = start(open, Map.of(Setting.SESSION_RATE, "2", Setting.SESSION_BURST, "1"));
            VbufServer overloaded = start(open, Map.of(Setting.MAX_CONCURRENT, "1", Setting.QUEUE_CAPACITY, "0"));
            long smallest = made.stream().mapToLong(JsPackage::size).min().orElseThrow();
            VbufServer smallFrame = start(open, Map.of(Setting.MAX_FRAME_BYTES, String.valueOf(smallest / 4),
                                                       Setting.MAX_SEGMENT_BYTES, String.valueOf(smallest / 8)));
            VbufServer auth = start(open, Map.of(Setting.SECRET_KEY, SECRET));
            VbufServer full = start(open, Map.of(Setting.MAX_SESSIONS, "1"));
            FaultProxy cut = FaultProxy.to(plain.port()).cutAtAge(Duration.ofMillis(900), Duration.ofMillis(1_400)).seed(28)
                    .start();
            open.add(cut);
            String token = Authenticator.create(Optional.of(new Secret(SECRET)), Setting.AUTH_AUDIENCE.defaultValue())
                    .mint("js-client-test", Duration.ofMinutes(10));

            ProcessRunner.Result r = JsPackage.node(List.of("--test", "--test-reporter=spec",
                                                            JsPackage.DIR.resolve("test/client.test.mjs").toString()),
                    Map.of("VBUF_TEST_URL", url(plain.port()),
                           "VBUF_TEST_URL_RATE", url(rate.port()),
                           "VBUF_TEST_URL_OVERLOADED", url(overloaded.port()),
                           "VBUF_TEST_URL_CUT", url(cut.port()),
                           "VBUF_TEST_URL_SMALL_FRAME", url(smallFrame.port()),
                           "VBUF_TEST_URL_AUTH", url(auth.port()),
                           "VBUF_TEST_URL_FULL", url(full.port()),
                           "VBUF_TEST_RETRY_AFTER_MS", String.valueOf(AccessPolicy.SESSION_RETRY_AFTER_MS),
                           "VBUF_TEST_TOKEN", token,
                           "VBUF_TEST_SEGMENTS", segments.toString()),
                    Duration.ofMinutes(4));
            String report = r.stdoutText() + r.stderrTail();
            assertThat("node --test finished:\n" + report, r.stop(), is(ProcessRunner.Stop.NONE));
            assertThat("node --test failed:\n" + report, r.exitCode(), is(0));
            assertThat("the proxy cut connections:\n" + report, cut.events().size(), greaterThanOrEqualTo(1));
        } finally {
            for (AutoCloseable c : open.reversed()) {
                c.close();
            }
        }
    }

    private static VbufServer start(List<AutoCloseable> open, Map<Setting, String> settings) {
        VbufServer s = TestServer.start(settings);
        open.add(s);
        return s;
    }

    static String url(int port) {
        return "ws://127.0.0.1:" + port + Protocol.PATH;
    }
}
