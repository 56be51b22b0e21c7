package dev.vbuf.release;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.Yaml;

/**
 * The service level a new revision must hold to keep its traffic, read from the one place it is written: the
 * automatic-rollback alerts in {@code k8s/monitoring/vbuf.rules.yaml} (the rules marked {@code rollback: "true"}).
 * The build copies that file into the jar, so the verify mode judges a canary by the same numbers as the alert
 * policies Terraform makes from it and the Flagger analysis (which a test holds to the file).
 *
 * @param maxErrorRatio share of segments that may fail (errors / all segments), e.g. {@code 0.10}
 * @param maxP95Seconds p95 segment latency that may not be exceeded, in seconds, e.g. {@code 3}
 */
public record ReleaseSlo(double maxErrorRatio, double maxP95Seconds) {
    /** Where the build puts the rules file in the jar. */
    public static final String RULES_RESOURCE = "/dev/vbuf/release/vbuf.rules.yaml";
    /** The rollback alert whose threshold is the error share. */
    public static final String ERROR_RATIO_ALERT = "VbufRollbackErrorRate";
    /** The rollback alert whose threshold is the p95 latency in seconds. */
    public static final String LATENCY_P95_ALERT = "VbufRollbackLatencyP95";

    /** {@code ... > 0.10} at the end of an expression (every comparison in it must name the same number). */
    private static final Pattern THRESHOLD = Pattern.compile(">\\s*([0-9]+(?:\\.[0-9]+)?)");

    /** The thresholds of the rules file in the jar. */
    public static ReleaseSlo bundled() {
        try (InputStream in = ReleaseSlo.class.getResourceAsStream(RULES_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RULES_RESOURCE + " is not on the class path (the build copies"
                                                + " k8s/monitoring/vbuf.rules.yaml there)");
            }
            return fromRules(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RULES_RESOURCE + ": " + e.getMessage(), e);
        }
    }

    /** The thresholds of a rules file's rollback alerts. */
    public static ReleaseSlo fromRules(InputStream rulesYaml) {
        Map<String, String> rollback = rollbackExpressions(rulesYaml);
        return new ReleaseSlo(threshold(rollback, ERROR_RATIO_ALERT), threshold(rollback, LATENCY_P95_ALERT));
    }

    /** Alert name → expression, for the rules labelled {@code rollback: "true"}, in file order. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> rollbackExpressions(InputStream rulesYaml) {
        Map<String, Object> file = new Yaml().load(rulesYaml);
        Map<String, String> out = new LinkedHashMap<>();
        for (Object g : (List<Object>) file.get("groups")) {
            for (Object r : (List<Object>) ((Map<String, Object>) g).get("rules")) {
                Map<String, Object> rule = (Map<String, Object>) r;
                Object labels = rule.get("labels");
                if (rule.containsKey("alert") && labels instanceof Map<?, ?> l && "true".equals(l.get("rollback"))) {
                    out.put((String) rule.get("alert"), String.valueOf(rule.get("expr")).strip());
                }
            }
        }
        return out;
    }

    /** The number an expression compares against with {@code >}; all its comparisons must agree. */
    public static double threshold(String expr) {
        Matcher m = THRESHOLD.matcher(expr);
        Double found = null;
        while (m.find()) {
            double v = Double.parseDouble(m.group(1));
            if (found != null && found != v) {
                throw new IllegalStateException("two different thresholds in one rollback rule: " + expr);
            }
            found = v;
        }
        if (found == null) {
            throw new IllegalStateException("no '> number' threshold in rollback rule: " + expr);
        }
        return found;
    }

    private static double threshold(Map<String, String> rollback, String alert) {
        String expr = rollback.get(alert);
        if (expr == null) {
            throw new IllegalStateException("the rules file has no rollback alert " + alert + " (rollback rules: "
                                            + rollback.keySet() + ")");
        }
        return threshold(expr);
    }

    public long maxP95Millis() {
        return Math.round(maxP95Seconds * 1000);
    }
}
