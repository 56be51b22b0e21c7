package dev.vbuf.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.vbuf.client.Resumes;
import dev.vbuf.client.StreamRun;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;
import dev.vbuf.tools.BoundaryCheck;
import dev.vbuf.testing.EncodedJoins;
import dev.vbuf.testing.FaultProxy;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/**
 * {@code vbuf stream --realtime} of two minutes of media in 2-s segments through a {@link FaultProxy} that breaks
 * every connection, the way a platform and a network do: cut without a close frame every 10-20 s (Cloud Run at its
 * request timeout), or reset (RST) every 5-15 s. Four streams at once, pcm and webm under each fault, against one
 * real server: each exits 0 with every segment answered exactly once; the pcm is the single-pass decode, every
 * sample; the webm's joins are within the single-pass encoder's own error (the check of the gapless tests,
 * {@link EncodedJoins}), the joins across the breaks included.
 */
class StreamThroughFaultsTest {
    private static final double MEDIA_SECONDS = 120;
    private static final double SEGMENT_SECONDS = 2;
    private static final Duration CUT_MIN = Duration.ofSeconds(10);
    private static final Duration CUT_MAX = Duration.ofSeconds(20);
    private static final Duration RESET_MIN = Duration.ofSeconds(5);
    private static final Duration RESET_MAX = Duration.ofSeconds(15);

    private static VbufServer server;
    private static Path input;
    private static Path work;

    @BeforeAll
    static void start() throws Exception {
        input = TestMedia.chirp(MEDIA_SECONDS, false);
        server = TestServer.start();
        work = Files.createTempDirectory("vbuf-faults");
    }

    @AfterAll
    static void stop() {
        server.close();
        StreamCommand.deleteRecursively(work);
    }

    private record Case(String name, OutputFormat format, FaultProxy proxy) {
    }

    private record Run(Case c, StreamCommand.Result result, String console) {
        Resumes resumes() {
            return result.report().resumes();
        }
    }

    @Test
    void everySegmentIsAnsweredOnceAndTheAudioIsAsIfNothingBroke() throws Exception {
        List<Case> cases = List.of(
                new Case("cut, pcm", OutputFormat.PCM, FaultProxy.to(server.port()).cutAtAge(CUT_MIN, CUT_MAX)
                        .seed(1).start()),
                new Case("cut, webm", OutputFormat.WEBM, FaultProxy.to(server.port()).cutAtAge(CUT_MIN, CUT_MAX)
                        .seed(2).start()),
                new Case("reset, pcm", OutputFormat.PCM, FaultProxy.to(server.port())
                        .resetAtAge(RESET_MIN, RESET_MAX).seed(3).start()),
                new Case("reset, webm", OutputFormat.WEBM, FaultProxy.to(server.port())
                        .resetAtAge(RESET_MIN, RESET_MAX).seed(4).start()));
        double okBefore = processedOk();
        List<Run> runs = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Run>> running = new ArrayList<>();
            for (Case c : cases) {
                running.add(pool.submit(() -> stream(c)));
            }
            for (Future<Run> f : running) {
                runs.add(f.get());
            }
        } finally {
            cases.forEach(c -> c.proxy().close());
        }
        int segments = 0;
        for (Run r : runs) {
            System.out.println("--- " + r.c().name() + ", faults " + r.c().proxy().events() + "\n" + r.console());
            assertThat(r.c().name() + ": " + r.console(), r.result().exitCode(), is(StreamCommand.EXIT_OK));
            assertAnsweredOnce(r);
            segments += r.result().outcomes().size();
        }
        double duplicatesProcessed = processedOk() - okBefore - segments;
        System.out.printf("fault runs: %s; the server processed %.0f segments more than were answered%n",
                          runs.stream().map(r -> r.c().name() + ": " + r.resumes().summary()).toList(),
                          duplicatesProcessed);
        for (Run r : runs) {
            if (r.c().format() == OutputFormat.PCM) {
                assertPcmIsTheSinglePassDecode(r);
            } else {
                assertWebmJoinsAreWithinTheEncodersError(r);
            }
        }
    }

    private static Run stream(Case c) throws Exception {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        URI url = URI.create("ws://127.0.0.1:" + c.proxy().port() + "/v1/segments");
        // pcm: the file vbuf stream writes is checked; webm: the replies themselves (the file is encoded once more)
        Path out = c.format() == OutputFormat.PCM ? work.resolve(c.name().replaceAll("[^a-z]+", "-") + ".pcm") : null;
        StreamCommand.Request request = StreamCommand.Request.of(List.of(input), url, c.format(), out)
                .withSegmentSeconds(SEGMENT_SECONDS).withRealtime(true);
        StreamCommand.Result result = StreamCommand.stream(request, TestMedia.TOOL,
                                                           new PrintStream(buffer, true, StandardCharsets.UTF_8));
        return new Run(c, result, buffer.toString(StandardCharsets.UTF_8));
    }

    /** Every segment has one outcome, with audio, in order; each fault that hit the stream cost one reconnect. */
    private static void assertAnsweredOnce(Run r) {
        List<StreamRun.Outcome> outcomes = r.result().outcomes();
        assertThat(r.c().name(), outcomes.size(), is((int) Math.ceil(MEDIA_SECONDS / SEGMENT_SECONDS)));
        for (int i = 0; i < outcomes.size(); i++) {
            assertThat(r.c().name() + " segment " + i, outcomes.get(i).index(), is(i));
            assertThat(r.c().name() + " segment " + i + ": " + outcomes.get(i).errorCode(), outcomes.get(i).ok(),
                       is(true));
        }
        Resumes resumes = r.resumes();
        assertThat(r.c().name() + ": no answer given twice", resumes.duplicateAnswers(), is(0));
        int faults = r.c().proxy().events().size();
        long longest = r.c().proxy().ages().stream().mapToLong(Duration::toSeconds).max().orElseThrow();
        int least = (int) (MEDIA_SECONDS / longest) - 1;
        assertThat(r.c().name() + ": the proxy broke the stream's connections: " + r.c().proxy().events(), faults,
                   greaterThanOrEqualTo(least));
        // a fault may hit the last connection after its last answer (then nothing is resumed)
        assertThat(r.c().name() + ": " + resumes.summary(), resumes.reconnects(), greaterThanOrEqualTo(faults - 1));
    }

    private static void assertPcmIsTheSinglePassDecode(Run r) throws Exception {
        byte[] single = BoundaryCheck.decodeBytes(TestMedia.FFMPEG, input, List.of("-f", "mpegts"),
                                                  OutputFormat.PCM_SAMPLE_RATE, OutputFormat.PCM_CHANNELS);
        byte[] ours = Files.readAllBytes(work.resolve(r.c().name().replaceAll("[^a-z]+", "-") + ".pcm"));
        assertThat(r.c().name() + ": length", ours.length, is(single.length));
        assertThat(r.c().name() + ": pcm through the faults = the single-pass decode, every sample",
                   Arrays.equals(ours, single), is(true));
    }

    private static void assertWebmJoinsAreWithinTheEncodersError(Run r) throws Exception {
        List<StreamRun.Outcome> outcomes = r.result().outcomes();
        List<byte[]> parts = outcomes.stream().map(StreamRun.Outcome::audio).toList();
        List<JsonNode> placed = outcomes.stream().map(StreamRun.Outcome::reply).toList();
        assertThat("every reply after the first decoded warm, across the breaks too",
                   placed.stream().skip(1).filter(p -> !p.path("gapless").asText().equals("warm"))
                           .map(p -> p.path("id").asText() + ": " + p.path("gapless").asText() + " "
                                     + p.path("coldReason").asText(""))
                           .toList(), is(empty()));
        Path dir = Files.createDirectories(work.resolve(r.c().name().replaceAll("[^a-z]+", "-")));
        OutputAssembler.Trimmed t = OutputAssembler.trim(parts, placed, OutputFormat.WEBM, TestMedia.TOOL, dir);
        List<Long> joins = t.ends().subList(0, t.ends().size() - 1);
        short[] lossless = BoundaryCheck.decode(TestMedia.FFMPEG, input, List.of("-f", "mpegts"), 48_000, 2);
        Path single = dir.resolve("single-pass.webm");
        FfmpegFileCommand.run(FfmpegFileCommand.encodeOnce(TestMedia.FFMPEG.executable().toString(), input, true,
                                                           single), "encode the input once");
        short[] singlePass = BoundaryCheck.decode(TestMedia.FFMPEG, single, List.of(), 48_000, 2);
        EncodedJoins.assertWithinSinglePassError(r.c().name(), BoundaryCheck.samples(t.bytes()), joins, lossless,
                                                 singlePass);
    }

    /** Segments the server answered with audio so far, all formats. */
    private static double processedOk() throws Exception {
        String text = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(MetricNames.SEGMENTS_TOTAL + "{") && line.contains("outcome=\"ok\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
