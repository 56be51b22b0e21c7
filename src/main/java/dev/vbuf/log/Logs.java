package dev.vbuf.log;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;

/**
 * Logging with session and segment ids. The ids travel as a prefix that both formatters understand: the text format
 * prints it as is, the JSON format turns it into {@code sessionId} and {@code seq} fields.
 */
public final class Logs {
    private Logs() {
    }

    public static void log(Logger logger, Level level, String sessionId, long seq, String message) {
        log(logger, level, sessionId, seq, message, null);
    }

    public static void log(Logger logger, Level level, String sessionId, long seq, String message, Throwable t) {
        if (!logger.isLoggable(level)) {
            return;
        }
        String text = prefix(sessionId, seq) + message;
        if (t == null) {
            logger.log(level, text);
        } else {
            logger.log(level, text, t);
        }
    }

    static String prefix(String sessionId, long seq) {
        return seq >= 0 ? "[session=" + sessionId + " seq=" + seq + "] " : "[session=" + sessionId + "] ";
    }
}
