package dev.vbuf.cli;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.ffmpeg.FfmpegFileCommand;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vbuf demo}: the main job in one command. Starts a server in this process on a free port, generates a 60-s
 * 720p H.264 + stereo AAC test video (like an HLS rendition), streams it through {@code stream}, writes the audio to
 * a file and prints the summary.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
         description = "Start a server, stream a generated 60-s 720p video through it, write the audio.")
public final class DemoCommand implements Callable<Integer> {
    @Mixin
    FormatOption format;

    @Option(names = "--seconds", defaultValue = "60", description = "Length of the generated video (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--out", description = "Where to write the audio (default: vbuf-demo.<ext> in the current directory)")
    Path out;

    @Override
    public Integer call() throws Exception {
        OutputFormat f = format.format();
        Path target = out != null ? out : Path.of("vbuf-demo." + f.fileExtension());
        Map<String, String> settings = Map.of(Setting.PORT.key(), "0", Setting.HOST.key(), "127.0.0.1",
                                              Setting.LOG_LEVEL.key(), "WARNING");
        try (VbufServer server = VbufServer.start(VbufConfig.load(System.getenv(), settings))) {
            System.out.printf("vbuf server started on port %d (FFmpeg %s)%n", server.port(),
                              server.ffmpeg().version());
            Path work = Files.createTempDirectory("vbuf-demo");
            try {
                Path video = work.resolve("demo-input.mp4");
                System.out.printf("generating a %d-s 720p H.264 + stereo AAC test video ...%n", seconds);
                // H.264 and the splitting: the tool FFmpeg's (the server's segment FFmpeg has neither)
                FfmpegFileCommand.run(FfmpegFileCommand.demoVideo(FfmpegBinary.tool().executable().toString(), seconds,
                                                                  video),
                                      "generate the demo video");
                URI url = URI.create("ws://127.0.0.1:" + server.port() + "/v1/segments");
                return StreamCommand.stream(List.of(video), url, Optional.empty(), f, 6, SegmentSource.Container.TS, false, 2, 20,
                                            target, FfmpegBinary.tool(), System.out).exitCode();
            } finally {
                StreamCommand.deleteRecursively(work);
            }
        }
    }
}
