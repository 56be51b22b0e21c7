package dev.vbuf.example;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import dev.vbuf.client.Segment;
import dev.vbuf.client.StreamRun;
import dev.vbuf.client.TokenSource;
import dev.vbuf.protocol.OutputFormat;

/** Streams a video's segments through a vbuf server and writes their audio as one file of 16 kHz mono PCM. */
public final class PcmExample {
    private PcmExample() {
    }

    /**
     * @param url      the server's WebSocket endpoint, e.g. {@code ws://localhost:8080/v1/segments}
     * @param segments the segments in media order, e.g. {@code new Segment(0, List.of(Path.of("seg0.ts")), 0, 2)}
     * @param out      the PCM file to write (raw s16le)
     */
    public static List<StreamRun.Outcome> toPcm(URI url, List<Segment> segments, Path out)
            throws IOException, InterruptedException, StreamRun.StreamException {
        StreamRun.Options options = new StreamRun.Options(
                url, OutputFormat.PCM, false, 2, Duration.ofSeconds(60), 20,
                TokenSource.NONE, true, StreamRun.DEFAULT_RECONNECTS); // true: protocol v1.1
        List<StreamRun.Outcome> outcomes = new StreamRun(segments, options, null).run();
        try (OutputStream file = Files.newOutputStream(out)) {
            for (StreamRun.Outcome o : outcomes) { // in media order, each segment answered once
                if (!o.ok()) {
                    throw new IOException("segment " + o.index() + ": " + o.errorCode() + " " + o.errorMessage());
                }
                file.write(o.audio()); // v1.1 pcm: the server trims, so the replies simply join
            }
        }
        return outcomes;
    }
}
