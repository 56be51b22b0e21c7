package dev.vbuf.client;

import java.io.PrintStream;

/**
 * A stream run's progress on the console: one line rewritten in place on a terminal, else a line at each tenth of
 * the segments; and the lines said in between. Nothing when there is no console to write to.
 */
final class StreamProgress {
    private final PrintStream out;
    private final int total;
    private int lastShown = -1;

    /** @param out where to write, or null for nowhere */
    StreamProgress(PrintStream out, int total) {
        this.out = out;
        this.total = total;
    }

    void show(long sent, int done, int retried, long latencyMs) {
        if (out == null) {
            return;
        }
        String line = String.format("segments: %d sent, %d/%d answered, %d retries, last latency %d ms",
                                    sent, done, total, retried, latencyMs);
        if (System.console() != null) {
            out.print("\r" + line + "   ");
        } else if (done != lastShown && (done == total || done % Math.max(1, total / 10) == 0)) {
            out.println(line);
        }
        lastShown = done;
        out.flush();
    }

    void say(String line) {
        if (out != null) {
            end();
            out.println(line);
            out.flush();
        }
    }

    /** Ends the line rewritten in place, so what follows starts on its own. */
    void end() {
        if (out != null && System.console() != null) {
            out.println();
        }
    }
}
