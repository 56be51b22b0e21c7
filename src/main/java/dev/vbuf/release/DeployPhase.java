package dev.vbuf.release;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which URL a Cloud Deploy verify job must test, from the two variables Cloud Deploy sets in its container:
 * {@code CLOUD_DEPLOY_PHASE} ({@code canary-10}, {@code canary-50}, ... or {@code stable}) and
 * {@code CLOUD_RUN_SERVICE_URLS} (the service's URLs, comma-separated).
 *
 * <p>Cloud Deploy puts the canary tag on the new revision only while a canary phase runs; in the stable phase (and in
 * the first rollout to a target, which has no canary) the new revision serves the service URL itself and the tag is
 * gone. So a canary phase addresses {@code canary---HOST}, the stable phase the service URL. A tag URL exists only
 * on Cloud Run's own {@code *.run.app} host names: a URL this class cannot use (a tag on an IP address or a custom
 * domain, a scheme that is not http(s)/ws(s), a URL that does not parse) is an {@link UnusableUrl} whose message is
 * one line saying what was wrong, never a stack trace.
 */
public final class DeployPhase {
    /** The phase Cloud Deploy is running, set in every verify container. */
    public static final String PHASE_ENV = "CLOUD_DEPLOY_PHASE";
    /** The deployed service's URLs, comma-separated, set in a Cloud Run target's verify container. */
    public static final String SERVICE_URLS_ENV = "CLOUD_RUN_SERVICE_URLS";
    /** The phase after the canary phases (and the only one of a target's first rollout). */
    public static final String STABLE = "stable";
    /** The tag cloudrun/clouddeploy.yaml gives the canary revision ({@code canaryRevisionTags}). */
    public static final String CANARY_TAG = "canary";
    /** The WebSocket path verify streams to when the URL has none. */
    public static final String SEGMENTS_PATH = "/v1/segments";

    private static final Pattern CANARY_PHASE = Pattern.compile("canary(-[0-9]+)?");
    private static final String RUN_APP = ".run.app";

    /** A URL verify cannot use; the message is one line. */
    public static final class UnusableUrl extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        UnusableUrl(String message) {
            super(message);
        }
    }

    private DeployPhase() {
    }

    /**
     * The segments URL to verify in {@code phase}: the canary tag's URL in a canary phase, the service URL in the
     * stable phase or when no phase is set (verify run by hand against {@code serviceUrls}).
     *
     * @param phase       {@code CLOUD_DEPLOY_PHASE}, may be null
     * @param serviceUrls {@code CLOUD_RUN_SERVICE_URLS}
     */
    public static URI segmentsUrl(String phase, String serviceUrls) {
        List<URI> urls = parseAll(serviceUrls);
        String p = phase == null ? "" : phase.strip();
        if (p.isEmpty() || p.equals(STABLE)) {
            return segmentsUrl(urls.get(0));
        }
        if (CANARY_PHASE.matcher(p).matches()) {
            URI run = urls.stream().filter(DeployPhase::isCloudRunHost).findFirst().orElseThrow(
                    () -> new UnusableUrl(PHASE_ENV + "=" + p + " needs the revision tag '" + CANARY_TAG + "', and no"
                                          + " URL in " + SERVICE_URLS_ENV + " (" + serviceUrls.strip() + ") is a Cloud"
                                          + " Run *" + RUN_APP + " host a tag can be put on"));
            return tagged(run, CANARY_TAG);
        }
        throw new UnusableUrl("unknown " + PHASE_ENV + "=" + p + ": expected " + STABLE + " or canary-N");
    }

    /** The first of the comma-separated {@code serviceUrls}, as a segments URL. */
    public static URI firstSegmentsUrl(String serviceUrls) {
        return segmentsUrl(parseAll(serviceUrls).get(0));
    }

    /**
     * The segments URL of a Cloud Run revision tag: {@code https://vbuf-abc-ew.a.run.app} with tag {@code canary}
     * is {@code wss://canary---vbuf-abc-ew.a.run.app/v1/segments}.
     */
    public static URI tagged(URI serviceUrl, String tag) {
        URI ws = segmentsUrl(serviceUrl);
        if (!isCloudRunHost(ws)) {
            throw new UnusableUrl("cannot address the revision tag '" + tag + "' on " + serviceUrl + ": tag URLs"
                                  + " exist only on Cloud Run's *" + RUN_APP + " host names (give the tag's URL"
                                  + " with --url instead)");
        }
        return build(ws.getScheme(), tag + "---" + ws.getHost(), ws.getPort(), ws.getRawPath());
    }

    /** {@code url} as a WebSocket URL: http → ws, https → wss, {@code /v1/segments} when it has no path. */
    public static URI segmentsUrl(URI url) {
        String scheme = Optional.ofNullable(url.getScheme()).orElse("").toLowerCase(Locale.ROOT);
        String ws = switch (scheme) {
            case "https", "wss" -> "wss";
            case "http", "ws" -> "ws";
            default -> throw new UnusableUrl("cannot verify " + url + ": the URL must start with http://, https://,"
                                             + " ws:// or wss://");
        };
        if (url.getHost() == null) {
            throw new UnusableUrl("cannot verify " + url + ": the URL has no host name");
        }
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() || url.getRawPath().equals("/")
                      ? SEGMENTS_PATH : url.getRawPath();
        return build(ws, url.getHost(), url.getPort(), path);
    }

    static boolean isCloudRunHost(URI url) {
        String host = url.getHost();
        return host != null && host.toLowerCase(Locale.ROOT).endsWith(RUN_APP);
    }

    private static List<URI> parseAll(String serviceUrls) {
        List<URI> urls = new ArrayList<>();
        for (String s : (serviceUrls == null ? "" : serviceUrls).split(",")) {
            if (!s.isBlank()) {
                try {
                    urls.add(new URI(s.strip()));
                } catch (URISyntaxException e) {
                    throw new UnusableUrl(SERVICE_URLS_ENV + " holds a URL that does not parse: " + e.getMessage());
                }
            }
        }
        if (urls.isEmpty()) {
            throw new UnusableUrl(SERVICE_URLS_ENV + " is empty: give --url, or run where Cloud Deploy sets it");
        }
        return urls;
    }

    private static URI build(String scheme, String host, int port, String path) {
        try {
            return new URI(scheme, null, host, port, null, null, null).resolve(path);
        } catch (URISyntaxException e) {
            throw new UnusableUrl("cannot make a URL of host " + host + ": " + e.getMessage());
        }
    }
}
