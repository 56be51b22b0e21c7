package dev.vbuf.gapless;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.vbuf.media.AudioTrack;

/**
 * The carries one protocol v1.1 session kept for its last few segments, by the PTS their successor starts at: a
 * client that sends no carry of its own still gets a warm start for the segment that follows. Planning happens on
 * the session's reading thread (so the next segment finds this one's carry while this one is still being processed),
 * and only there: not thread-safe.
 */
public final class SessionCarries {
    private static final int KEPT = 4;
    private final LinkedHashMap<Long, String> byNextPts = new LinkedHashMap<>(8, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
            return size() > KEPT;
        }
    };

    void keep(long nextFirstPts, String carry) {
        byNextPts.put(nextFirstPts, carry);
    }

    /** The carry kept for the segment that follows one this session saw ({@link Timeline#follows}), or null. */
    String keptFor(AudioTrack audio) {
        return byNextPts.entrySet().stream()
                .filter(e -> Timeline.follows(e.getKey(), audio.firstPts(), audio.timescale()))
                .map(Map.Entry::getValue).reduce((a, b) -> b).orElse(null);
    }
}
