package dev.vbuf.ffmpeg;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.OutputFormat;

/**
 * The FFmpeg and ffprobe command lines that work on files rather than on one segment from a client: what the CLI, the
 * release gate and the build-time tools run (split an input into segments, join or re-encode replies, probe and
 * decode audio, generate test media). Kept beside {@link FfmpegCommand} so a codec, bit rate or muxer option is
 * written once: where these encode what the segment path encodes, they take its values.
 */
public final class FfmpegFileCommand {
    /** How long one of these runs (splitting, probing, joining) may take. */
    public static final Duration DEADLINE = Duration.ofMinutes(10);
    /** The demo's 720p picture and its H.264 bit rate. */
    static final String DEMO_VIDEO_PICTURE = "testsrc2=size=1280x720:rate=30";
    static final String DEMO_VIDEO_BITRATE = "2500k";

    private FfmpegFileCommand() {
    }

    /**
     * Splits a media file the way an HLS packager does, with FFmpeg's segment muxer: stream copy, cut at keyframes,
     * MPEG-TS or fragmented MP4 (each segment with its own init in front), and a CSV list of the segments' times.
     *
     * @param adtsToAsc the input's audio is ADTS AAC going into MP4: FFmpeg would only insert this filter after the
     *                  first segment is written, leaving that one malformed
     */
    public static List<String> split(String ffmpeg, Path input, double seconds, boolean fragmentedMp4,
                                     boolean adtsToAsc, Path csvList, Path filePattern) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-i", input.toString(), "-map", "0:v:0?", "-map", "0:a:0?", "-c", "copy",
                           "-f", "segment", "-segment_time", String.valueOf(seconds),
                           "-segment_format", fragmentedMp4 ? "mp4" : "mpegts"));
        if (fragmentedMp4) {
            cmd.addAll(List.of("-segment_format_options", "movflags=+" + FfmpegCommand.FMP4_MOVFLAGS));
        }
        if (adtsToAsc) {
            cmd.addAll(List.of("-bsf:a", "aac_adtstoasc"));
        }
        cmd.addAll(List.of("-segment_list", csvList.toString(), "-segment_list_type", "csv", filePattern.toString()));
        return cmd;
    }

    /** Joins whole fMP4 or WebM files listed for FFmpeg's concat demuxer into one (stream copy). */
    public static List<String> concat(String ffmpeg, Path listFile, OutputFormat format, Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-y", "-f", "concat", "-safe", "0", "-i", listFile.toString(), "-c", "copy"));
        if (format == OutputFormat.FMP4) {
            cmd.addAll(List.of("-f", "mp4", "-movflags", FfmpegCommand.FMP4_MOVFLAGS));
        } else {
            cmd.addAll(List.of("-f", "webm"));
        }
        cmd.add(out.toString());
        return cmd;
    }

    /** Encodes raw s16le samples once into a file of {@code format}, with the segment path's encoder and bit rate. */
    public static List<String> encodePcm(String ffmpeg, int rate, int channels, Path raw, OutputFormat format,
                                         Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-y", "-f", "s16le", "-ar", String.valueOf(rate), "-ac", String.valueOf(channels),
                           "-i", raw.toString()));
        cmd.addAll(switch (format) {
            case WEBM -> List.of("-c:a", "libopus", "-b:a", FfmpegCommand.OPUS_BITRATE, "-f", "webm");
            case AAC -> List.of("-c:a", "aac", "-b:a", FfmpegCommand.AAC_BITRATE, "-f", "adts");
            default -> List.of("-c:a", "aac", "-b:a", FfmpegCommand.AAC_BITRATE, "-f", "mp4",
                               "-movflags", FfmpegCommand.FMP4_MOVFLAGS);
        });
        cmd.add(out.toString());
        return cmd;
    }

    /**
     * A whole input's first audio stream encoded once as the segment path encodes each segment (Opus in WebM, or
     * protocol v1.1's AAC in ADTS): the single-pass encode a gapless join is compared with.
     */
    public static List<String> encodeOnce(String ffmpeg, Path input, boolean opus, Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-y", "-i", input.toString(), "-map", "0:a:0"));
        if (opus) {
            cmd.addAll(List.of("-c:a", "libopus", "-b:a", FfmpegCommand.OPUS_BITRATE,
                               "-ar", FfmpegCommand.OPUS_SAMPLE_RATE, "-f", "webm"));
        } else {
            cmd.addAll(FfmpegCommand.gaplessAacEncoder());
            cmd.addAll(List.of("-f", "adts"));
        }
        cmd.add(out.toString());
        return cmd;
    }

    /** Decodes any audio FFmpeg reads to interleaved s16le on stdout. */
    public static List<String> decodeS16(String ffmpeg, List<String> inputArgs, Path file, int rate, int channels) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(inputArgs);
        cmd.addAll(List.of("-i", file.toString(), "-map", "0:a:0", "-c:a", "pcm_s16le", "-ar", String.valueOf(rate),
                           "-ac", String.valueOf(channels), "-f", "s16le", "pipe:1"));
        return cmd;
    }

    /**
     * {@code vbuf demo}'s input: {@code seconds} of 720p H.264 and a stereo AAC tone, as an HLS rendition would be.
     */
    public static List<String> demoVideo(String ffmpeg, int seconds, Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-f", "lavfi", "-i", DEMO_VIDEO_PICTURE, "-f", "lavfi", "-i", FfmpegCommand.TONE,
                           "-t", String.valueOf(seconds), "-ac", "2", "-c:v", "libopenh264",
                           "-b:v", DEMO_VIDEO_BITRATE, "-g", "60", "-c:a", "aac", "-b:a", FfmpegCommand.AAC_BITRATE,
                           "-movflags", "+faststart", "-y", out.toString()));
        return cmd;
    }

    /** A {@code seconds}-long MPEG-TS segment (H.264 + stereo AAC, as an HLS rendition) from FFmpeg's test sources. */
    public static List<String> testSegment(String ffmpeg, double seconds, Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-f", "lavfi", "-i", FfmpegCommand.DEMO_PICTURE, "-f", "lavfi", "-i", FfmpegCommand.TONE,
                           "-t", String.valueOf(seconds), "-ac", "2", "-c:v", "libopenh264", "-g", "30",
                           "-c:a", "aac", "-b:a", FfmpegCommand.AAC_BITRATE, "-f", "mpegts", "-y", out.toString()));
        return cmd;
    }

    /**
     * A {@code seconds}-long MPEG-TS segment of stereo AAC alone (the 440 Hz tone), which the segment FFmpeg can make
     * itself: the test segment where no tool FFmpeg (H.264) is at hand, as in the container image.
     */
    public static List<String> audioTestSegment(String ffmpeg, double seconds, Path out) {
        List<String> cmd = quiet(ffmpeg);
        cmd.addAll(List.of("-f", "lavfi", "-i", FfmpegCommand.TONE + ":duration=" + seconds, "-ac", "2",
                           "-c:a", "aac", "-b:a", FfmpegCommand.AAC_BITRATE, "-f", "mpegts", "-y", out.toString()));
        return cmd;
    }

    /** ffprobe: a file's container duration, as JSON. */
    public static List<String> probeDuration(String ffprobe, Path file) {
        return List.of(ffprobe, "-v", "error", "-print_format", "json", "-show_entries", "format=duration",
                       file.toString());
    }

    /** ffprobe: the container and first audio stream of a file (packets counted), as JSON. */
    public static List<String> probeAudio(String ffprobe, List<String> inputArgs, Path file) {
        List<String> cmd = new ArrayList<>(List.of(ffprobe, "-v", "error", "-print_format", "json",
                                                   "-show_format", "-show_streams", "-select_streams", "a:0",
                                                   "-count_packets", "-show_entries",
                                                   "format=format_name,duration:stream=codec_name,profile,sample_rate,channels,"
                                                   + "duration,nb_read_packets,time_base"));
        cmd.addAll(inputArgs);
        cmd.add(file.toString());
        return cmd;
    }

    /** ffprobe: each packet of the first audio stream (time and duration), as JSON. */
    public static List<String> probeAudioPackets(String ffprobe, List<String> inputArgs, Path file) {
        List<String> cmd = new ArrayList<>(List.of(ffprobe, "-v", "error", "-print_format", "json",
                                                   "-select_streams", "a:0", "-show_entries",
                                                   "packet=pts_time,duration_time"));
        cmd.addAll(inputArgs);
        cmd.add(file.toString());
        return cmd;
    }

    /** Runs an FFmpeg or ffprobe command to its end; its stdout, or an exception that says what failed and why. */
    public static String run(List<String> cmd, String what) throws IOException, InterruptedException {
        ProcessRunner.Result r = ProcessRunner.of(cmd).deadline(DEADLINE).run();
        if (r.stop() == ProcessRunner.Stop.DEADLINE) {
            throw new IOException("FFmpeg could not " + what + ": did not finish within " + DEADLINE.toMinutes()
                                  + " min");
        }
        if (r.exitCode() != 0) {
            throw new IOException("FFmpeg could not " + what + ": " + (r.stderrTail() + "\n" + r.stdoutText()).strip());
        }
        return r.stdoutText();
    }

    /** FFmpeg without its banner, stdin or anything but errors on stderr. */
    private static List<String> quiet(String ffmpeg) {
        return new ArrayList<>(List.of(ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error"));
    }
}
