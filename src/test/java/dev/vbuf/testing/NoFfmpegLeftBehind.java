package dev.vbuf.testing;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Registered for every test class (JUnit extension auto-detection): after the class, no FFmpeg child process of this
 * JVM may be alive. Processes that tests start themselves to make media are reaped before this runs.
 */
public final class NoFfmpegLeftBehind implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        // A process killed a moment ago may still be in the kernel's hands; give it a short while, no more.
        long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<ProcessHandle> left;
        do {
            left = ffmpegChildren();
            if (left.isEmpty()) {
                return;
            }
            Thread.sleep(50);
        } while (System.nanoTime() < end);
        left.forEach(ProcessHandle::destroyForcibly);
        throw new AssertionError(context.getDisplayName() + " left FFmpeg processes behind: "
                                 + left.stream().map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList());
    }

    public static List<ProcessHandle> ffmpegChildren() {
        return ProcessHandle.current().descendants()
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("/ffmpeg")).orElse(false))
                .toList();
    }
}
