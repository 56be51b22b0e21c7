package dev.vbuf.config;

/**
 * The {@code segments} section: how much of a segment, and of all segments together, vbuf holds.
 *
 * @param perSession               segments of one session in progress at once ({@code segments.per-session})
 * @param maxBytes                 largest accepted segment ({@code segments.max-bytes})
 * @param maxFrameBytes            largest single WebSocket frame ({@code segments.max-frame-bytes})
 * @param socketReceiveBufferBytes SO_RCVBUF of each connection; 0 = the kernel's autotuning
 *                                 ({@code segments.socket-receive-buffer-bytes})
 * @param memoryBudgetBytes        memory for segments in flight; the configured 0 is resolved to a quarter of the
 *                                 maximum heap ({@code segments.memory-budget-bytes})
 */
public record SegmentsConfig(int perSession, int maxBytes, int maxFrameBytes, int socketReceiveBufferBytes,
                             long memoryBudgetBytes) {
    static SegmentsConfig read(SettingReader r) {
        long budget = r.longInteger(Setting.MEMORY_BUDGET_BYTES, 0);
        return new SegmentsConfig(r.integer(Setting.PER_SESSION, 1),
                                  r.integer(Setting.MAX_SEGMENT_BYTES, 1),
                                  r.integer(Setting.MAX_FRAME_BYTES, 1024),
                                  r.integer(Setting.RECEIVE_BUFFER_BYTES, 0),
                                  budget == 0 ? Runtime.getRuntime().maxMemory() / 4 : budget);
    }
}
