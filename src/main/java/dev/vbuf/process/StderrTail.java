package dev.vbuf.process;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Predicate;

/**
 * {@link ProcessRunner}'s stderr drain, run on its own thread: keeps the last lines of stderr within a character budget
 * and hands each line to the consumer first.
 */
final class StderrTail implements Runnable {
    private final InputStream in;
    private final int budget;
    private final Predicate<String> consumer;
    private final Deque<String> lines = new ArrayDeque<>();
    private int chars;

    StderrTail(InputStream in, int budget, Predicate<String> consumer) {
        this.in = in;
        this.budget = budget;
        this.consumer = consumer;
    }

    @Override
    public void run() {
        // Lines are cut at the budget as they are read, so a child printing one endless line holds no more memory
        // than a well-behaved one.
        try (Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            char[] buf = new char[8192];
            StringBuilder line = new StringBuilder();
            int n;
            while ((n = r.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    char c = buf[i];
                    if (c == '\n' || c == '\r') {
                        if (!line.isEmpty()) {
                            accept(line.toString());
                            line.setLength(0);
                        }
                    } else if (line.length() < budget) {
                        line.append(c);
                    }
                }
            }
            if (!line.isEmpty()) {
                accept(line.toString());
            }
        } catch (IOException ignored) {
            // process killed
        }
    }

    private void accept(String line) {
        if (consumer.test(line)) {
            return;
        }
        synchronized (lines) {
            lines.addLast(line);
            chars += line.length() + 1;
            while (chars > budget && lines.size() > 1) {
                chars -= lines.removeFirst().length() + 1;
            }
        }
    }

    String tail() {
        synchronized (lines) {
            return String.join("\n", lines);
        }
    }
}
