package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import dev.vbuf.media.Mp4Boxes;
import dev.vbuf.tools.AudioProbe;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia.Kind;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;

/** Every output format from every input container, over WebSocket, checked with ffprobe. */
class FormatRoundTripTest {
    private static final AudioProbe PROBE = new AudioProbe(TestMedia.TOOL);
    private static final double SECONDS = 2.0;
    private static VbufServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> cases() {
        return Stream.of(Kind.TS_AAC, Kind.FMP4_AAC, Kind.MP4_FASTSTART, Kind.WEBM_OPUS, Kind.MKV_AAC, Kind.TS_MP2,
                         Kind.TS_AC3_SURROUND)
                .flatMap(k -> Stream.of(OutputFormat.values()).map(f -> Arguments.of(k, f)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("cases")
    void roundTrip(Kind input, OutputFormat format) throws Exception {
        byte[] segment = TestMedia.segment(input, SECONDS);
        AudioProbe.Info source = PROBE.probe(TestMedia.file(input, SECONDS, false), List.of());
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=" + format.wireName())) {
            client.send(segment);
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.type(), is("result"));
            assertThat(reply.json().path("seq").asLong(), is(0L));
            assertThat(reply.json().path("format").asText(), is(format.wireName()));
            assertThat(reply.json().path("bytes").asInt(), is(reply.audio().length));
            assertThat(reply.json().path("processingMs").asLong(), greaterThan(0L));
            assertThat(reply.json().path("queuedMs").asLong(), greaterThanOrEqualTo(0L));
            checkAudio(format, reply.audio(), source, reply.json().path("audioMs").asLong(), "aac".equals(source.codec()));
        }
    }

    /**
     * Container, codec and duration: within one audio frame of the input's audio. From a non-AAC input (MP2 here, with
     * its own 1152-sample frames) the re-encoded output may be up to two frames off: encoder priming plus padding.
     */
    static void checkAudio(OutputFormat format, byte[] audio, AudioProbe.Info source, long audioMs, boolean inputIsAac) {
        double expected = source.durationSec();
        int frames = inputIsAac ? 1 : 2;
        switch (format) {
            case AAC -> {
                AudioProbe.Info out = PROBE.probe(audio, "aac");
                assertThat(out.formatName(), is("aac"));
                assertThat(out.codec(), is("aac"));
                assertThat(out.durationSec(), closeTo(expected, frames * 1024.0 / out.sampleRate()));
            }
            case FMP4 -> {
                AudioProbe.Info out = PROBE.probe(audio, "m4a");
                assertThat(out.formatName(), containsString("mp4"));
                assertThat(out.codec(), is("aac"));
                assertThat("AudioSpecificConfig in the moov (MSE needs it)", out.profile(), is("LC"));
                String boxes = topLevelBoxes(audio);
                assertThat("an MSE init segment then media segments: " + boxes,
                           boxes.matches("ftyp moov( moof mdat)+"), is(true));
                assertThat(out.durationSec(), closeTo(expected, frames * 1024.0 / out.sampleRate()));
                assertThat("fragmented: has moof", new String(audio, java.nio.charset.StandardCharsets.ISO_8859_1),
                           containsString("moof"));
            }
            case WEBM -> {
                AudioProbe.Info out = PROBE.probe(audio, "webm");
                assertThat(out.formatName(), containsString("webm"));
                assertThat(out.codec(), is("opus"));
                assertThat(out.sampleRate(), is(48000));
                assertThat(out.durationSec(), closeTo(expected, frames * 0.020)); // 20 ms Opus frames
            }
            case PCM -> {
                assertThat("whole 16-bit samples", audio.length % 2, is(0));
                double seconds = audio.length / 2.0 / OutputFormat.PCM_SAMPLE_RATE;
                assertThat(seconds, closeTo(expected, 1024.0 / 48000));
                AudioProbe.Info out = PROBE.probe(audio, "pcm", List.of("-f", "s16le", "-sample_rate", "16000",
                                                                   "-ch_layout", "mono"));
                assertThat(out.codec(), is("pcm_s16le"));
                assertThat(out.channels(), is(1));
                assertThat(out.sampleRate(), is(16000));
            }
        }
        assertThat("audioMs", (double) audioMs, closeTo(expected * 1000, 50));
    }

    /**
     * A 0.1-s TS segment with video: every format reports the audio it returned (FFmpeg's own progress says 0 for a
     * short stream copy from TS, so {@code aac} and {@code fmp4} count their frames), matching the PCM decode.
     */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void shortSegmentsReportTheirAudioDuration(OutputFormat format) throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, 0.1);
        long pcmMs;
        long audioMs;
        try (SegmentClient pcm = SegmentClient.connect(server.port(), "format=pcm");
             SegmentClient client = SegmentClient.connect(server.port(), "format=" + format.wireName())) {
            pcm.send(segment);
            client.send(segment);
            SegmentClient.Reply reference = pcm.reply();
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.type(), is("result"));
            pcmMs = reference.json().path("audioMs").asLong();
            audioMs = reply.json().path("audioMs").asLong();
        }
        assertThat("the PCM decode of 0.1 s of audio (AAC frames round it up)", (double) pcmMs, closeTo(100, 50));
        assertThat(format + " audioMs", (double) audioMs, closeTo(pcmMs, 50));
    }

    /** An fMP4 init segment alone (no fragments) has no audio, whatever the format asked for. */
    @ParameterizedTest
    @EnumSource(OutputFormat.class)
    void anInitSegmentAloneIsInvalidMediaInEveryFormat(OutputFormat format) throws Exception {
        byte[] mp4 = TestMedia.segment(Kind.FMP4_AAC, 1.0);
        int moof = new String(mp4, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("moof") - 4;
        byte[] init = java.util.Arrays.copyOf(mp4, moof);
        assertThat(topLevelBoxes(init), is("ftyp moov"));
        try (SegmentClient client = SegmentClient.connect(server.port(), "format=" + format.wireName())) {
            client.send(init);
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.code(), is(ErrorCode.INVALID_MEDIA.wireName()));
            assertThat(reply.toString(), reply.json().path("message").asText(), containsString("no audio"));
        }
    }

    /** The top-level box types of an MP4, space-separated (with what is wrong, if the boxes do not fit). */
    static String topLevelBoxes(byte[] mp4) {
        try {
            return Mp4Boxes.topLevel(mp4).stream().map(Mp4Boxes.Box::type).collect(Collectors.joining(" "));
        } catch (Mp4Boxes.MalformedBox e) {
            return "<" + e.getMessage() + ">";
        }
    }

    @Test
    void httpPostReturnsAudioWithHeaders() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, SECONDS);
        AudioProbe.Info source = PROBE.probe(TestMedia.file(Kind.TS_AAC, SECONDS, false), List.of());
        for (OutputFormat format : OutputFormat.values()) {
            HttpResponse<byte[]> res = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + "/v1/segments?format="
                                                      + format.wireName()))
                            .POST(HttpRequest.BodyPublishers.ofByteArray(segment)).build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(format + ": " + new String(res.body()), res.statusCode(), is(200));
            assertThat(res.headers().firstValue("Content-Type").orElse(""), is(format.contentType()));
            long audioMs = Long.parseLong(res.headers().firstValue(Protocol.HEADER_AUDIO_MS).orElseThrow());
            assertThat(Long.parseLong(res.headers().firstValue(Protocol.HEADER_PROCESSING_MS).orElseThrow()),
                       greaterThan(0L));
            checkAudio(format, res.body(), source, audioMs, true);
        }
    }

    @Test
    void defaultFormatIsFmp4AndFragmentedFramesAreOneSegment() throws Exception {
        byte[] segment = TestMedia.segment(Kind.TS_AAC, SECONDS);
        try (SegmentClient client = SegmentClient.connect(server.port(), null)) {
            client.sendFragmented(segment, 64 * 1024);
            SegmentClient.Reply reply = client.reply();
            assertThat(reply.toString(), reply.type(), is("result"));
            assertThat(reply.json().path("format").asText(), is(OutputFormat.DEFAULT.wireName()));
            assertThat(reply.json().path("seq").asLong(), is(0L));
        }
    }
}
