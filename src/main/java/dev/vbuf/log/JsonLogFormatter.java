package dev.vbuf.log;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One JSON object per line, with the fields Cloud Logging reads ({@code severity}, {@code message}, {@code time}). */
public final class JsonLogFormatter extends Formatter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IDS = Pattern.compile("^\\[session=(\\w+)(?: seq=(\\d+))?] ");

    @Override
    public String format(LogRecord r) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("time", Instant.ofEpochMilli(r.getMillis()).toString());
        entry.put("severity", severity(r.getLevel()));
        String message = formatMessage(r);
        Matcher m = IDS.matcher(message);
        if (m.find()) {
            entry.put("sessionId", m.group(1));
            if (m.group(2) != null) {
                entry.put("seq", Long.parseLong(m.group(2)));
            }
            message = message.substring(m.end());
        }
        if (r.getThrown() != null) {
            StringWriter sw = new StringWriter();
            r.getThrown().printStackTrace(new PrintWriter(sw));
            message = message + "\n" + sw;
        }
        entry.put("message", message);
        entry.put("logger", r.getLoggerName());
        entry.put("thread", Thread.currentThread().getName());
        try {
            return JSON.writeValueAsString(entry) + System.lineSeparator();
        } catch (JsonProcessingException e) {
            return "{\"severity\":\"ERROR\",\"message\":\"unloggable record\"}" + System.lineSeparator();
        }
    }

    static String severity(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        }
        if (v >= Level.WARNING.intValue()) {
            return "WARNING";
        }
        if (v >= Level.INFO.intValue()) {
            return "INFO";
        }
        return "DEBUG";
    }
}
