package dev.vbuf.testing;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The series in a Prometheus text scrape: metric name → label names seen on it, and every label="value" pair.
 *
 * @param labelsByName metric (sample) name → label names
 * @param pairs        every {@code label="value"} that occurs
 */
public record PrometheusText(Map<String, Set<String>> labelsByName, Set<String> pairs) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? \\S+");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    public static PrometheusText parse(String text) {
        Map<String, Set<String>> byName = new HashMap<>();
        Set<String> pairs = new HashSet<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find()) {
                continue;
            }
            Set<String> labels = byName.computeIfAbsent(m.group(1), k -> new HashSet<>());
            if (m.group(2) != null) {
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.add(l.group(1));
                    pairs.add(l.group(1) + "=\"" + l.group(2) + "\"");
                }
            }
        }
        return new PrometheusText(byName, pairs);
    }

    /**
     * The value of the one sample named {@code name} that carries every given {@code label="value"} pair.
     *
     * @throws AssertionError no such sample, or more than one
     */
    public static double value(String text, String name, String... pairs) {
        java.util.List<Double> found = new java.util.ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.find() || !m.group(1).equals(name)) {
                continue;
            }
            Set<String> have = new HashSet<>();
            Matcher l = LABEL.matcher(m.group(2) == null ? "" : m.group(2));
            while (l.find()) {
                have.add(l.group(1) + "=\"" + l.group(2) + "\"");
            }
            if (have.containsAll(java.util.List.of(pairs))) {
                found.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        if (found.size() != 1) {
            throw new AssertionError(found.size() + " samples of " + name + " with " + java.util.List.of(pairs));
        }
        return found.get(0);
    }
}
