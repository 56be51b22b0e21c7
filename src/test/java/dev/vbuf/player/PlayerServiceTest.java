package dev.vbuf.player;

import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import dev.vbuf.config.Setting;
import dev.vbuf.ffmpeg.FfmpegCommand;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/** The player's page and demo over plain HTTP (no browser): what is served, and a clear answer for what is not. */
class PlayerServiceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    private static HttpResponse<byte[]> get(VbufServer server, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                                 .timeout(Duration.ofSeconds(150)).build(),
                         HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String type(HttpResponse<?> r) {
        return r.headers().firstValue("content-type").orElse("");
    }

    @Test
    void servesThePageAndTheGeneratedDemo() throws Exception {
        try (VbufServer server = TestServer.start()) {
            assertThat(get(server, PlayerService.PATH).statusCode(), is(301)); // to /player/
            HttpResponse<byte[]> page = get(server, PlayerService.PATH + "/");
            assertThat(page.statusCode(), is(200));
            assertThat(new String(page.body()), containsString("<script type=\"module\" src=\"player.js\">"));
            assertThat(type(get(server, PlayerService.PATH + "/player.js")), is("text/javascript; charset=utf-8"));
            assertThat("the client package next to the page", type(get(server, PlayerService.PATH
                                                                        + "/vbuf-client/index.js")),
                       is("text/javascript; charset=utf-8"));
            assertThat(get(server, PlayerService.PATH + "/no-such.js").statusCode(), is(404));
            assertThat(get(server, PlayerService.PATH + "/../application.yaml").statusCode(), is(404));

            HttpResponse<byte[]> manifest = get(server, PlayerService.PATH + "/demo/manifest.json");
            assertThat(manifest.statusCode(), is(200));
            JsonNode m = JSON.readTree(manifest.body());
            assertThat(m.get("source").asText(), is("generated"));
            assertThat(m.get("segments").size(),
                       is(PlayerDemo.GENERATED_SECONDS / PlayerDemo.GENERATED_SEGMENT_SECONDS));
            assertThat(m.get("videoMimeType").asText(), is("video/mp4; codecs=\"avc1.42C01E\""));
            assertThat(m.get("chirp").get(0).get("startHz").asInt(), is(FfmpegCommand.CHIRP_CHANNELS.get(0).startHz()));
            assertThat(m.at("/protocol/subprotocol").asText(), is("vbuf.v1.1"));

            HttpResponse<byte[]> ts = get(server, PlayerService.PATH + "/" + m.at("/segments/1/ts").asText());
            assertThat(type(ts), is("video/mp2t"));
            assertThat(ts.body()[0], is((byte) 0x47)); // an MPEG-TS sync byte
            HttpResponse<byte[]> video = get(server, PlayerService.PATH + "/" + m.at("/segments/1/video").asText());
            assertThat(type(video), is("video/mp4"));
            assertThat(PlayerDemo.avcCodecs(video.body()).orElseThrow(), is("avc1.42C01E"));

            for (String bad : new String[] {"/demo/ts/x", "/demo/ts/-1", "/demo/video/999"}) {
                HttpResponse<byte[]> r = get(server, PlayerService.PATH + bad);
                assertThat(bad, r.statusCode(), is(404));
                assertThat(bad, JSON.readTree(r.body()).get("code").asText(), is(PlayerService.NOT_FOUND));
            }
        }
    }

    @Test
    void servesADirectoryOfRealSegments(@TempDir Path dir) throws Exception {
        ProcessRunner.Result made = ProcessRunner.of(FfmpegCommand.demoHls(
                        TestMedia.TOOL.executable().toString(), 8, 4, 2, dir, PlayerDemo.PLAYLIST))
                .deadline(Duration.ofMinutes(2)).run();
        assertThat(made.stderrTail(), made.succeeded(), is(true));
        try (VbufServer server = TestServer.start(Map.of(Setting.PLAYER_DEMO_DIR, dir.toString()))) {
            JsonNode m = JSON.readTree(get(server, PlayerService.PATH + "/demo/manifest.json").body());
            assertThat(m.get("source").asText(), is("directory"));
            assertThat(m.get("segments").size(), is(2));
            assertThat("no known source signal for real segments", m.has("chirp"), is(false));
            assertThat(get(server, PlayerService.PATH + "/demo/ts/1").body().length, greaterThan(1000));
        }
    }

    @Test
    void aDemoThatCannotBePreparedIsAClear503(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("readme.txt"), "no playlist here");
        try (VbufServer server = TestServer.start(Map.of(Setting.PLAYER_DEMO_DIR, dir.toString()))) {
            long start = System.nanoTime();
            HttpResponse<byte[]> r = get(server, PlayerService.PATH + "/demo/manifest.json");
            assertThat(r.statusCode(), is(503));
            assertThat(r.headers().firstValue("retry-after").orElse(""), is("30"));
            JsonNode body = JSON.readTree(r.body());
            assertThat(body.get("code").asText(), is(PlayerService.DEMO_UNAVAILABLE));
            assertThat(body.get("message").asText(), containsString(PlayerDemo.PLAYLIST));
            assertThat(get(server, PlayerService.PATH + "/demo/ts/0").statusCode(), is(503));
            assertThat("answered at once", Duration.ofNanos(System.nanoTime() - start).toMillis(), lessThan(5000L));
            assertThat("the page itself is still served", get(server, PlayerService.PATH + "/").statusCode(), is(200));
        }
    }

    /**
     * Every file of the page, each asked for many times at once on a fresh server (what a browser does with a module's
     * imports): every answer is the whole file, with the ETag of its bytes; a revalidation with that ETag is a 304.
     * Helidon's class-path handler once served an empty module here (see {@link PlayerFiles}).
     */
    @Test
    void theFilesComeWholeEvenAskedForAtOnce() throws Exception {
        PlayerFiles files = PlayerFiles.load(getClass().getClassLoader(), PlayerService.CLASSPATH_ROOT,
                                             PlayerService.WELCOME);
        assertThat(files.names(), hasItems("index.html", "player.js", "vbuf-client/index.js",
                                           "vbuf-client/src/client.js", "vbuf-client/src/protocol.js"));
        try (VbufServer server = TestServer.start()) {
            List<Callable<String>> asks = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                for (String name : files.names()) {
                    asks.add(() -> {
                        HttpResponse<byte[]> r = get(server, PlayerService.PATH + "/" + name);
                        byte[] want = files.get(name).body();
                        boolean whole = r.statusCode() == 200 && Arrays.equals(r.body(), want)
                                        && r.headers().firstValue("etag").orElse("").equals(files.get(name).etag())
                                        && r.headers().firstValue("cache-control").orElse("").equals("no-cache");
                        return whole ? "" : name + ": " + r.statusCode() + ", " + r.body().length + " of "
                                              + want.length + " bytes, " + r.headers().map();
                    });
                }
            }
            List<String> wrong = new ArrayList<>();
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                for (Future<String> f : pool.invokeAll(asks)) {
                    if (!f.get().isEmpty()) {
                        wrong.add(f.get());
                    }
                }
            }
            assertThat(wrong, is(empty()));

            PlayerFiles.File js = files.get("player.js");
            HttpResponse<byte[]> again = HTTP.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + PlayerService.PATH
                                                      + "/player.js"))
                            .header("If-None-Match", js.etag()).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(again.statusCode(), is(304));
            assertThat(again.body().length, is(0));
        }
    }

    /** Packed into a jar (as the server runs in production), the page's files read back byte for byte. */
    @Test
    void theFilesReadFromAJarAsFromADirectory(@TempDir Path dir) throws Exception {
        PlayerFiles fromDir = PlayerFiles.load(getClass().getClassLoader(), PlayerService.CLASSPATH_ROOT,
                                             PlayerService.WELCOME);
        Path jar = dir.resolve("player.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : fromDir.names()) {
                out.putNextEntry(new JarEntry(PlayerService.CLASSPATH_ROOT + "/" + name));
                out.write(fromDir.get(name).body());
                out.closeEntry();
            }
        }
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null)) {
            PlayerFiles fromJar = PlayerFiles.load(loader, PlayerService.CLASSPATH_ROOT, PlayerService.WELCOME);
            assertThat(fromJar.names(), is(fromDir.names()));
            for (String name : fromDir.names()) {
                assertThat(name, Arrays.equals(fromJar.get(name).body(), fromDir.get(name).body()), is(true));
                assertThat(name, fromJar.get(name).etag(), is(fromDir.get(name).etag()));
                assertThat(name, fromJar.get(name).contentType(), is(fromDir.get(name).contentType()));
            }
        }
    }
}
