package dev.vbuf.config;

import java.time.Duration;

/**
 * The {@code admission} section: the global FFmpeg gate.
 *
 * @param maxConcurrent FFmpeg processes at once; the configured 0 is resolved to the number of CPUs
 *                      ({@code admission.max-concurrent})
 * @param queueCapacity segments that may wait for a permit ({@code admission.queue-capacity})
 * @param targetLatency latency budget per segment ({@code admission.target-latency-ms})
 */
public record AdmissionConfig(int maxConcurrent, int queueCapacity, Duration targetLatency) {
    static AdmissionConfig read(SettingReader r) {
        int maxConcurrent = r.integer(Setting.MAX_CONCURRENT, 0);
        return new AdmissionConfig(maxConcurrent == 0 ? Runtime.getRuntime().availableProcessors() : maxConcurrent,
                                   r.integer(Setting.QUEUE_CAPACITY, 0),
                                   r.millis(Setting.TARGET_LATENCY_MS, 1));
    }
}
