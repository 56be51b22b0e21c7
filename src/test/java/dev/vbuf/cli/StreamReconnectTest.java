package dev.vbuf.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.access.Authenticator;
import dev.vbuf.client.Resumes;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.client.TokenSource;
import dev.vbuf.config.Secret;
import dev.vbuf.config.Setting;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;
import dev.vbuf.tools.BoundaryCheck;
import dev.vbuf.testing.FaultProxy;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.not;

/**
 * {@code vbuf stream} keeps the reconnect contract against a real server: it stops at once, with a line saying why,
 * on what a new connection would meet again (a refused token, a frame over the limit); it waits out a full instance
 * as long as the server asks; it resumes after a stall through sliced writes; it gets a fresh token from
 * {@code --token-command} for every connect; and it gives up on a server that is gone for good.
 */
class StreamReconnectTest {
    private static Path dir;
    private static Path input;

    @BeforeAll
    static void media() throws Exception {
        dir = Files.createTempDirectory("vbuf-reconnect-test");
        input = TestMedia.chirp(16, false); // 8 segments of 2 s
    }

    @AfterAll
    static void clean() {
        StreamCommand.deleteRecursively(dir);
    }

    record Run(StreamCommand.Result result, String console, Duration wall) {
        Resumes resumes() {
            return result.report().resumes();
        }
    }

    static URI url(int port) {
        return URI.create("ws://127.0.0.1:" + port + "/v1/segments");
    }

    static Run stream(StreamCommand.Request request) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        long start = System.nanoTime();
        StreamCommand.Result r = StreamCommand.stream(request, TestMedia.TOOL,
                                                      new PrintStream(buffer, true, StandardCharsets.UTF_8));
        return new Run(r, buffer.toString(StandardCharsets.UTF_8), Duration.ofNanos(System.nanoTime() - start));
    }

    static StreamCommand.Request request(int port, OutputFormat format, Path out) {
        return StreamCommand.Request.of(List.of(input), url(port), format, out).withSegmentSeconds(2);
    }

    @Test
    void aRefusedTokenStopsAtOnceWithTheServersAnswer() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.SECRET_KEY, "reconnect-test-secret-0123456789abcdef"))) {
            Run run = stream(request(server.port(), OutputFormat.AAC, null));
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_CONNECTION));
            assertThat(run.console(), containsString("refused the WebSocket upgrade"));
            assertThat(run.console(), containsString("HTTP 401 (missing or invalid access token): not resumable"));
            assertThat("not retried: " + run.console(), run.console(), not(containsString("reconnecting in")));
        }
    }

    /** The command runs before every connect; through a proxy that cuts each connection, once per connection. */
    @Test
    void theTokenCommandRunsBeforeEveryConnect() throws Exception {
        String secret = "reconnect-test-secret-0123456789abcdef";
        Path calls = dir.resolve("token-calls");
        String token = Authenticator.create(Optional.of(new Secret(secret)), Setting.AUTH_AUDIENCE.defaultValue())
                .mint("reconnect-test", Duration.ofMinutes(10));
        String command = "echo x >> '" + calls + "'; echo '  " + token + "  '";
        try (VbufServer server = TestServer.start(Map.of(Setting.SECRET_KEY, secret));
             FaultProxy proxy = FaultProxy.to(server.port()).cutAtAge(Duration.ofSeconds(2), Duration.ofSeconds(4))
                     .seed(9).start()) {
            // in real time (16 s), so the cuts fall inside the stream however fast the server answers
            Run run = stream(request(proxy.port(), OutputFormat.AAC, null).withRealtime(true)
                                     .withToken(TokenOption.command(command)));
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            Resumes r = run.resumes();
            assertThat(run.console(), r.reconnects(), greaterThanOrEqualTo(1));
            assertThat("one token per connect: " + r.summary(), Files.readAllLines(calls).size(),
                       is(1 + r.reconnects() + r.failedConnects()));
        }
    }

    @Test
    void aFailingTokenCommandIsNamedInTheError() throws Exception {
        try (VbufServer server = TestServer.start()) {
            Run run = stream(request(server.port(), OutputFormat.AAC, null).withMaxReconnects(1)
                                     .withToken(TokenOption.command("echo 'no key here' >&2; exit 3")));
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_CONNECTION));
            assertThat(run.console(), containsString("--token-command failed (exit 3): no key here"));
        }
    }

    /** A frame over the server's limit closes with 1009, which the same segment would meet again: no retry. */
    @Test
    void aFatalCloseStopsAtOnce() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_FRAME_BYTES, "4096"))) {
            Run run = stream(request(server.port(), OutputFormat.AAC, null));
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_CONNECTION));
            assertThat(run.console(), containsString("closed the session with 1009"));
            assertThat(run.console(), containsString("not resumable (the reconnect contract stops on close 1009)"));
            assertThat(run.console(), not(containsString("reconnecting in")));
        }
    }

    /**
     * A full instance answers the upgrade 503 with {@code Retry-After: 5}: the client waits at least that long, then
     * gets in once the other session has left.
     */
    @Test
    void aFullInstanceIsWaitedOutAsLongAsItAsks() throws Exception {
        try (VbufServer server = TestServer.start(Map.of(Setting.MAX_SESSIONS, "1"))) {
            SegmentClient other = SegmentClient.connect(server.port(), "format=aac");
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Run> running = pool.submit(() -> stream(request(server.port(), OutputFormat.AAC, null)));
                Thread.sleep(1_000);
                other.close();
                Run run = running.get();
                assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
                assertThat(run.console(), run.resumes().failedConnects(), is(1));
                assertThat(run.console(), containsString("HTTP 503"));
                assertThat("waited the Retry-After of 5 s: " + run.wall(), run.wall().toMillis(),
                           greaterThanOrEqualTo(5_000L));
            }
        }
    }

    /**
     * Both directions stalled for 8 s, every write sliced into 7-byte pieces: after {@code --reply-timeout} (2 s)
     * without an answer the client drops the connection and resumes on a new one once the network moves again.
     */
    @Test
    void aStalledConnectionIsDroppedAndTheStreamResumes() throws Exception {
        Path out = dir.resolve("stalled.pcm");
        try (VbufServer server = TestServer.start();
             FaultProxy proxy = FaultProxy.to(server.port()).sliceWrites(7).start()) {
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                Future<Run> running = pool.submit(() -> stream(request(proxy.port(), OutputFormat.PCM, out)
                                                                       .withRealtime(true)
                                                                       .withReplyTimeout(Duration.ofSeconds(2))));
                Thread.sleep(5_000);
                proxy.stall(Duration.ofSeconds(8));
                Run run = running.get();
                System.out.println(run.console());
                assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
                assertThat(run.console(), run.resumes().ends(), hasKey("network error"));
                assertThat(run.console(), containsString("no answer within 2 s"));
                assertThat("pieces of 7 bytes", proxy.writes(), greaterThanOrEqualTo(proxy.bytes() / 7));
                byte[] single = BoundaryCheck.decodeBytes(TestMedia.FFMPEG, input, List.of("-f", "mpegts"),
                                                          OutputFormat.PCM_SAMPLE_RATE, OutputFormat.PCM_CHANNELS);
                assertThat("the single-pass decode", Arrays.equals(Files.readAllBytes(out), single), is(true));
            }
        }
    }

    /**
     * A goaway (put in by the proxy, between two replies, as a server at its session's maximum age sends it): the
     * client sends nothing more on that connection, takes the answers still due, leaves, and resumes on a new one no
     * sooner than {@code reconnectAfterMs}; the pcm is still the single-pass decode.
     */
    @Test
    void aGoawayMovesTheStreamToANewConnection() throws Exception {
        Path out = dir.resolve("goaway.pcm");
        try (VbufServer server = TestServer.start(); FaultProxy proxy = FaultProxy.to(server.port()).start()) {
            // right after the first reply, while the second segment is in flight
            proxy.injectToClient(dev.vbuf.protocol.Protocol.json(
                    new dev.vbuf.protocol.Protocol.Goaway(dev.vbuf.protocol.Protocol.Goaway.MAX_AGE, 700)));
            Run run = stream(request(proxy.port(), OutputFormat.PCM, out));
            System.out.println(run.console());
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat("the proxy put the goaway in", proxy.injected(), is(1));
            assertThat(run.console(), run.resumes().goaways(), is(1));
            assertThat(run.console(), run.resumes().ends(), is(Map.of("goaway", 1)));
            assertThat(run.console(), run.resumes().reconnects(), is(1));
            assertThat("no segment was lost on the way out", run.resumes().resent(), is(0));
            java.util.regex.Matcher wait = java.util.regex.Pattern.compile("reconnecting in (\\d+) ms")
                    .matcher(run.console());
            assertThat(run.console(), wait.find(), is(true));
            assertThat("not before reconnectAfterMs", Long.parseLong(wait.group(1)), greaterThanOrEqualTo(700L));
            byte[] single = BoundaryCheck.decodeBytes(TestMedia.FFMPEG, input, List.of("-f", "mpegts"),
                                                      OutputFormat.PCM_SAMPLE_RATE, OutputFormat.PCM_CHANNELS);
            assertThat("the single-pass decode", Arrays.equals(Files.readAllBytes(out), single), is(true));
        }
    }

    @Test
    void aTokenAndATokenCommandAreNotTakenTogether() {
        java.io.PrintStream err = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        int exit;
        try {
            System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
            exit = new picocli.CommandLine(new StreamCommand()).execute(input.toString(), "--url", url(1).toString(),
                                                                        "--token", "a", "--token-command", "echo b");
        } finally {
            System.setErr(err);
        }
        assertThat(exit, is(StreamCommand.EXIT_USAGE));
        assertThat(buffer.toString(StandardCharsets.UTF_8), containsString("give --token or --token-command, not both"));
    }

    @Test
    void aServerGoneForGoodEndsTheStreamAfterTheAttempts() throws Exception {
        Run run = stream(request(ServerProcess.freePort(), OutputFormat.AAC, null).withMaxReconnects(2));
        assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_CONNECTION));
        assertThat(run.console(), containsString("2 attempt(s) in a row brought no answer"));
        assertThat(run.console(), containsString("failed connects 3"));
        assertThat("bounded: " + run.wall(), run.wall().toSeconds(), lessThan(30L));
    }

    /**
     * v1.1's {@code end}: after the last segment the client sends it, the server answers everything pending and
     * closes with 1000.
     */
    @Test
    void endIsAnsweredWithANormalClose() throws Exception {
        try (VbufServer server = TestServer.start()) {
            Run run = stream(request(server.port(), OutputFormat.AAC, null));
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat(run.console(), run.resumes().endClose(), is(1000));
            assertThat(run.console(), not(containsString("instead of 1000")));
        }
    }

    /**
     * A server whose sessions reach their maximum age after 10 s ({@code VBUF_SESSION_MAX_AGE_SECONDS}) under a 60-s
     * real-time stream: it sends a goaway, answers what it holds and closes 1001; the client resumes on a new
     * connection each time, exits 0, and its pcm is the single-pass decode, every sample.
     */
    @Test
    void aSessionAtItsMaximumAgeIsResumedAfterItsGoaway() throws Exception {
        Path input = TestMedia.chirp(60, false);
        Path out = dir.resolve("max-age.pcm");
        try (ServerProcess server = ServerProcess.start(Map.of("VBUF_SESSION_MAX_AGE_SECONDS", "10"))) {
            server.awaitReady(Duration.ofSeconds(60));
            Run run = stream(StreamCommand.Request.of(List.of(input), url(server.port()), OutputFormat.PCM, out)
                                     .withSegmentSeconds(2).withRealtime(true));
            System.out.println(run.console());
            assertThat(run.console(), run.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertThat(run.console(), run.resumes().goaways(), greaterThanOrEqualTo(4));
            assertThat(run.console(), run.resumes().reconnects(), greaterThanOrEqualTo(4));
            assertThat(run.console(), run.resumes().duplicateAnswers(), is(0));
            byte[] single = BoundaryCheck.decodeBytes(TestMedia.FFMPEG, input, List.of("-f", "mpegts"),
                                                      OutputFormat.PCM_SAMPLE_RATE, OutputFormat.PCM_CHANNELS);
            assertThat("the single-pass decode", Arrays.equals(Files.readAllBytes(out), single), is(true));
        }
    }
}
