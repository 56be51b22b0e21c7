package dev.vbuf.player;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

import dev.vbuf.protocol.Protocol;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.process.ProcessRunner;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The browser reference player under {@link #PATH}: its page (plain ES modules from the class path,
 * {@code player/} in the jar, the JavaScript client package's among them, served from memory by
 * {@link PlayerFiles}) and its demo rendition ({@code demo/manifest.json}, {@code demo/ts/<n>},
 * {@code demo/video/<n>}), prepared once on the first request for it. A demo that cannot be prepared is answered
 * 503 with the reason, and tried again after {@link #RETRY_AFTER}. Neither the page nor the demo needs a token (they
 * hold no secrets); the page sends the user's token with its WebSocket, the documented browser way.
 */
public final class PlayerService implements HttpService, AutoCloseable {
    /** Where the player is served. */
    public static final String PATH = "/player";
    /** Where the page's files are on the class path. */
    static final String CLASSPATH_ROOT = "player";
    /** The page itself, answered for {@code /player/}. */
    static final String WELCOME = "index.html";
    /** The demo's files, relative to the page. */
    static final String DEMO = "demo/";
    /** Code of the JSON answer when the demo cannot be prepared (503) or a demo file does not exist (404). */
    static final String DEMO_UNAVAILABLE = "demo_unavailable";
    static final String NOT_FOUND = "not_found";
    /** After a failed preparation, how long requests are answered with that failure before it is tried again. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(30);

    private static final System.Logger LOG = System.getLogger(PlayerService.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PlayerFiles files = PlayerFiles.load(PlayerService.class.getClassLoader(), CLASSPATH_ROOT,
                                                                  WELCOME);
    private final FfmpegBinary ffmpeg;
    private final Optional<Path> sourceDir;
    private final Duration ffmpegDeadline;
    private final Set<Process> live = ProcessRunner.newLiveSet();
    private final ReentrantLock preparing = new ReentrantLock();
    private volatile PlayerDemo demo;
    private volatile String failure;
    private volatile long failedAtNanos;
    private volatile Path workDir;
    private volatile boolean closed;

    /**
     * @param sourceDir      a directory of real segments ({@code player.demo-dir}), or empty to generate the demo
     * @param ffmpegDeadline the deadline of each per-segment FFmpeg run ({@code ffmpeg.timeout-ms})
     */
    public PlayerService(FfmpegBinary ffmpeg, Optional<Path> sourceDir, Duration ffmpegDeadline) {
        this.ffmpeg = ffmpeg;
        this.sourceDir = sourceDir;
        this.ffmpegDeadline = ffmpegDeadline;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/" + DEMO + "manifest.json", (req, res) -> withDemo(res, d -> send(res, "application/json",
                                                                                      JSON.writeValueAsBytes(d.manifest()))))
                .get("/" + DEMO + "ts/{index}", (req, res) -> withDemo(res, d -> file(req, res, d, "video/mp2t")))
                .get("/" + DEMO + "video/{index}", (req, res) -> withDemo(res, d -> file(req, res, d, "video/mp4")))
                .get("/", this::welcome)
                .get("/{+file}", this::pageFile);
    }

    /** {@code /player} → {@code /player/} (the page's relative imports need the slash), which is the page. */
    private void welcome(ServerRequest req, ServerResponse res) throws IOException {
        String raw = req.prologue().uriPath().rawPath();
        if (!raw.endsWith("/")) {
            res.status(Status.MOVED_PERMANENTLY_301);
            res.header(HeaderNames.LOCATION, raw + "/");
            res.send();
            return;
        }
        pageFile(req, res, WELCOME);
    }

    private void pageFile(ServerRequest req, ServerResponse res) throws IOException {
        pageFile(req, res, req.path().pathParameters().get("file"));
    }

    private void pageFile(ServerRequest req, ServerResponse res, String name) throws IOException {
        PlayerFiles.File f = files.get(name);
        if (f == null) {
            error(res, Status.NOT_FOUND_404, NOT_FOUND, "no file '" + name + "' in the player");
            return;
        }
        PlayerFiles.send(req, res, f);
    }

    private interface DemoHandler {
        void handle(PlayerDemo demo) throws IOException;
    }

    private void withDemo(ServerResponse res, DemoHandler handler) throws IOException {
        PlayerDemo d;
        try {
            d = demo();
        } catch (IOException e) {
            error(res, Status.SERVICE_UNAVAILABLE_503, DEMO_UNAVAILABLE,
                  "the player's demo could not be prepared: " + e.getMessage());
            return;
        }
        handler.handle(d);
    }

    private void file(ServerRequest req, ServerResponse res, PlayerDemo d, String contentType) throws IOException {
        String p = req.path().pathParameters().get("index");
        int index;
        try {
            index = Integer.parseInt(p);
        } catch (NumberFormatException e) {
            index = -1;
        }
        if (index < 0 || index >= d.size()) {
            error(res, Status.NOT_FOUND_404, NOT_FOUND, "no demo segment '" + p + "': the demo has segments 0 to "
                                                        + (d.size() - 1));
            return;
        }
        boolean ts = contentType.equals("video/mp2t");
        send(res, contentType, Files.readAllBytes(ts ? d.ts(index) : d.video(index)));
    }

    private static void send(ServerResponse res, String contentType, byte[] body) {
        res.header(HeaderNames.CONTENT_TYPE, contentType);
        res.header(HeaderValues.CACHE_NO_CACHE);
        res.send(body);
    }

    private static void error(ServerResponse res, Status status, String code, String message) throws IOException {
        res.status(status);
        if (status == Status.SERVICE_UNAVAILABLE_503) {
            res.header(HeaderNames.RETRY_AFTER, String.valueOf(RETRY_AFTER.toSeconds()));
        }
        send(res, "application/json", JSON.writeValueAsBytes(new Protocol.HttpError(code, message, null)));
    }

    /** The demo, prepared by the first caller; the others wait for it (bounded by the FFmpeg deadlines). */
    PlayerDemo demo() throws IOException {
        PlayerDemo d = demo;
        if (d != null) {
            return d;
        }
        preparing.lock();
        try {
            if (demo != null) {
                return demo;
            }
            if (closed) {
                throw new IOException("the server is stopping");
            }
            if (failure != null && System.nanoTime() - failedAtNanos < RETRY_AFTER.toNanos()) {
                throw new IOException(failure);
            }
            long start = System.nanoTime();
            Path dir = Files.createTempDirectory("vbuf-player-demo");
            workDir = dir;
            try {
                demo = PlayerDemo.prepare(ffmpeg, sourceDir, dir, ffmpegDeadline, DEMO, live);
                failure = null;
                LOG.log(Level.INFO, "player demo ready: " + demo.size() + " segments ("
                                    + demo.manifest().source() + "), prepared in "
                                    + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
                return demo;
            } catch (IOException | RuntimeException e) {
                failure = e.getMessage();
                failedAtNanos = System.nanoTime();
                LOG.log(Level.WARNING, "the player's demo could not be prepared: " + failure);
                delete(dir);
                throw e instanceof IOException io ? io : new IOException(failure, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                delete(dir);
                throw new IOException("interrupted while preparing the demo");
            }
        } finally {
            preparing.unlock();
        }
    }

    /** Kills any FFmpeg still preparing the demo and deletes the demo's files. */
    @Override
    public void close() {
        closed = true;
        ProcessRunner.killAll(live);
        preparing.lock();
        try {
            if (workDir != null) {
                delete(workDir);
            }
        } finally {
            preparing.unlock();
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.log(Level.DEBUG, "could not delete " + dir + ": " + e.getMessage());
        }
    }
}
