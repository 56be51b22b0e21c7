package dev.vbuf.log;

import java.util.logging.LogManager;

/**
 * The JDK's LogManager closes every handler from its own shutdown hook, racing vbuf's drain (which logs while it
 * waits for segments on SIGTERM). This manager ignores that reset; handlers are flushed by the drain itself.
 * Installed by {@code Main} through {@code java.util.logging.manager} before anything logs.
 */
public final class ShutdownSafeLogManager extends LogManager {
    @Override
    public void reset() {
        // keep handlers open until the JVM is gone
    }
}
