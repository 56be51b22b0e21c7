package dev.vbuf.client;

import java.util.Map;

/**
 * How a stream run kept the reconnect contract: what it reconnected after, and what that cost.
 *
 * @param reconnects       connections opened after the first
 * @param failedConnects   connect attempts that failed (refused, unreachable, upgrade answered with an error)
 * @param ends             how the connections before a reconnect ended, by the contract's row ({@code close 1001},
 *                         {@code network error}, {@code goaway}, ...)
 * @param resent           segments sent again because their connection ended before their answer: the server may have
 *                         processed them twice (never answered twice: see {@code duplicateAnswers})
 * @param duplicateAnswers answers to a segment that already had one, dropped (each segment reaches the output once)
 * @param goaways          goaway messages received
 * @param shuttingDown     segments answered {@code shutting_down} and sent again on the next connection
 * @param endClose         the close code that followed the {@code end} message of the last connection (protocol
 *                         v1.1: 1000 from a server that knows it), or null when no {@code end} was sent
 */
public record Resumes(int reconnects, int failedConnects, Map<String, Integer> ends, int resent,
                      int duplicateAnswers, int goaways, int shuttingDown, Integer endClose) {
    public static final Resumes NONE = new Resumes(0, 0, Map.of(), 0, 0, 0, 0, null);

    /** The two runs' figures added up (for a release check's several players). */
    public Resumes plus(Resumes o) {
        Map<String, Integer> all = new java.util.TreeMap<>(ends);
        o.ends.forEach((k, v) -> all.merge(k, v, Integer::sum));
        return new Resumes(reconnects + o.reconnects, failedConnects + o.failedConnects, Map.copyOf(all),
                           resent + o.resent, duplicateAnswers + o.duplicateAnswers, goaways + o.goaways,
                           shuttingDown + o.shuttingDown, endClose != null ? endClose : o.endClose);
    }

    /** How the connections ended, e.g. {@code goaway ×1, network error ×2}. */
    public String endsText() {
        return ends.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + " ×" + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
    }

    /** One line for a summary: {@code reconnects 3 (network error ×2, goaway ×1), resent 2, duplicate answers 0}. */
    public String summary() {
        StringBuilder sb = new StringBuilder("reconnects ").append(reconnects);
        if (!ends.isEmpty()) {
            sb.append(" (").append(endsText()).append(')');
        }
        sb.append(", failed connects ").append(failedConnects)
                .append(", resent ").append(resent).append(" (possibly processed twice)")
                .append(", duplicate answers dropped ").append(duplicateAnswers);
        if (goaways > 0 || shuttingDown > 0) {
            sb.append(", goaways ").append(goaways).append(", answered shutting_down ").append(shuttingDown);
        }
        return sb.toString();
    }
}
