package dev.vbuf.contract.monitoring;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.ReadmeTables;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;

/**
 * Alerts, dashboard and Terraform as code: promtool checks and unit-tests the rules; the GKE Rules resource holds the
 * same groups; every Terraform alert policy comes from the rules file and has a PromQL condition, a duration, a
 * notification channel and documentation; the alert table of docs/operations.md is the rules file's.
 */
class MonitoringAsCodeTest {
    static final Path RULES = Path.of("k8s/monitoring/vbuf.rules.yaml");
    static final Path RULES_CRD = Path.of("k8s/monitoring/rules.yaml");
    static final Path RULES_TEST = Path.of("k8s/monitoring/tests/vbuf.rules.test.yaml");
    static final Path TERRAFORM = Path.of("terraform");
    static final Path DASHBOARD = Path.of("terraform/dashboards/vbuf.json");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode rules() throws IOException {
        return YAML.readTree(RULES.toFile());
    }

    /** Alert name → rule, in file order. */
    static Map<String, JsonNode> alerts() throws IOException {
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    assertThat("unique alert name " + rule.path("alert").asText(),
                               alerts.put(rule.path("alert").asText(), rule) == null, is(true));
                }
            }
        }
        return alerts;
    }

    /** Every PromQL expression of the rules and the dashboard. */
    static List<String> allQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        alerts().values().forEach(r -> queries.add(r.path("expr").asText()));
        JSON.readTree(DASHBOARD.toFile()).findValues("prometheusQuery").forEach(q -> queries.add(q.asText()));
        return queries;
    }

    static String run(List<String> cmd, Map<String, String> env) throws IOException, InterruptedException {
        return Commands.run(cmd, env);
    }

    @Test
    void promtoolChecksAndUnitTestsTheRules() throws Exception {
        assertThat(run(List.of("promtool", "check", "rules", RULES.toString()), Map.of()), containsString("SUCCESS"));
        assertThat(run(List.of("promtool", "test", "rules", RULES_TEST.toString()), Map.of()),
                   containsString("SUCCESS"));
    }

    @Test
    void everyAlertHasAUnitTestThatFiresIt() throws Exception {
        String tests = Files.readString(RULES_TEST);
        for (String alert : alerts().keySet()) {
            assertThat(alert + " fires in a promtool test", tests,
                       containsString("ALERTS{alertname=\"" + alert + "\",alertstate=\"firing\""));
            assertThat(alert + " has a must-not-fire case", tests, containsString("alertname: " + alert + "\n"));
        }
    }

    @Test
    void dashboardQueriesAreValidPromQL() throws Exception {
        // promtool validates PromQL inside rule files: wrap each dashboard query as a recording rule
        ObjectNode file = JSON.createObjectNode();
        ArrayNode rules = file.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
        int i = 0;
        for (JsonNode q : JSON.readTree(DASHBOARD.toFile()).findValues("prometheusQuery")) {
            rules.addObject().put("record", "dashboard:query_" + i++).put("expr", q.asText());
        }
        assertThat("dashboard has queries", i >= 10, is(true));
        Path tmp = Files.createTempFile("vbuf-dashboard", ".rules.yaml");
        try {
            YAML.writeValue(tmp.toFile(), file);
            run(List.of("promtool", "check", "rules", tmp.toString()), Map.of());
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Test
    void gkeRulesResourceHoldsTheSameGroups() throws Exception {
        JsonNode crd = YAML.readTree(RULES_CRD.toFile());
        assertThat(crd.path("apiVersion").asText(), is("monitoring.googleapis.com/v1"));
        assertThat(crd.path("kind").asText(), is("Rules"));
        assertThat("k8s/monitoring/rules.yaml spec.groups must equal vbuf.rules.yaml groups; expected spec:\n"
                   + YAML.writeValueAsString(rules()), crd.path("spec").path("groups"), is(rules().path("groups")));
    }

    @Test
    void everyAlertHasADurationASeverityAndARunbook() throws Exception {
        Map<String, JsonNode> alerts = alerts();
        for (Map.Entry<String, JsonNode> e : alerts.entrySet()) {
            JsonNode r = e.getValue();
            assertThat(e.getKey() + " for", r.path("for").asText().matches("\\d+m"), is(true));
            assertThat(e.getKey() + " severity", Set.of("page", "ticket", "info")
                    .contains(r.path("labels").path("severity").asText()), is(true));
            assertThat(e.getKey() + " summary", r.path("annotations").path("summary").asText().isBlank(), is(false));
            String runbook = r.path("annotations").path("runbook").asText();
            assertThat(e.getKey() + " runbook says what it means", runbook, containsString("Means:"));
            assertThat(e.getKey() + " runbook says what to look at", runbook, containsString("Look at:"));
            assertThat(e.getKey() + " runbook says what to do", runbook, containsString("Do:"));
        }
        // the automatic-rollback triggers, by the names a canary analysis references
        assertThat(alerts.keySet(), hasItems("VbufRollbackErrorRate", "VbufRollbackLatencyP95", "VbufRollbackNotReady"));
        for (String name : List.of("VbufRollbackErrorRate", "VbufRollbackLatencyP95", "VbufRollbackNotReady")) {
            assertThat(name, alerts.get(name).path("labels").path("rollback").asText(), is("true"));
        }
    }

    /** The .tf files parsed with @cdktf/hcl2json (there is no Terraform binary here). */
    static JsonNode terraform() throws Exception {
        Path tools = Commands.toolsDir();
        String out = run(List.of("node", "terraform/tests/hcl2json.js", TERRAFORM.toString()),
                         Map.of("NODE_PATH", tools + "/node_modules"));
        return JSON.readTree(out);
    }

    @Test
    void terraformCreatesOnePolicyPerAlertFromTheRulesFile() throws Exception {
        JsonNode tf = terraform();
        JsonNode alertsTf = tf.path("alerts.tf");
        String locals = alertsTf.path("locals").toString();
        assertThat("policies come from the rules file", locals,
                   containsString("yamldecode(file(\\\"${path.module}/../k8s/monitoring/vbuf.rules.yaml\\\"))"));
        assertThat("the alert rules file exists next to the Terraform",
                   Files.exists(TERRAFORM.resolve("../k8s/monitoring/vbuf.rules.yaml").normalize()), is(true));
        JsonNode policy = alertsTf.path("resource").path("google_monitoring_alert_policy").path("vbuf").path(0);
        assertThat(policy.path("for_each").asText(), is("${local.alerts}"));
        JsonNode promql = policy.path("conditions").path(0).path("condition_prometheus_query_language").path(0);
        assertThat("PromQL condition", promql.path("query").asText(), is("${each.value.expr}"));
        assertThat("duration from the rule's for",
                   promql.path("duration").asText(), containsString("each.value[\"for\"]"));
        assertThat("notification channel", policy.path("notification_channels").toString(),
                   containsString("google_monitoring_notification_channel.email.id"));
        assertThat("documentation", policy.path("documentation").path(0).path("content").asText(),
                   containsString("each.value.annotations.runbook"));
        // every severity used by the rules has a Cloud Monitoring mapping
        JsonNode severities = alertsTf.path("locals").path(0).path("severities");
        for (JsonNode rule : alerts().values()) {
            String severity = rule.path("labels").path("severity").asText();
            assertThat("severity " + severity + " mapped", Set.of("CRITICAL", "ERROR", "WARNING")
                    .contains(severities.path(severity).asText()), is(true));
        }
    }

    @Test
    void terraformHasTheChannelDashboardUptimeCheckAndBudget() throws Exception {
        JsonNode tf = terraform();
        JsonNode vars = tf.path("variables.tf").path("variable");
        for (String v : List.of("project_id", "region", "service_name", "notification_email")) {
            assertThat("variable " + v, vars.has(v), is(true));
        }
        assertThat(vars.path("monthly_budget_usd").path(0).path("default").asInt(), is(1000));
        JsonNode channel = tf.path("alerts.tf").path("resource").path("google_monitoring_notification_channel");
        assertThat(channel.path("email").path(0).path("type").asText(), is("email"));
        assertThat(tf.path("dashboard.tf").path("resource").path("google_monitoring_dashboard").path("vbuf").path(0)
                           .path("dashboard_json").asText(), containsString("dashboards/vbuf.json"));
        JsonNode uptime = tf.path("uptime.tf").path("resource").path("google_monitoring_uptime_check_config")
                .path("health").path(0);
        assertThat(uptime.path("http_check").path(0).path("path").asText(), is("/health"));
        JsonNode budget = tf.path("budget.tf").path("resource").path("google_billing_budget").path("vbuf").path(0);
        assertThat(budget.path("amount").path(0).path("specified_amount").path(0).path("units").asText(),
                   containsString("var.monthly_budget_usd"));
        assertThat(budget.path("all_updates_rule").toString(), containsString("notification_channel.email.id"));
    }

    @Test
    void readmeAlertTableIsTheRulesFile() throws Exception {
        List<List<String>> rows = ReadmeTables.table(Path.of("docs/operations.md"),
                                                     "alert", "condition", "for", "severity", "runbook");
        List<List<String>> expected = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : alerts().entrySet()) {
            JsonNode r = e.getValue();
            expected.add(List.of(e.getKey(), r.path("expr").asText().replaceAll("\\s+", " ").strip(),
                                 r.path("for").asText(), r.path("labels").path("severity").asText()
                                         + (r.path("labels").has("rollback") ? ", rollback" : ""),
                                 r.path("annotations").path("runbook").asText().replaceAll("\\s+", " ").strip()));
        }
        assertThat(rows.stream().map(row -> row.stream().map(c -> c.replaceAll("\\s+", " ").strip()).toList())
                           .toList(), is(expected));
    }

    /**
     * Every query that leaves outcomes out of an error rate leaves out exactly {@code ok} and the codes that are
     * refusals ({@link ErrorCode#refusal()}: the client sends the segment again), so a new refusal such as
     * {@code shutting_down} (every drain answers some) never reads as a failing service or rolls a canary back.
     */
    @Test
    void errorRatesLeaveOutExactlyOkAndTheRefusals() throws Exception {
        Set<String> expected = new HashSet<>(List.of("ok"));
        ErrorCode.segmentCodes().stream().filter(ErrorCode::refusal).forEach(c -> expected.add(c.wireName()));
        int found = 0;
        for (String q : allQueries()) {
            Matcher m = Pattern.compile("outcome\\s*!~\\s*\"([^\"]*)\"").matcher(q);
            while (m.find()) {
                found++;
                assertThat(q, Set.of(m.group(1).split("\\|")), is(expected));
            }
        }
        assertThat("error-rate queries in the rules and the dashboard", found, greaterThanOrEqualTo(3));
    }

    /**
     * The rollback queries count the server's own faults by name instead ({@code outcome=~"internal|timeout"}): a
     * client's bad input or a refusal must never roll a release back, so no other code may appear in such a set.
     */
    @Test
    void rollbackRatesCountOnlyTheServersOwnFaults() throws Exception {
        int found = 0;
        for (String q : allQueries()) {
            Matcher m = Pattern.compile("outcome\\s*=~\\s*\"([^\"]*)\"").matcher(q);
            while (m.find()) {
                found++;
                assertThat(q, Set.of(m.group(1).split("\\|")),
                           is(Set.of(ErrorCode.INTERNAL.wireName(), ErrorCode.TIMEOUT.wireName())));
            }
        }
        assertThat("the server-fault rate of the rollback rule", found, greaterThanOrEqualTo(1));
    }

    // ---------------------------------------------------------------- what the queries reference

    private static final Pattern SELECTOR = Pattern.compile("(vbuf_[a-z_]+)(\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_]+)\\s*(=~|!~|!=|=)\\s*\"([^\"]*)\"");
    private static final Pattern BY = Pattern.compile("by\\s*\\(([^)]*)\\)");

    /** vbuf metric names the queries use, each with the label names its selectors match on. */
    static Map<String, Set<String>> referencedVbufSeries() throws IOException {
        Map<String, Set<String>> refs = new HashMap<>();
        for (String q : allQueries()) {
            Matcher m = SELECTOR.matcher(q);
            while (m.find()) {
                Set<String> labels = refs.computeIfAbsent(m.group(1), k -> new HashSet<>());
                if (m.group(3) != null) {
                    Matcher l = MATCHER.matcher(m.group(3));
                    while (l.find()) {
                        labels.add(l.group(1));
                    }
                }
            }
        }
        return refs;
    }

    /** Label="value" pairs matched with = on vbuf metrics (the value must occur in a scrape). */
    static Set<String> equalityMatchers() throws IOException {
        Set<String> pairs = new HashSet<>();
        for (String q : allQueries()) {
            Matcher m = SELECTOR.matcher(q);
            while (m.find()) {
                if (m.group(3) != null) {
                    Matcher l = MATCHER.matcher(m.group(3));
                    while (l.find()) {
                        if (l.group(2).equals("=")) {
                            pairs.add(l.group(1) + "=\"" + l.group(3) + "\"");
                        }
                    }
                }
            }
        }
        return pairs;
    }

    /** Label names used in by (...) clauses of queries over vbuf metrics. */
    static Set<String> groupingLabels() throws IOException {
        Set<String> labels = new HashSet<>();
        for (String q : allQueries()) {
            if (!q.contains("vbuf_")) {
                continue;
            }
            Matcher m = BY.matcher(q);
            while (m.find()) {
                for (String l : m.group(1).split(",")) {
                    labels.add(l.strip());
                }
            }
        }
        return labels;
    }
}
