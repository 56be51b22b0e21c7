package dev.vbuf.log;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Configures java.util.logging: human-readable text by default, JSON lines with {@code VBUF_LOG_FORMAT=json}. */
public final class LogSetup {
    private static final String TEXT_FORMAT = "%1$tF %1$tT.%1$tL %4$-7s %3$s - %5$s%6$s%n";
    /** JUL holds loggers weakly: without this reference the level set here could vanish with the next GC. */
    private static final Logger VBUF = Logger.getLogger("dev.vbuf");

    private LogSetup() {
    }

    public static void configure(String format, String level) {
        System.setProperty("java.util.logging.SimpleFormatter.format", TEXT_FORMAT);
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Handler handler = new ConsoleHandler(); // stderr
        handler.setLevel(Level.ALL);
        handler.setFormatter("json".equals(format) ? new JsonLogFormatter() : new SimpleFormatter());
        root.addHandler(handler);
        Level vbufLevel = julLevel(level);
        // Other libraries log at INFO and above, or less when vbuf itself is asked to be quieter.
        root.setLevel(vbufLevel.intValue() > Level.INFO.intValue() ? vbufLevel : Level.INFO);
        VBUF.setLevel(vbufLevel);
    }

    static Level julLevel(String level) {
        return switch (level.toUpperCase(Locale.ROOT)) {
            case "DEBUG", "FINE" -> Level.FINE;
            case "TRACE", "FINEST" -> Level.FINEST;
            case "WARN", "WARNING" -> Level.WARNING;
            case "ERROR", "SEVERE" -> Level.SEVERE;
            default -> Level.INFO;
        };
    }
}
