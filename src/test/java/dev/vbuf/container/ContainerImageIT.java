package dev.vbuf.container;

import dev.vbuf.protocol.CloseCodes;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vbuf.config.Setting;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.tools.AudioProbe;
import dev.vbuf.client.SegmentClient;
import dev.vbuf.observe.MetricNames;
import dev.vbuf.testing.TestMedia;
import dev.vbuf.testing.TestMedia.Kind;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.utility.LogUtils;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.anyOf;
import static org.hamcrest.Matchers.closeTo;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Jib-built image, run for real through a container runtime (podman's Docker-compatible API here): it becomes
 * ready, answers a real segment with valid audio, runs as the unprivileged user, checks its FFmpeg version at start and
 * answers the segments it accepted before SIGTERM before it exits.
 *
 * <p>Skipped only where there is no container runtime or no image; under {@code CI=true} both are required.
 */
class ContainerImageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int PORT = 8080;
    private static final Duration STARTUP = Duration.ofSeconds(90);

    private static DockerImageName image;

    @BeforeAll
    static void loadImage() throws Exception {
        boolean ci = System.getenv("CI") != null && !System.getenv("CI").isBlank();
        Path tar = Path.of(System.getProperty("vbuf.image.tar", "target/jib-image.tar"));
        boolean runtime = DockerClientFactory.instance().isDockerAvailable();
        if (ci) {
            assertTrue(runtime, "CI must have a container runtime: run `bash .ci/install --with-containers` (podman)");
            assertTrue(Files.isRegularFile(tar), "CI must build the image tar " + tar
                    + ": `bash .ci/install --with-containers` makes the base image that turns the build on");
        }
        assumeTrue(runtime, "no container runtime");
        assumeTrue(Files.isRegularFile(tar), "no image tar at " + tar + " (the base image is missing)");
        try (InputStream in = Files.newInputStream(tar)) {
            DockerClientFactory.instance().client().loadImageCmd(in).exec();
        }
        String name = System.getProperty("vbuf.image.name", "vbuf:0.1.0-SNAPSHOT");
        // podman files an unqualified name under localhost/
        image = DockerImageName.parse(name.contains("/") ? name : "localhost/" + name);
    }

    @AfterAll
    static void removeImage() {
        if (image != null) { // each build loads a new image: do not pile them up in the runtime's storage
            DockerClientFactory.instance().client().removeImageCmd(image.asCanonicalNameString()).withForce(true).exec();
        }
    }

    private static GenericContainer<?> vbuf() {
        return new GenericContainer<>(image)
                .withExposedPorts(PORT)
                .waitingFor(Wait.forHttp("/observe/health/ready").forPort(PORT).forStatusCode(200)
                                .withStartupTimeout(STARTUP));
    }

    @Test
    void becomesReadyAndAnswersARealSegmentWithValidAudioAsTheUnprivilegedUser() throws Exception {
        try (GenericContainer<?> c = vbuf()) {
            c.start();
            JsonNode ready = JSON.readTree(get(c, "/observe/health/ready").body());
            JsonNode segments = ready.path("checks").get(0).path("data");
            assertThat(ready.toString(), segments.path("ffmpegVersion").asText(), is(expectedFfmpegVersion()));
            assertThat(ready.toString(), segments.path("ffmpegSource").asText(),
                       is(Setting.FFMPEG_PATH.envVar()));

            byte[] segment = TestMedia.segment(Kind.TS_AAC, 6.0, true);
            AudioProbe probe = new AudioProbe(TestMedia.TOOL);
            double sourceSec = probe.probe(TestMedia.file(Kind.TS_AAC, 6.0, true), List.of()).durationSec();
            try (SegmentClient client = SegmentClient.connect(wsUri(c, "format=aac"))) {
                client.send(segment);
                SegmentClient.Reply reply = client.reply(Duration.ofSeconds(30));
                assertThat(reply.toString(), reply.type(), is("result"));
                assertThat(reply.json().path("bytes").asInt(), is(reply.audio().length));
                AudioProbe.Info audio = probe.probe(reply.audio(), "aac");
                assertThat(audio.codec(), is("aac"));
                assertThat(audio.durationSec(), closeTo(sourceSec, 0.03));
            }

            // the process serving it is not root: image config, the uid of PID 1, and what `id` says inside
            DockerClient docker = DockerClientFactory.instance().client();
            String configured = docker.inspectImageCmd(image.asCanonicalNameString()).exec().getConfig().getUser();
            assertThat(configured, is(System.getProperty("vbuf.image.user", "10001:10001")));
            String status = c.execInContainer("cat", "/proc/1/status").getStdout();
            Matcher uid = Pattern.compile("^Uid:\\s+(\\d+)\\s+(\\d+)", Pattern.MULTILINE).matcher(status);
            assertTrue(uid.find(), status);
            assertThat("real uid of PID 1", uid.group(1), not("0"));
            assertThat("effective uid of PID 1", uid.group(2), not("0"));
            assertThat(c.execInContainer("id", "-u").getStdout().strip(), is(configured.split(":")[0]));
            assertThat("PID 1 is the JVM itself, so SIGTERM reaches it",
                       c.execInContainer("cat", "/proc/1/cmdline").getStdout(), containsString("dev.vbuf.Main"));
        }
    }

    @Test
    void startsFromTheJvmAheadOfTimeCacheMadeWithItsOwnRuntime() throws Exception {
        // -Xshare:on turns "the archive cannot be used" (another runtime, another class path) into a failed start
        // instead of a silently slower one; the class-load log says where each class came from
        try (GenericContainer<?> c = vbuf().withEnv("JAVA_TOOL_OPTIONS",
                                                    "-Xshare:on -Xlog:class+load=info:file=/tmp/class-load.txt")) {
            c.start();
            String cmdline = c.execInContainer("cat", "/proc/1/cmdline").getStdout().replace('\0', ' ');
            assertThat(cmdline, containsString("-XX:SharedArchiveFile=/opt/vbuf/aot/vbuf.aot"));
            String loaded = c.execInContainer("grep", "-F", "dev.vbuf.server.VbufServer ", "/tmp/class-load.txt")
                    .getStdout();
            assertThat("vbuf's own classes come from the cache", loaded, containsString("source: shared objects file"));
            int fromCache = Integer.parseInt(c.execInContainer("grep", "-c", "source: shared objects file",
                                                               "/tmp/class-load.txt").getStdout().strip());
            int all = Integer.parseInt(c.execInContainer("grep", "-c", "source: ", "/tmp/class-load.txt")
                                               .getStdout().strip());
            assertThat("classes loaded from the cache: " + fromCache + " of " + all, fromCache > all * 9 / 10,
                       is(true));
        }
    }

    @Test
    void refusesToStartWhenTheFfmpegVersionIsNotTheRequiredOne() throws Exception {
        DockerClient docker = DockerClientFactory.instance().client();
        String id = docker.createContainerCmd(image.asCanonicalNameString())
                .withEnv("VBUF_FFMPEG_REQUIRED_VERSION=0.0.1").exec().getId();
        try {
            docker.startContainerCmd(id).exec();
            int exit = docker.waitContainerCmd(id).start().awaitStatusCode(STARTUP.toSeconds(), TimeUnit.SECONDS);
            String logs = LogUtils.getOutput(docker, id);
            assertThat(logs, exit, not(0));
            assertThat(logs, containsString("FFMPEG_REQUIRED_VERSION=0.0.1"));
            assertThat(logs, containsString(expectedFfmpegVersion()));
        } finally {
            docker.removeContainerCmd(id).withForce(true).exec();
        }
    }

    @Test
    void sigtermWithSegmentsInFlightAnswersThemAllBeforeExit() throws Exception {
        int segments = 4;
        try (GenericContainer<?> c = vbuf()
                .withEnv("VBUF_ADMISSION_MAX_CONCURRENT", "1")
                .withEnv("VBUF_SEGMENTS_PER_SESSION", String.valueOf(segments))
                .withEnv("VBUF_ADMISSION_TARGET_LATENCY_MS", "30000")) {
            c.start();
            byte[] segment = TestMedia.segment(Kind.TS_AAC, 6.0, true);
            try (SegmentClient client = SegmentClient.connect(wsUri(c, "format=webm"))) {
                for (int i = 0; i < segments; i++) {
                    client.send(segment);
                }
                awaitReceived(c, segments);
                SegmentClient.Reply first = client.reply(Duration.ofSeconds(30));
                assertThat(first.toString(), first.type(), is("result"));
                JsonNode health = JSON.readTree(get(c, "/observe/health/ready").body()).path("checks").get(0)
                        .path("data");
                assertTrue(health.path("running").asInt() + health.path("queued").asInt() > 0,
                           "segments must be in flight when SIGTERM comes: " + health);

                DockerClient docker = DockerClientFactory.instance().client();
                docker.killContainerCmd(c.getContainerId()).withSignal("SIGTERM").exec();

                for (int i = 1; i < segments; i++) {
                    SegmentClient.Reply reply = client.reply(Duration.ofSeconds(30));
                    assertThat("segment " + i + " accepted before SIGTERM: " + reply, reply.type(), is("result"));
                    assertThat(reply.json().path("seq").asLong(), is((long) i));
                    assertTrue(reply.audio().length > 0);
                }
                SegmentClient.Closed closed = client.awaitClose(Duration.ofSeconds(30));
                assertThat(closed.toString(), closed.code(), is(CloseCodes.GOING_AWAY));

                long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                InspectContainerResponse.ContainerState state;
                do {
                    Thread.sleep(100);
                    state = docker.inspectContainerCmd(c.getContainerId()).exec().getState();
                } while (Boolean.TRUE.equals(state.getRunning()) && System.nanoTime() < until);
                assertThat("the container exits after the drain", state.getRunning(), is(false));
                // 143 = 128 + SIGTERM: the JVM's exit status after its shutdown hooks ran to completion
                assertThat(c.getLogs(), state.getExitCodeLong(), anyOf(is(0L), is(143L)));
                assertThat(c.getLogs(), containsString("draining"));
                assertThat(c.getLogs(), containsString("stopped"));
            }
        }
    }

    private static String expectedFfmpegVersion() {
        return TestMedia.FFMPEG.version();
    }

    private static URI wsUri(GenericContainer<?> c, String query) {
        return URI.create("ws://" + c.getHost() + ":" + c.getMappedPort(PORT) + "/v1/segments?" + query);
    }

    private static HttpResponse<String> get(GenericContainer<?> c, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + c.getHost() + ":" + c.getMappedPort(PORT) + path))
                                 .timeout(Duration.ofSeconds(10)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until the server has received {@code n} whole WebSocket messages (its own message-size histogram). */
    private static void awaitReceived(GenericContainer<?> c, int n) throws Exception {
        Pattern count = Pattern.compile("^" + MetricNames.WS_MESSAGE_BYTES + "_count\\{direction=\"in\".*} (\\S+)$",
                                        Pattern.MULTILINE);
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        double seen = 0;
        while (System.nanoTime() < end) {
            Matcher m = count.matcher(get(c, "/observe/metrics").body());
            seen = m.find() ? Double.parseDouble(m.group(1)) : 0;
            if (seen >= n) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the server received " + seen + " of " + n + " segments");
    }
}
