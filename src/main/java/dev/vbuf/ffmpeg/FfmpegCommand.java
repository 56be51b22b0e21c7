package dev.vbuf.ffmpeg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import dev.vbuf.media.InputContainer;
import dev.vbuf.protocol.OutputFormat;

import net.bramp.ffmpeg.builder.FFmpegBuilder;
import net.bramp.ffmpeg.builder.FFmpegOutputBuilder;

/**
 * Builds the one FFmpeg command line that turns a segment on stdin into audio on stdout. Untrusted input: the demuxer
 * is forced (no probing, so no playlist/concat demuxer is ever chosen) and only the {@code pipe} protocol is allowed.
 * Progress goes to stderr as key=value lines ({@code -progress pipe:2}) so the audio duration can be read back.
 */
public final class FfmpegCommand {
    /** Opus bit rate for {@link OutputFormat#WEBM}; AAC bit rate when AAC must be encoded. */
    static final String OPUS_BITRATE = "64k";
    static final String AAC_BITRATE = "128k";
    /** The sample rate Opus is encoded at (its native rate). */
    static final String OPUS_SAMPLE_RATE = "48000";
    /**
     * The AAC coder of protocol v1.1's encodes: the default ({@code twoloop}) carries rate-control state for seconds,
     * so an encode that starts at a segment stays about twice a single-pass encode's error for its first seconds;
     * {@code fast}'s error depends on what it has just read only (after 70 ms it is the single-pass encode's).
     */
    static final String AAC_GAPLESS_CODER = "fast";
    /**
     * The channel layouts libopus encodes (mapping families 0 and 1). Others, such as broadcast 5.1(side) or 2.1, are
     * remixed to the nearest of these by FFmpeg's format negotiation instead of failing the encoder.
     */
    static final String OPUS_LAYOUTS = "aformat=channel_layouts=mono|stereo|3.0|quad|5.0|5.1|6.1|7.1";
    /**
     * Fragmented MP4 for Media Source Extensions: exactly an init segment (ftyp, moov with the codec config) and media
     * segments (moof, mdat); {@code skip_trailer} leaves out the mfra index an MSE parser has no use for.
     */
    public static final String FMP4_MOVFLAGS = "frag_keyframe+empty_moov+delay_moov+default_base_moof+skip_trailer";
    /** {@link #FMP4_MOVFLAGS} with every fragment's {@code tfdt} at its first sample's time (with {@code -copyts}). */
    static final String FMP4_MOVFLAGS_INPUT_TIME = FMP4_MOVFLAGS + "+frag_discont";

    /**
     * Output buffered in FFmpeg's 32 KiB I/O buffer instead of written packet by packet. For an output that cannot seek
     * (the stdout pipe) FFmpeg otherwise flushes after every packet: 283 writes for the ADTS of a 6-s segment, each a
     * wake-up of the thread reading the pipe, where buffered it is 3. The bytes written are the same.
     */
    public static final List<String> NO_FLUSH_PER_PACKET = List.of("-flush_packets", "0");

    /**
     * A stream probe of the segment's first 256 KiB instead of FFmpeg's 5 MB. The segment FFmpeg has no video decoder,
     * so with the default probe it reads the whole of a 2 MB segment before its first output, trying to learn the
     * video's parameters; limited, FFmpeg's CPU per 6-s segment halves for the stream copies (perf/README.md, "The
     * segment FFmpeg"). Audio that first appears later than that (a segment whose audio starts seconds in) is not
     * found, so a run that ends this way is run again without the limit ({@link #withDefaultProbe},
     * {@link #probeFoundNoAudio}).
     */
    public static final List<String> LIMITED_PROBE = List.of("-probesize", "262144");
    /** What FFmpeg prints when its probe ran out before a stream's parameters were known. */
    private static final String PROBE_RAN_OUT = "Consider increasing the value for the 'analyzeduration'";

    /**
     * Two rising chirps, one per stereo channel, 48 kHz (an FFmpeg lavfi source): test audio that is not a pure tone,
     * so a sample out of place or a click at a segment join shows. The player's demo and the boundary tests use it.
     */
    public static final String CHIRP;

    /**
     * One channel of {@link #CHIRP}: {@code amplitude * sin(2 pi (startHz t + sweep t^2))}, t in seconds from the first
     * sample (its frequency rises from {@code startHz} by {@code 2 sweep} Hz per second).
     */
    public record Chirp(double amplitude, int startHz, int sweep) {
        String expression() {
            return amplitude + "*sin(2*PI*(" + startHz + "*t+" + sweep + "*t*t))";
        }
    }

    /** {@link #CHIRP}'s channels, left then right. */
    public static final List<Chirp> CHIRP_CHANNELS = List.of(new Chirp(0.4, 100, 60), new Chirp(0.3, 150, 40));
    /** {@link #CHIRP}'s sample rate. */
    public static final int CHIRP_RATE = 48_000;

    static {
        CHIRP = "aevalsrc=" + String.join("|", CHIRP_CHANNELS.stream().map(Chirp::expression).toList())
                + ":s=" + CHIRP_RATE;
    }

    /** A 440 Hz tone at 48 kHz (an FFmpeg lavfi source): the audio of generated test segments. */
    static final String TONE = "sine=frequency=440:sample_rate=48000";

    /** The player demo's picture: FFmpeg's moving test pattern with a running clock. */
    static final String DEMO_PICTURE = "testsrc2=size=640x360:rate=30";

    private FfmpegCommand() {
    }

    /**
     * The reference player's demo rendition, encoded once: {@code seconds} of test picture (H.264 by libopenh264, the
     * encoder the bundled build has, a keyframe every {@code keyframeSeconds}) and {@link #CHIRP} (AAC 128 kb/s, no
     * perceptual noise substitution), written as an HLS VOD playlist {@code playlist} of MPEG-TS segments of
     * {@code segmentSeconds} each ({@code seg-00000.ts}, ...) into {@code dir}, as an HLS packager would.
     */
    public static List<String> demoHls(String ffmpeg, int seconds, int segmentSeconds, int keyframeSeconds,
                                       Path dir, String playlist) {
        int fps = 30;
        return List.of(ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
                       "-f", "lavfi", "-i", DEMO_PICTURE, "-f", "lavfi", "-i", CHIRP, "-t", String.valueOf(seconds),
                       "-c:v", "libopenh264", "-b:v", "800k", "-g", String.valueOf(fps * keyframeSeconds),
                       "-c:a", "aac", "-b:a", AAC_BITRATE, "-aac_pns", "0",
                       "-f", "hls", "-hls_time", String.valueOf(segmentSeconds), "-hls_playlist_type", "vod",
                       "-hls_segment_type", "mpegts",
                       "-hls_segment_filename", dir.resolve("seg-%05d.ts").toString(),
                       "-y", dir.resolve(playlist).toString());
    }

    /**
     * One MPEG-TS segment on stdin to its first video stream alone on stdout, as fragmented MP4 for a Media Source
     * Extensions video SourceBuffer: stream copy, the input's timestamps kept ({@code tfdt} = the TS PTS, as in
     * protocol v1.1's audio replies), so video and vbuf's audio land on one timeline with {@code timestampOffset} 0.
     */
    public static List<String> videoFmp4(String ffmpeg) {
        return List.of(ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
                       "-f", InputContainer.MPEG_TS.demuxer(), "-protocol_whitelist", "pipe", "-i", "pipe:0",
                       "-map", "0:v:0", "-c", "copy", "-copyts",
                       "-f", "mp4", "-movflags", FMP4_MOVFLAGS_INPUT_TIME, "pipe:1");
    }

    /** A tiny generated segment (0.5 s of AAC in MPEG-TS) on stdout: what the start-up self-test runs. */
    public static List<String> selfTestSegment(String ffmpeg) {
        return List.of(ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error",
                       "-f", "lavfi", "-i", TONE + ":duration=0.5",
                       "-c:a", "aac", "-f", "mpegts", "pipe:1");
    }

    public static List<String> extractAudio(String ffmpeg, InputContainer input, boolean inputAudioIsAac,
                                            OutputFormat format) {
        return extractAudio(ffmpeg, input, inputAudioIsAac, format, false, null);
    }

    /**
     * Protocol v1.1: the same command with the input's timestamps kept ({@code -copyts}; fMP4 fragments then start at
     * their first sample's time, {@code frag_discont}, so {@code tfdt} is the input's time) and, when not null,
     * {@code firstFilter} run on the decoded audio before anything else (the pre-roll trim).
     */
    public static List<String> extractAudio(String ffmpeg, InputContainer input, boolean inputAudioIsAac,
                                            OutputFormat format, boolean keepTimestamps, String firstFilter) {
        FFmpegBuilder builder = new FFmpegBuilder()
                .setVerbosity(FFmpegBuilder.Verbosity.WARNING)
                .addExtraArgs("-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:2")
                .addInput("pipe:0")
                    .setFormat(input.demuxer())
                    .addExtraArgs("-protocol_whitelist", "pipe")
                    .addExtraArgs(LIMITED_PROBE.toArray(String[]::new))
                    .done();
        FFmpegOutputBuilder out = builder.addOutput("pipe:1")
                .setFormat(format.muxer())
                .disableVideo()
                .disableSubtitle()
                .addExtraArgs("-map", "0:a:0", "-dn")
                .addExtraArgs(NO_FLUSH_PER_PACKET.toArray(String[]::new));
        if (keepTimestamps) {
            out.addExtraArgs("-copyts");
        }
        switch (format) {
            case AAC -> {
                if (inputAudioIsAac) {
                    out.setAudioCodec("copy");
                } else {
                    encodeAac(out, keepTimestamps);
                }
            }
            case FMP4 -> {
                if (inputAudioIsAac) {
                    out.setAudioCodec("copy");
                    if (input == InputContainer.MPEG_TS) {
                        out.addExtraArgs("-bsf:a", "aac_adtstoasc");
                    }
                } else {
                    encodeAac(out, keepTimestamps);
                }
                // delay_moov: with ADTS input the AudioSpecificConfig is only known from the first packet; without it
                // the moov would carry none, which FFmpeg tolerates but Media Source Extensions do not.
                out.addExtraArgs("-movflags", keepTimestamps ? FMP4_MOVFLAGS_INPUT_TIME : FMP4_MOVFLAGS);
            }
            case WEBM -> out.setAudioCodec("libopus").addExtraArgs("-b:a", OPUS_BITRATE, "-ar", OPUS_SAMPLE_RATE,
                                                                   "-af", withFirst(firstFilter, OPUS_LAYOUTS));
            case PCM -> out.setAudioCodec("pcm_s16le")
                    .addExtraArgs("-ar", String.valueOf(OutputFormat.PCM_SAMPLE_RATE),
                                  "-ac", String.valueOf(OutputFormat.PCM_CHANNELS));
        }
        if (firstFilter != null && format != OutputFormat.WEBM) {
            out.addExtraArgs("-af", firstFilter);
        }
        out.done();
        List<String> args = new ArrayList<>();
        args.add(ffmpeg);
        args.addAll(builder.build());
        return List.copyOf(args);
    }

    /** {@code command} without {@link #LIMITED_PROBE}: FFmpeg's default probe. */
    public static List<String> withDefaultProbe(List<String> command) {
        List<String> c = new ArrayList<>(command);
        int at = Collections.indexOfSubList(c, LIMITED_PROBE);
        if (at >= 0) {
            c.subList(at, at + LIMITED_PROBE.size()).clear();
        }
        return List.copyOf(c);
    }

    /**
     * Whether a run of {@code command} that failed without output did so because its limited probe ended before the
     * audio's parameters were known: then the same command with the default probe answers it.
     */
    public static boolean probeFoundNoAudio(List<String> command, int exitCode, int outputBytes, String stderrTail) {
        return exitCode != 0 && outputBytes == 0 && Collections.indexOfSubList(command, LIMITED_PROBE) >= 0
               && (stderrTail.contains(PROBE_RAN_OUT) || stderrTail.contains("matches no streams"));
    }

    private static void encodeAac(FFmpegOutputBuilder out, boolean gapless) {
        out.setAudioCodec("aac").addExtraArgs("-b:a", AAC_BITRATE);
        if (gapless) {
            out.addExtraArgs("-aac_coder", AAC_GAPLESS_CODER);
        }
    }

    /** The output options of protocol v1.1's AAC encode, for an encode of a whole input to compare it with. */
    public static List<String> gaplessAacEncoder() {
        return List.of("-c:a", "aac", "-b:a", AAC_BITRATE, "-aac_coder", AAC_GAPLESS_CODER);
    }

    private static String withFirst(String first, String filters) {
        return first == null ? filters : first + "," + filters;
    }
}
