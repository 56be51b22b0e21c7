package dev.vbuf.player;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Enumeration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The player page's own files ({@code player/} on the class path, the JavaScript client package's modules under
 * {@code vbuf-client/} among them), read whole into memory when the server starts and answered from there, each
 * with a strong ETag of its content and {@code Cache-Control: no-cache}.
 *
 * <p>Why not Helidon's class-path static content handler: in 4.2.0, served from the jar, it copies an entry into a
 * temporary file on its first request, and closes the JarFile it got from a cached {@code JarURLConnection}, which is
 * the JarFile every other request shares. The browser fetches a module's imports at once, so one request can close
 * the JarFile while another is copying; that copy fails (logged at TRACE only) and the empty temporary file is
 * served, 200, for the rest of the server's life: "does not provide an export named 'SegmentSession'". Here the jar
 * is read once, with a JarFile of our own, before any request; a file is never served partly, and an ETag of the
 * bytes (not a modification time, which every entry of a jar shares) makes a browser revalidate a module of another
 * build instead of mixing it with this one.
 */
final class PlayerFiles {
    /** One file: its bytes, its Content-Type, its ETag. */
    record File(byte[] body, String contentType, String etag) {
    }

    private static final Map<String, String> TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png");
    private static final String NO_CACHE = "no-cache";

    private final Map<String, File> files;

    private PlayerFiles(Map<String, File> files) {
        this.files = Map.copyOf(files);
    }

    /**
     * Every file under {@code root} on the class path of {@code loader}, by its path below root; {@code anchor}, a file
     * directly in root, finds it (a jar need not list its directories).
     */
    static PlayerFiles load(ClassLoader loader, String root, String anchor) {
        URL url = loader.getResource(root + "/" + anchor);
        if (url == null) {
            throw new IllegalStateException("the player's files are not on the class path (" + root + "/" + anchor
                                            + ")");
        }
        Map<String, byte[]> raw = new TreeMap<>();
        try {
            if (url.getProtocol().equals("jar")) {
                JarURLConnection c = (JarURLConnection) url.openConnection();
                c.setUseCaches(false); // a JarFile of our own, closed here without touching anyone else's
                try (JarFile jar = c.getJarFile()) {
                    String prefix = root + "/";
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        JarEntry e = entries.nextElement();
                        if (!e.isDirectory() && e.getName().startsWith(prefix)) {
                            try (InputStream in = jar.getInputStream(e)) {
                                raw.put(e.getName().substring(prefix.length()), in.readAllBytes());
                            }
                        }
                    }
                }
            } else {
                Path dir = Path.of(url.toURI()).getParent();
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : walk.filter(Files::isRegularFile).toList()) {
                        raw.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the player's files from " + url, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot read the player's files from " + url, e);
        }
        Map<String, File> files = new TreeMap<>();
        raw.forEach((name, body) -> files.put(name, new File(body, type(name), etag(body))));
        return new PlayerFiles(files);
    }

    /** The file at {@code name} (relative to the page), if there is one. */
    File get(String name) {
        return files.get(name);
    }

    /** The names of every file served. */
    Set<String> names() {
        return files.keySet();
    }

    /** Answers {@code file}: 200 with its bytes, or 304 when the request's {@code If-None-Match} names its ETag. */
    static void send(ServerRequest req, ServerResponse res, File file) {
        res.header(HeaderNames.ETAG, file.etag());
        res.header(HeaderNames.CACHE_CONTROL, NO_CACHE);
        if (req.headers().contains(HeaderNames.IF_NONE_MATCH)
            && req.headers().get(HeaderNames.IF_NONE_MATCH).allValues(true).contains(file.etag())) {
            res.status(Status.NOT_MODIFIED_304).send();
            return;
        }
        res.header(HeaderNames.CONTENT_TYPE, file.contentType());
        res.send(file.body());
    }

    private static String type(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    private static String etag(byte[] body) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(body);
            return "\"" + HexFormat.of().formatHex(digest, 0, 16) + "\"";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
