package dev.vbuf.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

/**
 * The JavaScript client as its users get it: {@code npm pack} makes a tarball, which installs offline into an
 * empty project; the module imports from there, and the package's example, run from the installed copy, streams
 * three MPEG-TS segments to a real server and writes {@code aac} audio as long as the segments' audio.
 */
class JsClientPackageTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void nodeAndWs() {
        JsPackage.assumeNodeAndWs();
    }

    @Test
    void packsInstallsOfflineAndTheExampleWritesTheSegmentsAudio(@TempDir Path dir) throws Exception {
        Path packed = Files.createDirectories(dir.resolve("packed"));
        ProcessRunner.Result pack = npm(List.of("pack", JsPackage.DIR.toString(), "--pack-destination",
                                                packed.toString(), "--json"));
        JsonNode info = JSON.readTree(pack.stdoutText()).get(0);
        Path tarball = packed.resolve(info.get("filename").asText());
        assertThat(tarball + " written", Files.isRegularFile(tarball), is(true));
        List<String> files = new ArrayList<>();
        info.get("files").forEach(f -> files.add(f.get("path").asText()));
        assertThat(files, hasItems("package.json", "index.js", "index.d.ts", "src/client.js", "src/protocol.js",
                                   "src/reconnect.js", "src/websocket.js", "examples/stream.mjs"));

        Path app = Files.createDirectories(dir.resolve("app"));
        Files.writeString(app.resolve("package.json"), "{\"name\": \"app\", \"private\": true, \"type\": \"module\"}");
        npm(List.of("install", "--offline", "--no-audit", "--no-fund", "--prefix", app.toString(), tarball.toString()));
        Path installed = app.resolve("node_modules/@vbuf/client");
        assertThat("the types come along", Files.isRegularFile(installed.resolve("index.d.ts")), is(true));
        Path check = app.resolve("check.mjs");
        Files.writeString(check, """
                import { VbufClient, MessageType, CONTRACT } from '@vbuf/client';
                process.stdout.write(JSON.stringify({ client: typeof VbufClient, segment: MessageType.SEGMENT,
                                                      rules: CONTRACT.rules.length }));
                """);
        ProcessRunner.Result imported = JsPackage.node(List.of(check.toString()), Map.of(), Duration.ofMinutes(1));
        assertThat(imported.stderrTail(), imported.exitCode(), is(0));
        assertThat(imported.stdoutText(), containsString("\"client\":\"function\",\"segment\":\"segment\""));
        typeCheck(app);

        Path segments = Files.createDirectories(dir.resolve("segments"));
        List<Path> three = JsPackage.segments(segments, 3);
        Path out = dir.resolve("out.aac");
        try (VbufServer server = TestServer.start()) {
            List<String> args = new ArrayList<>(List.of(installed.resolve("examples/stream.mjs").toString(),
                                                        JsClientLiveTest.url(server.port())));
            three.forEach(p -> args.add(p.toString()));
            args.addAll(List.of("--format", OutputFormat.AAC.wireName(), "--out", out.toString()));
            ProcessRunner.Result r = JsPackage.node(args, Map.of(), Duration.ofMinutes(2));
            assertThat("examples/stream.mjs: " + r.stderrTail(), r.exitCode(), is(0));
            assertThat(r.stderrTail(), containsString("3 of 3 segments answered"));
        }
        double segmentsSec = 0;
        for (Path p : three) {
            segmentsSec += audioSeconds(p);
        }
        double[] outAudio = audio(out);
        double oneFrameSec = 1024 / outAudio[1];
        assertThat("the segments' audio: " + segmentsSec + " s", segmentsSec, greaterThan(5.5));
        assertThat("out.aac against the segments' audio (± one AAC frame)", outAudio[0] * 1024 / outAudio[1],
                   closeTo(segmentsSec, oneFrameSec));
    }

    /**
     * The installed package's declarations, used as an application would, pass {@code tsc --noEmit --strict}; a
     * misuse (reading the audio of an answer that may be an error) is refused, so the check can fail.
     */
    private static void typeCheck(Path app) throws Exception {
        Path tsc = Commands.toolsDir().resolve("node_modules/typescript/bin/tsc");
        assertThat("typescript (npm, in " + Commands.toolsDir() + "): run `bash .ci/install --for-tests`",
                   Files.isRegularFile(tsc), is(true));
        Files.writeString(app.resolve("tsconfig.json"), """
                {"compilerOptions": {"strict": true, "noEmit": true, "module": "nodenext",
                                     "moduleResolution": "nodenext", "target": "es2022", "types": []},
                 "files": ["use.ts"]}
                """);
        String use = """
                import { VbufClient, VbufFatalError, ErrorCode, Format, type SegmentAnswer } from '@vbuf/client';
                const client = new VbufClient('ws://localhost:8080/v1/segments', {
                  format: Format.AAC, token: async () => null,
                  onEvent: (e) => { if (e.type === 'retry') console.log(e.retryAfterMs); },
                });
                export async function run(bytes: Uint8Array): Promise<void> {
                  const a: SegmentAnswer = await client.send(bytes, { id: 'a', last: true });
                  if (a.ok) console.log(a.audio.length, a.result.startSec ?? 0, a.result.gapless);
                  else console.log(a.error.code === ErrorCode.OVERLOADED, a.error.retryAfterMs);
                  %s
                  try { console.log((await client.end()).duplicates, client.version, client.lastCarry); }
                  catch (e) { if (e instanceof VbufFatalError) console.log(e.code, e.status); }
                }
                """;
        Files.writeString(app.resolve("use.ts"), use.formatted(""));
        ProcessRunner.Result ok = JsPackage.node(List.of(tsc.toString(), "-p", app.toString()), Map.of(),
                                                 Duration.ofMinutes(2));
        assertThat("tsc: " + ok.stdoutText() + ok.stderrTail(), ok.exitCode(), is(0));
        Files.writeString(app.resolve("use.ts"), use.formatted("console.log(a.audio.length);"));
        ProcessRunner.Result wrong = JsPackage.node(List.of(tsc.toString(), "-p", app.toString()), Map.of(),
                                                    Duration.ofMinutes(2));
        assertThat("tsc refuses a.audio on an answer that may be an error", wrong.stdoutText(),
                   containsString("Property 'audio' does not exist"));
    }

    private static ProcessRunner.Result npm(List<String> args) throws Exception {
        ProcessRunner.Result r = JsPackage.tool("npm", args, Map.of("npm_config_update_notifier", "false"),
                                                Duration.ofMinutes(2));
        assertThat("npm " + String.join(" ", args) + " finished", r.stop(), is(ProcessRunner.Stop.NONE));
        assertThat("npm " + String.join(" ", args) + ":\n" + r.stderrTail(), r.exitCode(), is(0));
        return r;
    }

    /** Seconds of audio in a file: its AAC frames counted (not estimated from the bit rate), 1024 samples each. */
    private static double audioSeconds(Path file) throws Exception {
        double[] a = audio(file);
        return a[0] * 1024 / a[1];
    }

    /** {frames, sample rate} of the file's first audio stream, by ffprobe reading every packet. */
    private static double[] audio(Path file) throws Exception {
        Path ffprobe = TestMedia.TOOL.sibling("ffprobe").orElseThrow();
        ProcessRunner.Result r = ProcessRunner.of(List.of(ffprobe.toString(), "-v", "error", "-count_packets",
                                                          "-select_streams", "a:0", "-show_entries",
                                                          "stream=nb_read_packets,sample_rate", "-of", "json",
                                                          file.toString()))
                .deadline(Duration.ofMinutes(1)).run();
        assertThat("ffprobe " + file + ": " + r.stderrTail(), r.succeeded(), is(true));
        JsonNode s = JSON.readTree(r.stdoutText()).get("streams").get(0);
        return new double[] {s.get("nb_read_packets").asDouble(), s.get("sample_rate").asDouble()};
    }
}
