package dev.vbuf.config;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The {@code player} section.
 *
 * @param demoDir where the reference player's demo comes from; empty = generated with FFmpeg on its first request
 *                ({@code player.demo-dir})
 */
public record PlayerConfig(Optional<Path> demoDir) {
    static PlayerConfig read(SettingReader r) {
        return new PlayerConfig(r.optional(Setting.PLAYER_DEMO_DIR).map(Path::of));
    }
}
