package dev.vbuf.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One segment as a player sends it: its bytes on disk (an init segment first where there is one), where it starts in
 * the media and how long it is.
 */
public record Segment(int index, List<Path> parts, double startSec, double durationSec) {
    public byte[] bytes() throws IOException {
        if (parts.size() == 1) {
            return Files.readAllBytes(parts.get(0));
        }
        var out = new ByteArrayOutputStream();
        for (Path p : parts) {
            out.writeBytes(Files.readAllBytes(p));
        }
        return out.toByteArray();
    }
}
