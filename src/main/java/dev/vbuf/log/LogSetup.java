package dev.vbuf.log;

import java.util.Locale;
import java.util.logging.ConsoleHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Configures java.util.logging: human-readable text by default, JSON lines with {@code LOG_FORMAT=json}. */
public final class LogSetup {
    private static final String TEXT_FORMAT = "%1$tF %1$tT.%1$tL %4$-7s %3$s - %5$s%6$s%n";

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
        root.setLevel(Level.INFO);
        Logger.getLogger("dev.vbuf").setLevel(julLevel(level));
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
