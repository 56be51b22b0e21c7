package dev.vbuf.media;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.lindstrom.m3u8.model.MediaPlaylist;
import io.lindstrom.m3u8.model.MediaSegment;
import io.lindstrom.m3u8.parser.MediaPlaylistParser;
import io.lindstrom.m3u8.parser.PlaylistParserException;

/**
 * An HLS media playlist on disk, read into its segment files: what {@code vbuf stream} sends from a playlist and what
 * the reference player's demo serves from a directory of real segments. Byte ranges, encryption and network URIs are
 * refused with a message that says so.
 */
public final class HlsPlaylist {
    /** One segment: its file, the EXT-X-MAP init segment in force for it (fMP4 playlists), where it starts, its length. */
    public record Entry(Optional<Path> init, Path media, double startSec, double durationSec) {
    }

    private HlsPlaylist() {
    }

    /**
     * The segments of a media playlist, in order, each file checked to exist.
     *
     * @throws IOException not a media playlist, no segments, a segment that is not a plain local file
     */
    public static List<Entry> read(Path m3u8) throws IOException {
        MediaPlaylist playlist;
        try {
            playlist = new MediaPlaylistParser().readPlaylist(m3u8);
        } catch (PlaylistParserException e) {
            throw new IOException("not an HLS media playlist: " + m3u8 + ": " + e.getMessage(), e);
        }
        Path dir = m3u8.toAbsolutePath().getParent();
        List<Entry> entries = new ArrayList<>();
        double start = 0;
        Path initSegment = null; // EXT-X-MAP applies to every segment after it, until the next one
        for (MediaSegment s : playlist.mediaSegments()) {
            if (s.byteRange().isPresent()) {
                throw new IOException("byte-range segments (EXT-X-BYTERANGE) are not supported: " + s.uri());
            }
            if (s.segmentKey().isPresent() && !"NONE".equals(String.valueOf(s.segmentKey().get().method()))) {
                throw new IOException("encrypted segments are not supported: " + s.uri());
            }
            if (s.segmentMap().isPresent()) {
                initSegment = local(dir, s.segmentMap().get().uri());
            }
            entries.add(new Entry(Optional.ofNullable(initSegment), local(dir, s.uri()), start, s.duration()));
            start += s.duration();
        }
        if (entries.isEmpty()) {
            throw new IOException("the playlist lists no segments: " + m3u8);
        }
        return List.copyOf(entries);
    }

    /** A playlist entry as a local file: relative to the playlist, or a file: URI. Network URIs are refused. */
    private static Path local(Path dir, String uri) throws IOException {
        URI parsed;
        try {
            parsed = URI.create(uri);
        } catch (IllegalArgumentException e) {
            parsed = null;
        }
        Path p;
        if (parsed != null && parsed.getScheme() != null && parsed.getScheme().length() > 1) {
            if (!parsed.getScheme().equals("file")) {
                throw new IOException("only segments on disk are supported, not " + uri
                                      + " (download the rendition first)");
            }
            p = Path.of(parsed);
        } else {
            p = dir.resolve(uri);
        }
        if (!Files.isRegularFile(p)) {
            throw new IOException("segment file not found: " + p);
        }
        return p;
    }
}
