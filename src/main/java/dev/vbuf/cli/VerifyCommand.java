package dev.vbuf.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;

import dev.vbuf.access.Authenticator;
import dev.vbuf.config.Setting;
import dev.vbuf.config.VbufConfig;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.ffmpeg.FfmpegBinary;
import dev.vbuf.release.DeployPhase;
import dev.vbuf.release.ReleaseSlo;
import dev.vbuf.release.SecretManagerKey;
import dev.vbuf.release.VerifyRun;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vbuf verify}: the release gate. Checks a running vbuf (a canary revision) with real players and exits
 * non-zero when it breaks the service level of the rollback alerts ({@link VerifyRun}). With {@code --serve PORT} it
 * is instead a small HTTP service that runs the same check for each POST it receives — the form Flagger's webhooks
 * call (Flagger's own load tester has no WebSocket client).
 */
@Command(name = "verify", mixinStandardHelpOptions = true,
         description = "Stream a generated segment to a vbuf revision for a while; fail when it breaks the SLO.",
         footer = "Without a token, one is signed with the server's key when VBUF_AUTH_SECRET_KEY is set.")
public final class VerifyCommand implements Callable<Integer> {
    public static final int EXIT_PASS = 0;
    public static final int EXIT_FAIL = 1;
    public static final int EXIT_USAGE = 2;
    /** What Cloud Deploy sets in a verify container: the deployed service's URLs, comma-separated. */
    public static final String CLOUD_RUN_SERVICE_URLS = "CLOUD_RUN_SERVICE_URLS";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--url", description = "WebSocket URL of the revision, e.g. wss://canary---vbuf-abc-ue.a.run.app"
                                           + "/v1/segments (default: the first of $" + CLOUD_RUN_SERVICE_URLS + ")")
    URI url;

    @Option(names = "--tag", description = "Cloud Run revision tag to address: TAG--- is put in front of the host,"
                                           + " e.g. canary")
    String tag;

    @Option(names = "--health-url", description = "Readiness URL (default: /observe/health/ready on the same host)")
    URI healthUrl;

    @Option(names = "--seconds", defaultValue = "60", description = "How long to stream (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--sessions", defaultValue = "4", description = "Players at once (default: ${DEFAULT-VALUE})")
    int sessions;

    @Option(names = "--segment-seconds", defaultValue = "2",
            description = "Length of the test segment; each player sends one per this many seconds (default:"
                          + " ${DEFAULT-VALUE})")
    double segmentSeconds;

    @Mixin
    FormatOption format = FormatOption.defaultingTo(OutputFormat.AAC);

    @Mixin
    TokenOption token;

    @Option(names = "--secret-key-from", paramLabel = "SECRET_VERSION",
            description = "Sign the token with the key in this Secret Manager secret version, read with the machine's"
                          + " credentials (e.g. projects/P/secrets/vbuf-secret-key/versions/latest; Google Cloud only)")
    String secretKeyFrom;

    @Option(names = "--serve", paramLabel = "PORT",
            description = "Serve webhooks instead: each POST runs the check and answers 200 (pass) or 500 (fail)."
                          + " The JSON body's metadata may set url, tag, seconds and sessions.")
    Integer servePort;

    @Override
    public Integer call() throws Exception {
        if (seconds < 1 || sessions < 1 || !(segmentSeconds > 0)) {
            System.err.println("vbuf verify: --seconds and --sessions must be >= 1, --segment-seconds > 0");
            return EXIT_USAGE;
        }
        VbufConfig config = VbufConfig.load();
        FfmpegBinary ffmpeg = FfmpegBinary.locate(config.ffmpeg().path(), Setting.FFMPEG_PATH.envVar(),
                                                  Optional.empty(), Setting.FFMPEG_REQUIRED_VERSION.envVar());
        ReleaseSlo slo = ReleaseSlo.bundled();
        Optional<dev.vbuf.config.Secret> key = secretKeyFrom != null
                                               ? Optional.of(SecretManagerKey.read(secretKeyFrom)) : config.auth().secretKey();
        Optional<String> auth = token.token()
                .or(() -> key.map(k -> Authenticator.create(key, config.auth().audience())
                        .mint("vbuf-verify", Duration.ofMinutes(30 + seconds / 60))));
        if (servePort != null) {
            return serve(servePort, ffmpeg, slo, auth);
        }
        Optional<URI> target;
        try { // the URL that fits the Cloud Deploy phase; one that cannot be used is a one-line error
            target = target(url, tag, System.getenv(CLOUD_RUN_SERVICE_URLS), System.getenv(DeployPhase.PHASE_ENV));
        } catch (DeployPhase.UnusableUrl e) {
            System.err.println("vbuf verify: " + e.getMessage());
            return EXIT_USAGE;
        }
        if (target.isEmpty()) {
            System.err.println("vbuf verify: give --url (or run where " + CLOUD_RUN_SERVICE_URLS + " is set)");
            return EXIT_USAGE;
        }
        VerifyRun.Options options = new VerifyRun.Options(
                target.get(), healthUrl != null ? healthUrl : VerifyRun.healthUrlFor(target.get()), seconds, sessions,
                segmentSeconds, format.format(), auth, slo).withTokens(tokens(auth));
        return VerifyRun.run(options, ffmpeg, System.out).passed() ? EXIT_PASS : EXIT_FAIL;
    }

    /** {@code --token-command} when given (run before each connect), else the one token. */
    private dev.vbuf.client.TokenSource tokens(Optional<String> auth) {
        return token.tokenCommandGiven() ? token.source() : dev.vbuf.client.TokenSource.fixed(auth);
    }

    /** The segments URL from {@code --url}, else the first service URL Cloud Deploy gives; with the tag applied. */
    static Optional<URI> target(URI url, String tag, String serviceUrls) {
        return target(url, tag, serviceUrls, null);
    }

    /** As above; without --url and --tag, the URL that fits the Cloud Deploy phase ({@link DeployPhase}). */
    static Optional<URI> target(URI url, String tag, String serviceUrls, String phase) {
        Optional<String> t = Optional.ofNullable(tag).filter(s -> !s.isBlank());
        if (url != null) {
            return Optional.of(t.isPresent() ? DeployPhase.tagged(url, t.get()) : url);
        }
        if (serviceUrls == null || serviceUrls.isBlank()) {
            return Optional.empty();
        }
        return Optional.of(t.isPresent() ? DeployPhase.tagged(DeployPhase.firstSegmentsUrl(serviceUrls), t.get())
                           : DeployPhase.segmentsUrl(phase, serviceUrls));
    }

    /**
     * Webhook mode: {@code POST /} (any path) with Flagger's payload runs one check, one at a time, and answers with
     * its report. {@code GET /healthz} answers 200.
     */
    private int serve(int port, FfmpegBinary ffmpeg, ReleaseSlo slo, Optional<String> auth) throws Exception {
        ReentrantLock oneAtATime = new ReentrantLock();
        WebServer server = WebServer.builder().host("0.0.0.0").port(port).routing(r -> r
                .get("/healthz", (req, res) -> res.send("ok"))
                .post("/*", (req, res) -> {
                    String body = req.content().hasEntity() ? req.content().as(String.class) : "";
                    JsonNode meta = JSON.readTree(body.isBlank() ? "{}" : body).path("metadata");
                    Optional<URI> target = target(meta.hasNonNull("url") ? URI.create(meta.get("url").asText()) : url,
                                                  meta.hasNonNull("tag") ? meta.get("tag").asText() : tag, null);
                    if (target.isEmpty()) {
                        res.status(Status.BAD_REQUEST_400).send("no url: set --url or metadata.url");
                        return;
                    }
                    int s = meta.hasNonNull("seconds") ? meta.get("seconds").asInt(seconds) : seconds;
                    int n = meta.hasNonNull("sessions") ? meta.get("sessions").asInt(sessions) : sessions;
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    PrintStream report = new PrintStream(buf, true, StandardCharsets.UTF_8);
                    boolean passed;
                    oneAtATime.lock();
                    try {
                        passed = VerifyRun.run(new VerifyRun.Options(target.get(), VerifyRun.healthUrlFor(target.get()),
                                                                     s, n, segmentSeconds, format.format(), auth, slo)
                                                       .withTokens(tokens(auth)),
                                               ffmpeg, report).passed();
                    } finally {
                        oneAtATime.unlock();
                    }
                    String text = buf.toString(StandardCharsets.UTF_8);
                    System.out.print(text);
                    res.status(passed ? Status.OK_200 : Status.INTERNAL_SERVER_ERROR_500).send(text);
                }))
                .build()
                .start();
        System.out.println("vbuf verify: serving webhooks on port " + server.port());
        new CountDownLatch(1).await(); // until the process is stopped
        return EXIT_PASS;
    }
}
