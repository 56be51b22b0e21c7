package dev.vbuf.player;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import dev.vbuf.access.Authenticator;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.media.HlsPlaylist;
import dev.vbuf.media.Mp4Boxes;
import dev.vbuf.process.ProcessRunner;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The reference player's demo rendition on disk: the MPEG-TS segments the page sends to vbuf, the same segments' video
 * as fragmented MP4 for the page's video SourceBuffer (one file per segment, each with its init segment in front, on
 * the TS timeline), and the manifest that lists them. Made once, from a directory of real segments (an HLS playlist)
 * or generated with FFmpeg.
 */
final class PlayerDemo {
    /** The playlist a demo directory holds (and generation writes). */
    static final String PLAYLIST = "index.m3u8";
    /** The generated demo: its length, its segments' length and its keyframe interval (an HLS-style rendition). */
    static final int GENERATED_SECONDS = 36;
    static final int GENERATED_SEGMENT_SECONDS = 4;
    static final int GENERATED_KEYFRAME_SECONDS = 2;
    /** How long generating the demo may take (one encode of {@link #GENERATED_SECONDS} of small video). */
    static final Duration GENERATE_DEADLINE = Duration.ofSeconds(120);
    /** Largest video file made from one segment. */
    static final int MAX_VIDEO_BYTES = 64 << 20;
    /**
     * The MSE codecs of each audio format the page can ask for. {@code fmp4} is the input's AAC copied: AAC-LC, what
     * the demo has and what a directory of real segments must have.
     */
    static final List<AudioTrack> AUDIO = List.of(new AudioTrack(OutputFormat.FMP4, "mp4a.40.2"),
                                                  new AudioTrack(OutputFormat.WEBM, "opus"));

    /** ISO/IEC 14496-12 VisualSampleEntry: the fields between its header and its child boxes. */
    private static final int VISUAL_SAMPLE_ENTRY_BYTES = 78;

    /** One segment as the manifest lists it; the paths are served by {@link PlayerService}. */
    record Segment(int index, String id, double startSec, double durationSec, String ts, String video) {
    }

    /** How the page opens its WebSocket, from the server's own definitions. */
    record ProtocolInfo(String path, String formatParam, String subprotocol, String tokenPrefix, String segmentMessage,
                        String defaultFormat) {
    }

    record AudioTrack(String format, String mimeType) {
        AudioTrack(OutputFormat f, String codecs) {
            this(f.wireName(), f.contentType() + "; codecs=\"" + codecs + "\"");
        }
    }

    /**
     * The manifest the page reads first ({@code demo/manifest.json}). {@code chirp}: the generated demo's audio, per
     * channel (what the page's boundary measurement compares its output with); absent for a directory of real
     * segments.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Manifest(String source, double durationSec, String videoMimeType, List<AudioTrack> audio,
                    ProtocolInfo protocol, List<FfmpegCommand.Chirp> chirp, List<Segment> segments) {
    }

    private final Manifest manifest;
    private final List<Path> ts;
    private final List<Path> video;

    private PlayerDemo(Manifest manifest, List<Path> ts, List<Path> video) {
        this.manifest = manifest;
        this.ts = ts;
        this.video = video;
    }

    Manifest manifest() {
        return manifest;
    }

    int size() {
        return ts.size();
    }

    Path ts(int index) {
        return ts.get(index);
    }

    Path video(int index) {
        return video.get(index);
    }

    /**
     * Reads the demo from {@code sourceDir}'s {@link #PLAYLIST}, or generates one into {@code workDir} when there is
     * none configured, then makes each segment's video file in {@code workDir}.
     *
     * @param servedAt the path the segments are served under, relative to the page ({@code demo/})
     * @param live     where the FFmpeg processes are tracked while they run (the server kills them when it stops)
     * @throws IOException FFmpeg failed (the message has its stderr), or the directory is not a usable demo
     */
    static PlayerDemo prepare(FfmpegBinary ffmpeg, Optional<Path> sourceDir, Path workDir, Duration ffmpegDeadline,
                              String servedAt, Set<Process> live) throws IOException, InterruptedException {
        String exe = ffmpeg.executable().toString();
        Path playlist;
        if (sourceDir.isPresent()) {
            playlist = sourceDir.get().resolve(PLAYLIST);
            if (!Files.isRegularFile(playlist)) {
                throw new IOException("the demo directory " + sourceDir.get() + " has no " + PLAYLIST);
            }
        } else {
            Path hls = Files.createDirectories(workDir.resolve("hls"));
            // H.264 encoding: the tool FFmpeg's (the segment FFmpeg has no video encoder)
            run(FfmpegCommand.demoHls(FfmpegBinary.tool().executable().toString(), GENERATED_SECONDS, GENERATED_SEGMENT_SECONDS, GENERATED_KEYFRAME_SECONDS,
                                      hls, PLAYLIST), null, GENERATE_DEADLINE, live, "generate the demo");
            playlist = hls.resolve(PLAYLIST);
        }
        List<HlsPlaylist.Entry> entries = HlsPlaylist.read(playlist);
        Path videoDir = Files.createDirectories(workDir.resolve("video"));
        List<Path> tsFiles = new ArrayList<>();
        List<Path> videoFiles = new ArrayList<>();
        List<Segment> segments = new ArrayList<>();
        String codecs = null;
        for (HlsPlaylist.Entry e : entries) {
            if (e.init().isPresent()) {
                throw new IOException("the demo must be MPEG-TS segments; " + playlist + " has an fMP4 init segment");
            }
            int i = tsFiles.size();
            byte[] mp4 = run(FfmpegCommand.videoFmp4(exe), Files.readAllBytes(e.media()), ffmpegDeadline, live,
                             "make the video of " + e.media().getFileName());
            if (codecs == null) {
                codecs = avcCodecs(mp4).orElseThrow(
                        () -> new IOException("the demo's video must be H.264: " + e.media() + " has no avcC"));
            }
            Path v = videoDir.resolve(i + ".mp4");
            Files.write(v, mp4);
            tsFiles.add(e.media());
            videoFiles.add(v);
            segments.add(new Segment(i, "seg-" + i, e.startSec(), e.durationSec(), servedAt + "ts/" + i,
                                     servedAt + "video/" + i));
        }
        HlsPlaylist.Entry last = entries.get(entries.size() - 1);
        Manifest m = new Manifest(sourceDir.isPresent() ? "directory" : "generated",
                                  last.startSec() + last.durationSec(), "video/mp4; codecs=\"" + codecs + "\"",
                                  AUDIO,
                                  new ProtocolInfo(Protocol.PATH, Protocol.FORMAT_PARAM, Protocol.SUBPROTOCOL_V11,
                                                   Authenticator.PROTOCOL_PREFIX, Protocol.SEGMENT_MESSAGE,
                                                   OutputFormat.DEFAULT.wireName()),
                                  sourceDir.isPresent() ? null : FfmpegCommand.CHIRP_CHANNELS,
                                  List.copyOf(segments));
        return new PlayerDemo(m, List.copyOf(tsFiles), List.copyOf(videoFiles));
    }

    /**
     * The RFC 6381 codecs string of the H.264 stream in an MP4 init segment ({@code avc1.PPCCLL}: profile, constraint
     * flags and level, the three bytes after the {@code avcC} version byte). Empty if the first track is not H.264.
     */
    static Optional<String> avcCodecs(byte[] mp4) {
        return Mp4Boxes.find(mp4, 0, mp4.length, "moov")
                .flatMap(moov -> Mp4Boxes.path(mp4, moov, "trak", "mdia", "minf", "stbl", "stsd"))
                // stsd: version, flags and an entry count, then the sample entries
                .flatMap(stsd -> Mp4Boxes.find(mp4, stsd.bodyStart() + 8, stsd.end(), "avc1"))
                // avc1: a visual sample entry's 78 bytes of fields, then its child boxes
                .flatMap(avc1 -> Mp4Boxes.find(mp4, avc1.bodyStart() + VISUAL_SAMPLE_ENTRY_BYTES, avc1.end(), "avcC"))
                .filter(avcC -> avcC.end() - avcC.bodyStart() >= 4)
                .map(avcC -> "avc1." + HexFormat.of().withUpperCase().formatHex(mp4, avcC.bodyStart() + 1,
                                                                                  avcC.bodyStart() + 4));
    }

    private static byte[] run(List<String> cmd, byte[] stdin, Duration deadline, Set<Process> live, String what)
            throws IOException, InterruptedException {
        ProcessRunner runner = ProcessRunner.of(cmd).deadline(deadline).maxStdoutBytes(MAX_VIDEO_BYTES).track(live);
        if (stdin != null) {
            runner.stdin(stdin);
        }
        ProcessRunner.Result r = runner.run();
        if (!r.succeeded() || (stdin != null && r.stdout().length == 0)) {
            throw new IOException("FFmpeg could not " + what + " (exit " + r.exitCode() + ", " + r.stop() + "): "
                                  + r.stderrTail().strip());
        }
        return r.stdout();
    }
}
