package dev.vbuf.contract.release;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.vbuf.cli.VerifyCommand;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.release.DeployPhase;
import dev.vbuf.release.ReleaseSlo;
import dev.vbuf.testing.Commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.isOneOf;
import static org.hamcrest.Matchers.startsWith;

/**
 * The release files, proved offline: Cloud Deploy and Cloud Build files through the Google Cloud CLI's own parsers,
 * skaffold.yaml against its published JSON Schema, the Flagger resources against Flagger's CRD schemas (and no field
 * those lack), a misspelled field failing each check; the canary thresholds equal to the rollback alerts'; the
 * analysis queries evaluated by promtool on a healthy and on failing canaries; rollback.sh's dry run with a stub
 * gcloud; shellcheck on every script.
 */
class ReleaseFilesTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Path CLOUD_DEPLOY = Path.of("cloudrun/clouddeploy.yaml");
    static final Path CLOUD_BUILD = Path.of("cloudrun/cloudbuild.yaml");
    static final Path SKAFFOLD = Path.of("cloudrun/skaffold.yaml");
    static final Path SERVICE = Path.of("cloudrun/service.yaml");
    static final Path RULES = Path.of("k8s/monitoring/vbuf.rules.yaml");
    /** The schemas shared beside the project (docs/releasing.md): read from there, never copied in. */
    static final Path SCHEMAS = Path.of("../shared/schemas");

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ helpers

    static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(new YAMLFactory().createParser(yaml))) {
            while (it.hasNext()) {
                JsonNode d = (JsonNode) it.next();
                if (d != null && !d.isEmpty()) {
                    docs.add(d);
                }
            }
        }
        return docs;
    }

    static List<JsonNode> ofKind(List<JsonNode> docs, String kind) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText())).toList();
    }

    static ProcessRunner.Result exec(List<String> cmd, Map<String, String> env) throws Exception {
        List<String> full = new ArrayList<>();
        full.add("env");
        env.forEach((k, v) -> full.add(k + "=" + v));
        full.addAll(cmd);
        return ProcessRunner.of(full).deadline(Duration.ofMinutes(2)).run();
    }

    static boolean onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(d -> !d.isEmpty() && Files.isExecutable(Path.of(d, name)));
    }

    /** The rollback alerts: name → expression. */
    static Map<String, String> rollbackAlerts() throws IOException {
        try (var in = Files.newInputStream(RULES)) {
            return ReleaseSlo.rollbackExpressions(in);
        }
    }

    // ------------------------------------------------------------------ the Google Cloud CLI's parsers

    /** The CLI's bundled Python and its SDK root, found from the CLI on PATH (skips when there is none). */
    record Cloud(String python, String sdk) {
    }

    private static Cloud cloud;

    static Cloud cloud() throws Exception {
        Assumptions.assumeTrue(onPath("gcloud"), "the Google Cloud CLI (gcloud) is not installed: skipping the"
                                                 + " Cloud Deploy / Cloud Build parser checks");
        if (cloud == null) {
            String sdk = Commands.run(List.of("gcloud", "info", "--format=value(installation.sdk_root)"), Map.of())
                    .strip().lines().reduce((a, b) -> b).orElseThrow();
            String python = Commands.run(List.of("gcloud", "info", "--format=value(basic.python_location)"), Map.of())
                    .strip().lines().reduce((a, b) -> b).orElseThrow();
            cloud = new Cloud(python, sdk);
        }
        return cloud;
    }

    /** Runs cloudrun/tests/gcloud_parse.py; exit code and output. */
    ProcessRunner.Result gcloudParse(String what, Path file) throws Exception {
        Cloud c = cloud();
        Path config = Files.createTempDirectory(tmp, "gcloud-config");
        return exec(List.of(c.python(), "cloudrun/tests/gcloud_parse.py", what, file.toString()),
                    Map.of("PYTHONPATH", c.sdk() + "/lib:" + c.sdk() + "/lib/third_party",
                           "CLOUDSDK_CONFIG", config.toString(), "CLOUDSDK_CORE_PROJECT", "vbuf-offline-check"));
    }

    JsonNode parsed(String what, Path file) throws Exception {
        ProcessRunner.Result r = gcloudParse(what, file);
        assertThat(file + " must parse:\n" + r.stdoutText() + r.stderrTail(), r.exitCode(), is(0));
        return JSON.readTree(r.stdoutText());
    }

    /** The parser's complaint about a copy of {@code file} with {@code from} replaced by {@code to}. */
    String typoMessage(String what, Path file, String from, String to) throws Exception {
        String text = Files.readString(file);
        assertThat(file + " holds " + from, text, containsString(from));
        Path copy = tmp.resolve("typo-" + file.getFileName());
        Files.writeString(copy, text.replace(from, to));
        ProcessRunner.Result r = gcloudParse(what, copy);
        assertThat("a misspelled field must fail: " + to + "\n" + r.stdoutText(), r.exitCode(), is(1));
        return r.stdoutText();
    }

    @Test
    void cloudDeployFileParsesWithTheCloudCliAsACanaryWithAutomaticRollback() throws Exception {
        JsonNode p = parsed("deploy", CLOUD_DEPLOY);
        JsonNode stages = p.path("DeliveryPipeline").path(0).path("serialPipeline").path("stages");
        List<String> targets = new ArrayList<>();
        stages.forEach(st -> targets.add(st.path("targetId").asText()));
        assertThat("staging before production", targets, contains("vbuf-staging", "vbuf-prod"));
        JsonNode prod = stages.path(1);
        JsonNode canary = prod.path("strategy").path("canary");
        JsonNode run = canary.path("runtimeConfig").path("cloudRun");
        assertThat("the Cloud Run target uses automatic traffic control",
                   run.path("automaticTrafficControl").asBoolean(), is(true));
        assertThat(run.path("canaryRevisionTags").toString(), is("[\"canary\"]"));
        JsonNode deployment = canary.path("canaryDeployment");
        assertThat(deployment.path("percentages").toString(), is("[10,50]"));
        assertThat("the canary runs verify", deployment.path("verify").asBoolean(), is(true));
        List<String> targetNames = new ArrayList<>();
        for (JsonNode target : p.path("Target")) {
            assertThat(target.path("run").path("location").asText(), is("projects/PROJECT_ID/locations/REGION"));
            targetNames.add(target.path("name").asText().replaceAll(".*/targets/", ""));
        }
        assertThat(targetNames, is(targets));

        Map<String, JsonNode> rules = new LinkedHashMap<>();
        Map<String, List<String>> selected = new LinkedHashMap<>();
        for (JsonNode a : p.path("Automation")) {
            List<String> on = new ArrayList<>();
            a.path("selector").path("targets").forEach(t -> on.add(t.path("id").asText()));
            for (JsonNode rule : a.path("rules")) {
                rule.fields().forEachRemaining(e -> {
                    rules.put(e.getKey(), e.getValue());
                    selected.put(e.getKey(), on);
                });
            }
        }
        assertThat("advance on production's canary", selected.get("advanceRolloutRule"), contains("vbuf-prod"));
        assertThat("repair on both targets", selected.get("repairRolloutRule"), contains("vbuf-staging", "vbuf-prod"));
        assertThat("promote from staging", selected.get("promoteReleaseRule"), contains("vbuf-staging"));
        assertThat(rules.get("promoteReleaseRule").path("destinationTargetId").asText(), is("@next"));
        JsonNode advance = rules.get("advanceRolloutRule");
        assertThat(advance.path("sourcePhases").toString(), is("[\"canary-10\",\"canary-50\"]"));
        assertThat(advance.path("wait").asText(), is("300s"));
        JsonNode repair = rules.get("repairRolloutRule");
        assertThat(repair.path("jobs").toString(), is("[\"verify\",\"analysis\"]"));
        assertThat("the repair rule rolls back", repair.path("repairPhases").path(0).has("rollback"), is(true));
    }

    /** The canary analysis check's container: its script, then its arguments. */
    static List<String> canaryCheck(JsonNode parsedDeploy) {
        JsonNode analysis = parsedDeploy.path("DeliveryPipeline").path(0).path("serialPipeline").path("stages").path(1)
                .path("strategy").path("canary").path("canaryDeployment").path("analysis");
        assertThat("no check of every open alert of a policy: an incident on the stable revision, or one a rolled-back"
                   + " canary left open, would fail a healthy canary",
                   analysis.path("googleCloud").path("alertPolicyChecks").isMissingNode(), is(true));
        JsonNode check = analysis.path("customChecks").path(0);
        assertThat(check.path("id").asText(), is("vbuf-canary-rollback-alerts"));
        assertThat("checked every 5 minutes of the analysis", check.path("frequency").asText(), is("300s"));
        JsonNode container = check.path("task").path("containersTask").path("containers").path(0);
        assertThat("the Cloud SDK image Terraform pins", container.path("image").asText(), is("CLOUD_SDK_IMAGE"));
        assertThat(container.path("command").toString(), is("[\"bash\",\"-c\"]"));
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        return args;
    }

    @Test
    void theAnalysisChecksAreTheRollbackAlertPoliciesThatTerraformCreates() throws Exception {
        List<String> args = canaryCheck(parsed("deploy", CLOUD_DEPLOY));
        assertThat("project, region, the production service and the tag Cloud Deploy gives the canary",
                   args.subList(1, 6), contains("canary-analysis", "PROJECT_ID", "REGION", "vbuf",
                                                 DeployPhase.CANARY_TAG));
        Set<String> referenced = new TreeSet<>();
        for (String policy : args.subList(6, args.size())) {
            assertThat(policy, startsWith("projects/PROJECT_ID/alertPolicies/"));
            referenced.add(policy.substring(policy.lastIndexOf('/') + 1));
        }
        assertThat("the analysis watches exactly the rollback: \"true\" alerts", referenced,
                   is(new TreeSet<>(rollbackAlerts().keySet())));
        // Terraform makes one policy per alert, labels the rollback ones and outputs their ids for the placeholders
        JsonNode tf = terraform();
        assertThat(tf.path("alerts.tf").path("resource").path("google_monitoring_alert_policy").path("vbuf").path(0)
                           .path("user_labels").toString(), containsString("rollback"));
        JsonNode output = tf.path("outputs.tf").path("output").path("rollback_alert_policies").path(0);
        assertThat(output.path("value").asText(), containsString("google_monitoring_alert_policy.vbuf"));
        assertThat(output.path("value").asText(), containsString("rollback"));
        // and fills this file's placeholders itself (no hand-run sed/jq): the pipeline file, each policy by its alert
        String render = tf.path("deploy.tf").path("locals").path(0).path("clouddeploy_yaml").asText();
        assertThat(render, containsString("file(\"${path.module}/../cloudrun/clouddeploy.yaml\")"));
        assertThat(render, containsString("google_monitoring_alert_policy.vbuf[regex(local.alert_policy_line, line)[0]].name"));
        assertThat(render, containsString("\"PROJECT_ID\", var.project_id"));
        assertThat(render, containsString("\"REGION\", var.region"));
        assertThat(render, containsString("\"CLOUD_SDK_IMAGE\", var.builder_images.cloud_sdk"));
        JsonNode image = tf.path("variables.tf").path("variable").path("builder_images").path(0);
        assertThat("the check's image has no default: the operator gives its digest", image.has("default"), is(false));
        assertThat(image.path("validation").toString(), containsString("@sha256:[0-9a-f]{64}$"));
        assertThat(tf.path("outputs.tf").path("output").path("clouddeploy_yaml").path(0).path("value").asText(),
                   is("${local.clouddeploy_yaml}"));
        // the placeholders Terraform replaces are nowhere else in the file, e.g. inside the check's script
        String script = args.get(0);
        for (String placeholder : List.of("PROJECT_ID", "REGION", "CLOUD_SDK_IMAGE")) {
            assertThat(script, not(containsString(placeholder)));
        }
    }

    /** Runs the canary analysis check's script here, with stub gcloud and curl answering with these documents. */
    ProcessRunner.Result canaryAnalysis(String traffic, String alerts) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("check-bin"));
        Files.writeString(tmp.resolve("traffic.json"), traffic);
        Files.writeString(tmp.resolve("alerts.json"), alerts);
        Files.writeString(bin.resolve("gcloud"), """
                #!/usr/bin/env bash
                echo "gcloud $*" >> "%1$s/calls.log"
                case "$*" in
                  "run services describe vbuf --project p --region r --format json(status.traffic)") cat "%1$s/traffic.json" ;;
                  "auth print-access-token") echo token-1 ;;
                  *) echo "stub gcloud: unexpected call: $*" >&2; exit 9 ;;
                esac
                """.formatted(tmp));
        Files.writeString(bin.resolve("curl"), """
                #!/usr/bin/env bash
                echo "curl $*" >> "%1$s/calls.log"
                cat "%1$s/alerts.json"
                """.formatted(tmp));
        for (String stub : List.of("gcloud", "curl")) {
            Files.setPosixFilePermissions(bin.resolve(stub), PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        List<String> args = new ArrayList<>(canaryCheck(parsed("deploy", CLOUD_DEPLOY)));
        args.set(2, "p");
        args.set(3, "r");
        List<String> cmd = new ArrayList<>(List.of("bash", "-c"));
        cmd.addAll(args.stream().map(a -> a.replace("projects/PROJECT_ID/", "projects/p/")).toList());
        return exec(cmd, Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")));
    }

    static final String CANARY_TRAFFIC = """
            {"status": {"traffic": [{"percent": 90, "revisionName": "vbuf-00002-stable", "tag": "stable"},
                                    {"percent": 10, "revisionName": "vbuf-00004-new", "tag": "canary"}]}}
            """;

    static String alerts(String... policyRevision) {
        ArrayNode list = JSON.createArrayNode();
        for (int i = 0; i < policyRevision.length; i += 2) {
            ObjectNode a = list.addObject().put("name", "projects/p/alerts/a" + i).put("state", "OPEN");
            a.putObject("policy").put("name", "projects/p/alertPolicies/" + policyRevision[i])
                    .put("displayName", "vbuf/" + policyRevision[i]);
            a.putObject("metric").putObject("labels").put("revision_name", policyRevision[i + 1]);
        }
        return JSON.createObjectNode().set("alerts", list).toString();
    }

    @Test
    void theCanaryAnalysisFailsOnTheCanarysRollbackAlertsOnly() throws Exception {
        // open: the stable revision's error alert, one the canary rolled back before left open, a non-rollback alert
        // on the canary: none of them is the canary's rollback alert, so a healthy canary passes
        ProcessRunner.Result healthy = canaryAnalysis(CANARY_TRAFFIC, alerts(
                "VbufRollbackErrorRate", "vbuf-00002-stable", "VbufRollbackCpu", "vbuf-00003-rolled-back",
                "VbufHighSessionCount", "vbuf-00004-new"));
        assertThat(healthy.stdoutText() + healthy.stderrTail(), healthy.exitCode(), is(0));
        assertThat(healthy.stdoutText(), containsString("canary analysis: 0 rollback alerts open for vbuf-00004-new"));
        List<String> calls = Files.readAllLines(tmp.resolve("calls.log"));
        assertThat(calls.get(calls.size() - 1), allOf(containsString("filter=state=\"OPEN\""),
                                                      containsString("Authorization: Bearer token-1"),
                                                      containsString("https://monitoring.googleapis.com/v3/projects/p/alerts")));
        // the canary's own rollback alert fails the check, naming it
        ProcessRunner.Result bad = canaryAnalysis(CANARY_TRAFFIC, alerts(
                "VbufRollbackErrorRate", "vbuf-00002-stable", "VbufRollbackLatencyP95", "vbuf-00004-new"));
        assertThat(bad.exitCode(), is(1));
        assertThat(bad.stderrTail(), containsString("canary analysis: vbuf/VbufRollbackLatencyP95 is open for"
                                                    + " vbuf-00004-new"));
        // no canary tag (the check runs in canary phases only): it cannot tell the canary, so it fails
        ProcessRunner.Result untagged = canaryAnalysis(CANARY_TRAFFIC.replace("\"canary\"", "\"other\""), alerts());
        assertThat(untagged.exitCode(), is(1));
        assertThat(untagged.stderrTail(), containsString("canary analysis: no revision of vbuf carries the tag canary"));
        // and the script is shellcheck-clean
        Path script = tmp.resolve("canary-analysis.sh");
        Files.writeString(script, "#!/usr/bin/env bash\n" + canaryCheck(parsed("deploy", CLOUD_DEPLOY)).get(0));
        ProcessRunner.Result lint = exec(List.of("shellcheck", script.toString()), Map.of());
        assertThat(lint.stdoutText(), lint.exitCode(), is(0));
    }

    /** terraform/ parsed with @cdktf/hcl2json. */
    static JsonNode terraform() throws Exception {
        return JSON.readTree(Commands.run(List.of("node", "terraform/tests/hcl2json.js", "terraform"),
                                          Map.of("NODE_PATH", Commands.toolsDir() + "/node_modules")));
    }

    @Test
    void theServiceIsPublicBehindItsOwnTokens() throws Exception {
        JsonNode service = YAML.readTree(SERVICE.toFile());
        assertThat("players, verify, the uptime check and rollback.sh reach it without Google identities",
                   service.path("metadata").path("annotations").path("run.googleapis.com/invoker-iam-disabled")
                           .asText(), is("true"));
        assertThat(service.path("metadata").path("annotations").path("run.googleapis.com/ingress").asText(),
                   is("all"));
        // turning the invoker check off needs run.services.setIamPolicy: the account that deploys has it
        assertThat(terraform().path("iam.tf").path("locals").path(0).path("project_roles").path("deploy").toString(),
                   containsString("roles/run.admin"));
    }

    @Test
    void eachJobRunsAsItsOwnAccountWithOnlyWhatItNeeds() throws Exception {
        JsonNode iam = terraform().path("iam.tf");
        JsonNode locals = iam.path("locals").path(0);
        JsonNode roles = locals.path("project_roles");
        assertThat("the analysis reads alert policies and calls the Monitoring API", roles.path("deploy").toString(),
                   is(allOf(containsString("roles/monitoring.alertViewer"),
                            containsString("roles/serviceusage.serviceUsageConsumer"),
                            containsString("roles/clouddeploy.jobRunner"))));
        assertThat("no account reads every secret of the project", roles.toString(),
                   not(containsString("secretmanager")));
        JsonNode resources = iam.path("resource");
        JsonNode pull = resources.path("google_artifact_registry_repository_iam_member").path("pull").path(0);
        assertThat(pull.path("role").asText(), is("roles/artifactregistry.reader"));
        assertThat("the deploy and verify jobs pull the image", pull.path("for_each").asText(),
                   containsString("[\"deploy\", \"verify\"]"));
        JsonNode key = resources.path("google_secret_manager_secret_iam_member").path("secret_key").path(0);
        assertThat("the token key, on that one secret", key.path("secret_id").asText(),
                   is("${var.secret_key_secret}"));
        assertThat(key.path("for_each").asText(), containsString("[\"run\", \"verify\"]"));
        // the accounts the release files name are the ones Terraform makes, and verify is not the deployer
        Map<String, String> accounts = new LinkedHashMap<>();
        locals.path("accounts").fields().forEachRemaining(e -> accounts.put(e.getKey(), e.getValue().asText()));
        JsonNode p = parsed("deploy", CLOUD_DEPLOY);
        for (JsonNode target : p.path("Target")) {
            Map<String, String> byUsage = new LinkedHashMap<>();
            for (JsonNode config : target.path("executionConfigs")) {
                config.path("usages").forEach(u -> byUsage.put(u.asText(), config.path("serviceAccount").asText()));
            }
            assertThat(target.path("name").asText(), byUsage, is(Map.of(
                    "RENDER", accounts.get("deploy") + "@PROJECT_ID.iam.gserviceaccount.com",
                    "DEPLOY", accounts.get("deploy") + "@PROJECT_ID.iam.gserviceaccount.com",
                    "ANALYSIS", accounts.get("deploy") + "@PROJECT_ID.iam.gserviceaccount.com",
                    "VERIFY", accounts.get("verify") + "@PROJECT_ID.iam.gserviceaccount.com")));
        }
        for (JsonNode a : p.path("Automation")) {
            assertThat(a.path("serviceAccount").asText(), is(accounts.get("deploy") + "@PROJECT_ID.iam.gserviceaccount.com"));
        }
        assertThat(YAML.readTree(SERVICE.toFile()).path("spec").path("template").path("spec")
                           .path("serviceAccountName").asText(),
                   is(accounts.get("run") + "@PROJECT_ID.iam.gserviceaccount.com"));
    }

    @Test
    void stagingVerifiesAtTheDesignPointBeforeProduction() throws Exception {
        JsonNode skaffold = YAML.readTree(SKAFFOLD.toFile());
        JsonNode profile = skaffold.path("profiles").path(0);
        assertThat(profile.path("name").asText(), is("staging"));
        JsonNode stage = parsed("deploy", CLOUD_DEPLOY).path("DeliveryPipeline").path(0).path("serialPipeline")
                .path("stages").path(0);
        assertThat(stage.path("profiles").toString(), is("[\"staging\"]"));
        assertThat(stage.path("strategy").path("standard").path("verify").asBoolean(), is(true));
        List<String> args = new ArrayList<>();
        profile.path("verify").path(0).path("container").path("args").forEach(a -> args.add(a.asText()));
        new CommandLine(new VerifyCommand()).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        int concurrency = YAML.readTree(SERVICE.toFile()).path("spec").path("template").path("spec")
                .path("containerConcurrency").asInt();
        assertThat("one full instance of players", args.get(args.indexOf("--sessions") + 1),
                   is(String.valueOf(concurrency)));
        assertThat("one 6-s segment every 6 s, as players send", args.get(args.indexOf("--segment-seconds") + 1),
                   is("6"));
        assertThat(Integer.parseInt(args.get(args.indexOf("--seconds") + 1)) >= 300, is(true));
        assertThat("the job's timeout leaves room for the run",
                   profile.path("verify").path(0).path("timeout").asInt() > 300 + 120, is(true));
        // the deploy parameters the targets set are placeholders service.yaml has
        String service = Files.readString(SERVICE);
        for (JsonNode target : parsed("deploy", CLOUD_DEPLOY).path("Target")) {
            target.path("deployParameters").fieldNames().forEachRemaining(
                    k -> assertThat(service, containsString("# from-param: ${" + k + "}")));
        }
    }

    @Test
    void aMisspelledCloudDeployFieldFails() throws Exception {
        assertThat(typoMessage("deploy", CLOUD_DEPLOY, "percentages:", "percentagez:"),
                   containsString("May not assign arbitrary value percentagez to message CanaryDeployment"));
        // the CLI copies Automation rules field by field and would drop this one silently; the helper refuses it
        assertThat(typoMessage("deploy", CLOUD_DEPLOY, "    wait: 5m", "    waitt: 5m"),
                   containsString("Automation vbuf/advance.rules[0].advanceRolloutRule.waitt"));
    }

    @Test
    void cloudBuildFileParsesAndIsTheAnalysisPipeline() throws Exception {
        JsonNode build = parsed("build", CLOUD_BUILD);
        List<String> ids = new ArrayList<>();
        build.path("steps").forEach(s -> ids.add(s.path("id").asText()));
        assertThat(ids, contains("check-substitutions", "ffmpeg-version", "test", "image", "push", "sbom",
                                 "image-ffmpeg-version", "load-test", "release"));
        String text = Files.readString(CLOUD_BUILD);
        String steps = build.path("steps").toString();
        assertThat("Jib builds the image", steps, containsString("jib:buildTar"));
        assertThat("on the digest-pinned base", steps, containsString("-Dvbuf.image.base=${_BASE_IMAGE}"));
        assertThat(build.path("substitutions").path("_BASE_IMAGE").asText(), containsString("@${_BASE_DIGEST}"));
        assertThat("no made-up digest anywhere", text, not(containsString("sha256:0000")));
        assertThat("the image tag never depends on $SHORT_SHA (empty under gcloud builds submit)", steps,
                   not(containsString("SHORT_SHA")));
        assertThat(steps, containsString("/vbuf:build-$BUILD_ID"));
        for (JsonNode step : build.path("steps")) {
            String name = step.path("name").asText();
            if (!step.path("id").asText().equals("check-substitutions")) {
                assertThat("every builder image is an operator-pinned substitution",
                           name, isOneOf("${_MAVEN_IMAGE}", "${_DOCKER_IMAGE}", "${_CLOUD_SDK_IMAGE}"));
            }
        }
        assertThat("no Kaniko, no Dockerfile", steps.toLowerCase(), not(containsString("kaniko")));
        assertThat(steps, not(containsString("Dockerfile")));
        assertThat(text, containsString("substitutions:"));
        assertThat("FFmpeg checked inside the pushed image, by digest", step(build, "image-ffmpeg-version"),
                   containsString("vbuf@$$(cat /workspace/image.digest)"));
        assertThat("the load test is vbuf's verify mode", step(build, "load-test"), containsString(" verify --url "));
        assertThat("the release carries the digest", step(build, "release"),
                   containsString("--images \\\"$$repo=$$repo@$$(cat /workspace/image.digest)\\\""));
        // substitutions, not literals: the project is $PROJECT_ID, region and versions are _SUBSTITUTIONS
        String pinned = build.path("substitutions").path("_FFMPEG_VERSION").asText();
        assertThat("the image check follows the segment FFmpeg's pin (pom.xml ffmpeg.version)", pinned,
                   is(pomProperty("ffmpeg.version")));
        for (String literal : List.of("my-project", "europe-west1-docker", pinned + " ")) {
            assertThat("no literal " + literal + " in the steps", steps, not(containsString(literal)));
        }
        assertThat(steps, containsString("${_REGION}-docker.pkg.dev/$PROJECT_ID/"));
        assertThat(steps, containsString("${_FFMPEG_VERSION}"));
    }

    /** A property of the server's pom.xml (its {@code <properties>}), where the pins are written. */
    static String pomProperty(String name) throws Exception {
        org.w3c.dom.Document pom = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("pom.xml").toFile());
        org.w3c.dom.NodeList found = pom.getElementsByTagName(name);
        assertThat("pom.xml has the property " + name, found.getLength(), is(1));
        return found.item(0).getTextContent().strip();
    }

    /** The parsed build step with this id, as JSON text. */
    static String step(JsonNode build, String id) {
        for (JsonNode step : build.path("steps")) {
            if (step.path("id").asText().equals(id)) {
                return step.toString();
            }
        }
        throw new AssertionError("no build step " + id);
    }

    @Test
    void theBuildPushesTheImageWithProvenanceAndItsSbom() throws Exception {
        JsonNode build = parsed("build", CLOUD_BUILD);
        assertThat("SLSA build provenance", build.path("options").path("requestedVerifyOption").asText(),
                   is("VERIFIED"));
        // provenance covers the images in `images`: the one the steps pushed, under the tag the steps use
        String image = "${_REGION}-docker.pkg.dev/$PROJECT_ID/${_REPOSITORY}/vbuf:build-$BUILD_ID";
        assertThat(build.path("images").toString(), is(JSON.createArrayNode().add(image).toString()));
        assertThat(step(build, "push"), containsString("docker push \\\"$$image\\\""));
        assertThat(step(build, "push"), containsString("image=\\\"" + image + "\\\""));
        // the SBOM the Maven build makes (pom.xml's cyclonedx execution; ReleaseContentsIT checks the file) goes with
        // the pushed image, by digest, and the release waits for it
        String sbom = step(build, "sbom");
        assertThat(sbom, containsString("gcloud artifacts sbom load --source /workspace/vbuf.cdx.json"));
        assertThat(sbom, containsString("vbuf@$$(cat /workspace/image.digest)"));
        assertThat(step(build, "image"), containsString("cp target/vbuf.cdx.json /workspace/vbuf.cdx.json"));
        assertThat(step(build, "release"), containsString("\"waitFor\":[\"load-test\",\"sbom\"]"));
        var pom = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Path.of("pom.xml").toFile());
        String cyclonedx = "//*[local-name()='plugin'][*[local-name()='artifactId']='cyclonedx-maven-plugin']";
        var xpath = javax.xml.xpath.XPathFactory.newInstance().newXPath();
        assertThat(xpath.evaluate(cyclonedx + "//*[local-name()='phase']", pom), is("package"));
        assertThat(xpath.evaluate(cyclonedx + "//*[local-name()='outputName']", pom) + "."
                   + xpath.evaluate(cyclonedx + "//*[local-name()='outputFormat']", pom), is("vbuf.cdx.json"));
    }

    static final Path BASE_IMAGE_BUILD = Path.of("cloudrun/base-image.cloudbuild.yaml");

    @Test
    void theBaseImageIsRebuiltOnASchedule() throws Exception {
        JsonNode tf = terraform().path("supply-chain.tf").path("resource");
        JsonNode trigger = tf.path("google_cloudbuild_trigger").path("base_image").path(0);
        assertThat("the trigger builds the base image's own build file",
                   trigger.path("git_file_source").path(0).path("path").asText(), is(BASE_IMAGE_BUILD.toString()));
        assertThat(trigger.path("service_account").asText(), is("${google_service_account.vbuf[\"build\"].id}"));
        assertThat("no push event starts it: the schedule does", trigger.has("github"), is(false));
        assertThat(trigger.path("substitutions").path("_MAVEN_IMAGE").asText(), is("${var.builder_images.maven}"));
        JsonNode job = tf.path("google_cloud_scheduler_job").path("base_image").path(0);
        JsonNode http = job.path("http_target").path(0);
        assertThat("the job runs that trigger", http.path("uri").asText(),
                   allOf(startsWith("https://cloudbuild.googleapis.com/v1/projects/"),
                         containsString("/triggers/${google_cloudbuild_trigger.base_image.trigger_id}:run")));
        assertThat(http.path("http_method").asText(), is("POST"));
        assertThat(http.path("oauth_token").path(0).path("service_account_email").asText(),
                   is("${google_service_account.base_image_scheduler.email}"));
        assertThat(job.path("schedule").asText(), is("${var.base_image_schedule}"));
        String schedule = terraform().path("variables.tf").path("variable").path("base_image_schedule").path(0)
                .path("default").asText();
        String[] cron = schedule.split(" ");
        assertThat("a cron schedule: minute hour day month weekday", cron.length, is(5));
        assertThat("at least weekly: a fixed day of the week, every week of every month", cron[2] + " " + cron[3],
                   is("* *"));
        // the build it runs: parses with the CLI's parser, refuses an unpinned Maven image, pushes the moving tag
        JsonNode build = parsed("build", BASE_IMAGE_BUILD);
        assertThat(build.path("substitutions").path("_MAVEN_IMAGE").asText(), is("unset"));
        String script = build.path("steps").path(0).path("args").path(1).asText();
        ProcessRunner.Result unset = exec(List.of("bash", "-c", script.replace("${_MAVEN_IMAGE}", "unset")), Map.of());
        assertThat(unset.exitCode(), is(1));
        assertThat(unset.stderrTail(), containsString("substitution _MAVEN_IMAGE is 'unset'"));
        String pinned = script.replace("${_MAVEN_IMAGE}", "maven@sha256:" + "3f".repeat(32));
        assertThat(exec(List.of("bash", "-c", pinned), Map.of()).exitCode(), is(0));
        String rebuild = step(build, "base-image");
        assertThat(rebuild, containsString("bash src/main/container/base-image.sh --push"));
        assertThat(rebuild, containsString("podman push \\\"$$IMAGE:bookworm\\\""));
    }

    @Test
    void theCostInTheDocsIsThePlannersForTheServiceAsDeployed() throws Exception {
        // the planner's instances and sidecar are cloudrun/service.yaml's
        JsonNode planner = YAML.readTree(Path.of("perf/planner.yaml").toFile());
        JsonNode template = YAML.readTree(SERVICE.toFile()).path("spec").path("template");
        JsonNode annotations = template.path("metadata").path("annotations");
        assertThat(planner.path("instance").path("minInstances").asText(),
                   is(annotations.path("autoscaling.knative.dev/minScale").asText()));
        assertThat(planner.path("instance").path("maxInstances").asText(),
                   is(annotations.path("autoscaling.knative.dev/maxScale").asText()));
        JsonNode collector = null;
        for (JsonNode c : template.path("spec").path("containers")) {
            if (c.path("name").asText().equals("collector")) {
                collector = c.path("resources").path("limits");
            }
        }
        assertThat("the sidecar's limits", collector, is(org.hamcrest.Matchers.notNullValue()));
        assertThat(collector.path("cpu").asText(), is(Math.round(planner.path("sidecar").path("vcpu").asDouble() * 1000)
                                                      + "m"));
        assertThat(collector.path("memory").asText(),
                   is(Math.round(planner.path("sidecar").path("memoryGib").asDouble() * 1024) + "Mi"));
        // and docs/releasing.md quotes the planner's report (perf/plan.sh), not figures worked out by hand
        String report = Files.readString(Path.of("perf/results/capacity-report.md"));
        String docs = Files.readString(Path.of("docs/releasing.md"));
        for (String line : List.of("Idle", "Ceiling")) {
            var m = java.util.regex.Pattern.compile("- " + line + ": [^\n]*\\*\\*(\\$[0-9,]+) a month\\*\\*")
                    .matcher(report);
            assertThat(line + " in the planner's report (rerun perf/plan.sh)", m.find(), is(true));
            assertThat(docs, containsString("**" + m.group(1) + " a month"));
        }
    }

    /** Runs the build's first step here with bash, as Cloud Build would after substituting {@code values}. */
    ProcessRunner.Result checkSubstitutions(Map<String, String> values) throws Exception {
        JsonNode build = parsed("build", CLOUD_BUILD);
        JsonNode step = build.path("steps").path(0);
        assertThat(step.path("id").asText(), is("check-substitutions"));
        String script = step.path("args").path(1).asText();
        Map<String, String> all = new LinkedHashMap<>();
        build.path("substitutions").fields().forEachRemaining(e -> all.put(e.getKey(), e.getValue().asText()));
        all.putAll(values);
        for (Map.Entry<String, String> e : all.entrySet()) {
            script = script.replace("${" + e.getKey() + "}", e.getValue());
        }
        return exec(List.of("bash", "-c", script.replace("$$", "$")), Map.of());
    }

    @Test
    void theFirstStepRefusesBuilderImagesNotPinnedByTheOperator() throws Exception {
        String digest = "sha256:" + "3f".repeat(32);
        Map<String, String> pinned = Map.of("_MAVEN_IMAGE", "maven@" + digest,
                                            "_DOCKER_IMAGE", "gcr.io/cloud-builders/docker@" + digest,
                                            "_CLOUD_SDK_IMAGE", "gcr.io/google.com/cloudsdktool/cloud-sdk@" + digest,
                                            "_BASE_DIGEST", digest);
        ProcessRunner.Result ok = checkSubstitutions(pinned);
        assertThat(ok.stderrTail(), ok.exitCode(), is(0));
        ProcessRunner.Result none = checkSubstitutions(Map.of());
        assertThat(none.exitCode(), is(1));
        assertThat(none.stderrTail(), containsString("cloudbuild: substitution _MAVEN_IMAGE is 'unset': set it to a"
                                                     + " Maven + Temurin 21 image by digest"));
        assertThat(none.stderrTail(), containsString("substitution _BASE_DIGEST is 'unset'"));
        Map<String, String> tagged = new LinkedHashMap<>(pinned);
        tagged.put("_MAVEN_IMAGE", "maven:3-eclipse-temurin-21");
        tagged.put("_BASE_DIGEST", "sha256:" + "0".repeat(64));
        ProcessRunner.Result byTag = checkSubstitutions(tagged);
        assertThat(byTag.exitCode(), is(1));
        assertThat(byTag.stderrTail(), containsString("_MAVEN_IMAGE is 'maven:3-eclipse-temurin-21'"));
        assertThat("a made-up all-zero digest is refused too", byTag.stderrTail(),
                   containsString("_BASE_DIGEST is 'sha256:000"));
    }

    @Test
    void aMisspelledCloudBuildFieldFails() throws Exception {
        assertThat(typoMessage("build", CLOUD_BUILD, "  waitFor: [test]", "  waitforTypo: [test]"),
                   containsString(".steps[3].waitforTypo: unused"));
    }

    // ------------------------------------------------------------------ skaffold

    static Schema skaffoldSchema() throws IOException {
        Path schema = SCHEMAS.resolve("skaffold-v4beta13.json");
        Assumptions.assumeTrue(Files.isRegularFile(schema), schema.toAbsolutePath().normalize()
                                                            + " is absent: skipping the skaffold schema check");
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
                .getSchema(Files.newInputStream(schema), InputFormat.JSON);
    }

    @Test
    void skaffoldConfigMatchesItsPublishedSchemaAndVerifiesWithVbufsImage() throws Exception {
        JsonNode skaffold = YAML.readTree(SKAFFOLD.toFile());
        assertThat(skaffoldSchema().validate(skaffold).toString(), skaffoldSchema().validate(skaffold), empty());
        assertThat("a Skaffold config version Cloud Deploy supports", skaffold.path("apiVersion").asText(),
                   is("skaffold/v4beta13"));
        assertThat(skaffold.path("manifests").path("rawYaml").toString(), is("[\"service.yaml\"]"));
        assertThat("skaffold's service.yaml exists beside it",
                   Files.isRegularFile(SKAFFOLD.resolveSibling("service.yaml")), is(true));
        assertThat("skaffold deploys to Cloud Run", skaffold.path("deploy").has("cloudrun"), is(true));
        JsonNode container = skaffold.path("verify").path(0).path("container");
        String serviceImage = YAML.readTree(SERVICE.toFile()).path("spec").path("template").path("spec")
                .path("containers").path(0).path("image").asText();
        assertThat("verify runs the image being released", container.path("image").asText(),
                   is(serviceImage.replaceAll(":[^:/]+$", "")));
        List<String> args = new ArrayList<>();
        container.path("args").forEach(a -> args.add(a.asText()));
        assertThat(args.get(0), is("verify"));
        // every option exists: picocli refuses an unknown or misspelled one
        new CommandLine(new VerifyCommand()).parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        assertThat("the phase picks the URL (DeployPhase), not a fixed tag", args, not(hasItem("--tag")));
        JsonNode cloudRun = YAML.readTree(CLOUD_DEPLOY.toFile()).path("serialPipeline").path("stages").path(1)
                .path("strategy").path("canary").path("runtimeConfig").path("cloudRun");
        assertThat("verify addresses the tag Cloud Deploy gives the canary",
                   cloudRun.path("canaryRevisionTags").toString(), is("[\"" + DeployPhase.CANARY_TAG + "\"]"));
    }

    @Test
    void aMisspelledSkaffoldFieldFails() throws Exception {
        ObjectNode skaffold = (ObjectNode) YAML.readTree(SKAFFOLD.toFile());
        ObjectNode manifests = (ObjectNode) skaffold.path("manifests");
        manifests.set("rawYml", manifests.remove("rawYaml"));
        var errors = skaffoldSchema().validate(skaffold);
        assertThat(errors.toString(), containsString("rawYml"));
        assertThat(errors.toString(), errors.isEmpty(), is(false));
    }

    @Test
    void theCloudRunServiceLeavesTrafficToCloudDeploy() throws Exception {
        JsonNode service = YAML.readTree(SERVICE.toFile());
        assertThat("no traffic block: Cloud Deploy manages traffic", service.path("spec").has("traffic"), is(false));
    }

    // ------------------------------------------------------------------ Flagger

    static JsonNode crdSchema(String kind) throws IOException {
        Path crds = SCHEMAS.resolve("flagger-1.44.0-crd.yaml");
        Assumptions.assumeTrue(Files.isRegularFile(crds), crds.toAbsolutePath().normalize()
                                                          + " is absent: skipping the Flagger schema check");
        for (JsonNode crd : documents(Files.readString(crds))) {
            if (kind.equals(crd.path("spec").path("names").path("kind").asText())) {
                for (JsonNode v : crd.path("spec").path("versions")) {
                    if (v.path("name").asText().equals("v1beta1")) {
                        return v.path("schema").path("openAPIV3Schema");
                    }
                }
            }
        }
        throw new AssertionError("no CRD for " + kind + " in " + crds);
    }

    /** Schema errors plus every field the schema does not define (the API server would drop those silently). */
    static List<String> flaggerErrors(JsonNode doc) throws IOException {
        JsonNode schema = crdSchema(doc.path("kind").asText());
        List<String> errors = new ArrayList<>();
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_4)
                .getSchema(new ByteArrayInputStream(JSON.writeValueAsBytes(schema)), InputFormat.JSON)
                .validate(doc).forEach(e -> errors.add(e.toString()));
        unknownFields(doc, schema, "", errors);
        return errors;
    }

    static void unknownFields(JsonNode doc, JsonNode schema, String path, List<String> errors) {
        if (doc.isObject() && schema.has("properties")) {
            for (Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
                String f = it.next();
                if (path.equals("") && (f.equals("apiVersion") || f.equals("kind") || f.equals("metadata"))) {
                    continue;
                }
                JsonNode sub = schema.path("properties").path(f);
                if (sub.isMissingNode()) {
                    errors.add("unknown field " + path + "." + f);
                } else {
                    unknownFields(doc.get(f), sub, path + "." + f, errors);
                }
            }
        } else if (doc.isArray() && schema.has("items")) {
            for (int i = 0; i < doc.size(); i++) {
                unknownFields(doc.get(i), schema.get("items"), path + "[" + i + "]", errors);
            }
        }
    }

    static List<JsonNode> gke() throws Exception {
        return documents(Commands.run(List.of("kubectl", "kustomize", "k8s/overlays/gke"), Map.of()));
    }

    @Test
    void flaggerResourcesMatchTheCrdSchemas() throws Exception {
        List<JsonNode> docs = gke();
        List<JsonNode> flagger = new ArrayList<>(ofKind(docs, "Canary"));
        flagger.addAll(ofKind(docs, "MetricTemplate"));
        assertThat(flagger.size(), is(4));
        for (JsonNode d : flagger) {
            assertThat(d.path("kind").asText() + " " + d.path("metadata").path("name").asText(), flaggerErrors(d),
                       empty());
        }
        JsonNode canary = ofKind(docs, "Canary").get(0);
        assertThat(canary.path("spec").path("provider").asText(), is("knative"));
        assertThat(canary.path("spec").path("targetRef").path("apiVersion").asText(), is("serving.knative.dev/v1"));
        assertThat(canary.path("spec").path("targetRef").path("name").asText(), is("vbuf"));
        assertThat(canary.path("spec").path("analysis").path("stepWeights").toString(), is("[10,50]"));
        assertThat("the overlay's Knative Service is the Canary's target", ofKind(docs, "Service").stream()
                .filter(s -> s.path("apiVersion").asText().startsWith("serving.knative.dev/"))
                .map(s -> s.path("metadata").path("name").asText()).toList(), hasItem("vbuf"));
        Set<String> webhooks = new HashSet<>();
        canary.path("spec").path("analysis").path("webhooks").forEach(w -> webhooks.add(w.path("type").asText()));
        assertThat(webhooks, is(Set.of("pre-rollout", "rollout")));
        JsonNode verify = ofKind(docs, "Deployment").get(0);
        assertThat("the webhooks run vbuf's own image in verify mode",
                   verify.path("spec").path("template").path("spec").path("containers").path(0).path("image"),
                   is(ofKind(docs, "Service").stream().filter(s -> s.path("apiVersion").asText()
                           .startsWith("serving.knative.dev/")).findFirst().orElseThrow().path("spec")
                           .path("template").path("spec").path("containers").path(0).path("image")));
        assertThat(verify.path("spec").path("template").path("spec").path("containers").path(0).path("args")
                           .toString(), is("[\"verify\",\"--serve\",\"8080\"]"));
    }

    @Test
    void aMisspelledFlaggerFieldFails() throws Exception {
        ObjectNode canary = (ObjectNode) ofKind(gke(), "Canary").get(0).deepCopy();
        ObjectNode analysis = (ObjectNode) canary.path("spec").path("analysis");
        analysis.set("stepWeightz", analysis.remove("stepWeights"));
        ((ObjectNode) analysis.path("metrics").path(0).path("thresholdRange")).put("maxx", 1);
        assertThat(flaggerErrors(canary), hasItem("unknown field .spec.analysis.stepWeightz"));
        assertThat(flaggerErrors(canary), hasItem("unknown field .spec.analysis.metrics[0].thresholdRange.maxx"));
        ObjectNode template = (ObjectNode) ofKind(gke(), "MetricTemplate").get(0).deepCopy();
        ((ObjectNode) template.path("spec").path("provider")).put("type", 7);
        assertThat(flaggerErrors(template).toString(), flaggerErrors(template).isEmpty(), is(false));
    }

    @Test
    void overlaysWithoutFlaggerStayWithoutIt() throws Exception {
        List<JsonNode> dev = documents(Commands.run(List.of("kubectl", "kustomize", "k8s/overlays/dev"), Map.of()));
        assertThat(ofKind(dev, "Canary"), empty());
        assertThat(ofKind(dev, "MetricTemplate"), empty());
        assertThat(ofKind(dev, "Deployment"), empty());
    }

    /** MetricTemplate name → the Canary's max for it, and the metric's interval. */
    record Gate(String template, double max, String interval, String query) {
    }

    static List<Gate> gates() throws Exception {
        List<JsonNode> docs = gke();
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode t : ofKind(docs, "MetricTemplate")) {
            queries.put(t.path("metadata").path("name").asText(), t.path("spec").path("query").asText());
            assertThat("MetricTemplate address is the frontend proxy parameter",
                       t.path("spec").path("provider").path("address").asText(),
                       is(ofKind(docs, "ConfigMap").stream().filter(c -> c.path("metadata").path("name").asText()
                               .equals("vbuf-release-params")).findFirst().orElseThrow().path("data")
                               .path("prometheusAddress").asText()));
        }
        List<Gate> gates = new ArrayList<>();
        for (JsonNode m : ofKind(docs, "Canary").get(0).path("spec").path("analysis").path("metrics")) {
            String t = m.path("templateRef").path("name").asText();
            gates.add(new Gate(t, m.path("thresholdRange").path("max").asDouble(), m.path("interval").asText(),
                               queries.get(t)));
        }
        return gates;
    }

    @Test
    void canaryThresholdsAreTheRollbackAlertsThresholds() throws Exception {
        Map<String, String> alerts = rollbackAlerts();
        Map<String, String> alertOf = Map.of("vbuf-error-ratio", ReleaseSlo.ERROR_RATIO_ALERT,
                                             "vbuf-latency-p95", ReleaseSlo.LATENCY_P95_ALERT,
                                             "vbuf-cpu", "VbufRollbackCpu");
        List<Gate> gates = gates();
        assertThat(gates.stream().map(Gate::template).toList(),
                   contains("vbuf-error-ratio", "vbuf-latency-p95", "vbuf-cpu"));
        for (Gate g : gates) {
            assertThat(g.template() + " max = " + alertOf.get(g.template()) + "'s threshold", g.max(),
                       is(ReleaseSlo.threshold(alerts.get(alertOf.get(g.template())))));
        }
        ReleaseSlo slo = ReleaseSlo.bundled();
        assertThat(slo.maxErrorRatio(), is(gates.get(0).max()));
        assertThat(slo.maxP95Seconds(), is(gates.get(1).max()));
    }

    @Test
    void everyAnalysisQueryIsPerRevision() throws Exception {
        for (Gate g : gates()) {
            assertThat(g.template(), g.query(), containsString("revision_name"));
        }
        for (Map.Entry<String, String> a : rollbackAlerts().entrySet()) {
            assertThat(a.getKey(), a.getValue(), containsString("revision_name"));
        }
        // the label exists: Managed Prometheus attaches it on both platforms
        JsonNode pod = ofKind(gke(), "PodMonitoring").get(0);
        assertThat(pod.path("spec").path("targetLabels").path("fromPod").toString(),
                   containsString("{\"from\":\"serving.knative.dev/revision\",\"to\":\"revision_name\"}"));
        JsonNode run = YAML.readTree(Path.of("cloudrun/rungmp-config.yaml").toFile());
        assertThat(run.path("spec").path("targetLabels").path("metadata").toString(), containsString("\"revision\""));
    }

    // ------------------------------------------------------------------ the queries on synthetic series

    /** Input series of a canary scenario: stable vbuf-00001 healthy, canary vbuf-00002 as given. */
    static ArrayNode series(int canaryErrorsPerMin, int canaryUnder3s, double canaryCpu) {
        ArrayNode s = JSON.createArrayNode();
        String at = ",namespace=\"vbuf\",service_name=\"vbuf\"";
        // stable: 900 ok and 9 internal per minute, p95 under 0.5 s, CPU 60 %
        s.addObject().put("series", "vbuf_segments_total{outcome=\"ok\",revision_name=\"vbuf-00001\"" + at + "}")
                .put("values", "0+900x30");
        s.addObject().put("series", "vbuf_segments_total{outcome=\"internal\",revision_name=\"vbuf-00001\"" + at + "}")
                .put("values", "0+9x30");
        for (String le : List.of("0.5", "3", "4", "+Inf")) {
            s.addObject().put("series", "vbuf_segment_latency_seconds_bucket{le=\"" + le
                                        + "\",revision_name=\"vbuf-00001\"" + at + "}").put("values", "0+909x30");
        }
        // canary: 100 segments per minute
        s.addObject().put("series", "vbuf_segments_total{outcome=\"ok\",revision_name=\"vbuf-00002\"" + at + "}")
                .put("values", "0+" + (100 - canaryErrorsPerMin) + "x30");
        s.addObject().put("series", "vbuf_segments_total{outcome=\"internal\",revision_name=\"vbuf-00002\"" + at + "}")
                .put("values", "0+" + canaryErrorsPerMin + "x30");
        Map<String, Integer> buckets = Map.of("0.5", Math.min(canaryUnder3s, 90), "3", canaryUnder3s, "4", 100,
                                              "+Inf", 100);
        buckets.forEach((le, n) -> s.addObject().put("series", "vbuf_segment_latency_seconds_bucket{le=\"" + le
                                                               + "\",revision_name=\"vbuf-00002\"" + at + "}")
                .put("values", "0+" + n + "x30"));
        String cpu = "kubernetes_io:container_cpu_limit_utilization{namespace_name=\"vbuf\",container_name=\"vbuf\","
                     + "pod_name=\"";
        s.addObject().put("series", cpu + "vbuf-00001-deployment-6b7f9-abcde\"}").put("values", "0.6x30");
        s.addObject().put("series", cpu + "vbuf-00002-deployment-8c2d4-fghij\"}").put("values", canaryCpu + "x30");
        return s;
    }

    static String rendered(Gate g) {
        return g.query().replace("{{ namespace }}", "vbuf").replace("{{ target }}", "vbuf")
                .replace("{{ interval }}", g.interval());
    }

    @Test
    void promtoolPassesAHealthyCanaryAndFailsOneAt12PercentErrorsOr3point5sP95OrHotCpu() throws Exception {
        List<Gate> gates = gates();
        Map<String, String> alertOf = Map.of("vbuf-error-ratio", "VbufRollbackErrorRate",
                                             "vbuf-latency-p95", "VbufRollbackLatencyP95",
                                             "vbuf-cpu", "VbufRollbackCpu");
        record Scenario(String name, ArrayNode series, String failing) {
        }
        List<Scenario> scenarios = List.of(
                new Scenario("healthy canary: 1 % errors, p95 < 3 s, CPU 60 %", series(1, 100, 0.6), null),
                new Scenario("canary at 12 % errors", series(12, 100, 0.6), "vbuf-error-ratio"),
                new Scenario("canary at p95 3.5 s", series(1, 90, 0.6), "vbuf-latency-p95"),
                new Scenario("canary at 97 % CPU for 15 min", series(1, 100, 0.97), "vbuf-cpu"));
        ObjectNode file = JSON.createObjectNode();
        file.putArray("rule_files").add(RULES.toAbsolutePath().toString());
        file.put("evaluation_interval", "1m");
        ArrayNode tests = file.putArray("tests");
        for (Scenario sc : scenarios) {
            ObjectNode t = tests.addObject().put("name", sc.name()).put("interval", "1m");
            t.set("input_series", sc.series());
            ArrayNode checks = t.putArray("promql_expr_test");
            for (Gate g : gates) {
                boolean fails = g.template().equals(sc.failing());
                // Flagger fails a check when the query's value is above thresholdRange.max
                ObjectNode c = checks.addObject().put("expr", "count((" + rendered(g) + ") > " + g.max() + ")")
                        .put("eval_time", "15m");
                ArrayNode exp = c.putArray("exp_samples");
                if (fails) {
                    exp.addObject().put("labels", "{}").put("value", 1);
                }
                // the rollback alert for the same figure fires on the same series, for the canary alone
                ObjectNode a = checks.addObject()
                        .put("expr", "ALERTS{alertname=\"" + alertOf.get(g.template()) + "\",alertstate=\"firing\"}")
                        .put("eval_time", "15m");
                ArrayNode expA = a.putArray("exp_samples");
                if (fails) {
                    expA.addObject().put("labels", "ALERTS{alertname=\"" + alertOf.get(g.template())
                                                   + "\",alertstate=\"firing\",revision_name=\"vbuf-00002\","
                                                   + "severity=\"page\",rollback=\"true\"}").put("value", 1);
                }
            }
        }
        Path test = tmp.resolve("canary-analysis.test.yaml");
        YAML.writeValue(test.toFile(), file);
        ProcessRunner.Result r = exec(List.of("promtool", "test", "rules", test.toString()), Map.of());
        assertThat("promtool on the canary scenarios:\n" + r.stdoutText() + r.stderrTail(), r.exitCode(), is(0));
        // and the test is not vacuous: a canary judged healthy at 12 % errors makes promtool fail
        ((ArrayNode) tests.get(1).path("promql_expr_test").get(0).path("exp_samples")).removeAll();
        YAML.writeValue(test.toFile(), file);
        ProcessRunner.Result wrong = exec(List.of("promtool", "test", "rules", test.toString()), Map.of());
        assertThat(wrong.exitCode(), not(is(0)));
    }

    // ------------------------------------------------------------------ rollback.sh

    /** A stub gcloud that logs its arguments and answers the read-only calls rollback.sh makes. */
    Path stubGcloud(boolean cloudDeployTarget) throws IOException {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path stub = bin.resolve("gcloud");
        // a canary in progress: the bad vbuf-00004 at 10 %, vbuf-00002 (the one that served before) at 90 %, and a
        // canary rolled back earlier, vbuf-00003, newer than vbuf-00002 but serving nothing
        Files.writeString(stub, """
                #!/usr/bin/env bash
                echo "$*" >> "%s"
                case "$*" in
                  "deploy targets describe"*) %s ;;
                  "deploy automations export"*) printf 'name: vbuf/x\\nsuspended: false\\nrules: []\\n' ;;
                  "deploy rollouts list"*IN_PROGRESS*) echo projects/p/locations/r/deliveryPipelines/vbuf/releases/vbuf-b4/rollouts/vbuf-b4-to-vbuf-prod-0001 ;;
                  "run services describe"*latestCreatedRevisionName*) echo vbuf-00004-bad ;;
                  "run services describe"*status.traffic*) printf '{\\n "status": {\\n  "traffic": [\\n   {"percent": 90, "revisionName": "vbuf-00002-good", "tag": "prior"},\\n   {"percent": 10, "revisionName": "vbuf-00004-bad", "tag": "canary"},\\n   {"revisionName": "vbuf-00003-rolled-back", "tag": "old"}\\n  ]\\n }\\n}\\n' ;;
                  "run services describe"*status.url*) echo https://vbuf-abc-ew.a.run.app ;;
                  *) echo "stub gcloud: unexpected call: $*" >&2; exit 9 ;;
                esac
                """.formatted(tmp.resolve("gcloud.log"), cloudDeployTarget
                                                        ? "echo projects/p/locations/r/targets/vbuf-prod"
                                                        : "echo 'NOT_FOUND' >&2; exit 1"));
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin;
    }

    ProcessRunner.Result rollbackDryRun(boolean cloudDeployTarget) throws Exception {
        Path bin = stubGcloud(cloudDeployTarget);
        return exec(List.of("bash", "cloudrun/rollback.sh", "--dry-run", "--project", "p", "--region", "r"),
                    Map.of("PATH", bin + File.pathSeparator + System.getenv("PATH")));
    }

    @Test
    void rollbackDryRunSuspendsTheAutomationsRollsBackThroughCloudDeployAndWaitsOnTheRollout() throws Exception {
        ProcessRunner.Result r = rollbackDryRun(true);
        String out = r.stdoutText() + r.stderrTail();
        assertThat(out, r.exitCode(), is(0));
        List<String> commands = out.lines().filter(l -> l.startsWith("+ "))
                .map(l -> l.replaceAll("/tmp/[^ ]+", "FILE").replaceAll("rollback-[0-9]{8}-[0-9]{6}", "ID")).toList();
        assertThat(commands, contains(
                "+ gcloud deploy apply --file FILE --project p --region r",
                "+ gcloud deploy apply --file FILE --project p --region r",
                "+ gcloud deploy rollouts cancel projects/p/locations/r/deliveryPipelines/vbuf/releases/vbuf-b4/rollouts/"
                + "vbuf-b4-to-vbuf-prod-0001 --project p --region r --quiet",
                "+ gcloud deploy targets rollback vbuf-prod --delivery-pipeline vbuf --rollout-id ID --project p"
                + " --region r --quiet",
                "+ (poll) gcloud deploy rollouts list --delivery-pipeline vbuf --release - --project p --region r"
                + " --filter name~/rollouts/ID$ --format value(state)   until SUCCEEDED",
                "+ gcloud run services update-traffic vbuf --project p --region r --to-revisions vbuf-00002-good=100",
                "+ curl -fsS --retry 5 --retry-delay 3 --retry-all-errors"
                + " https://vbuf-abc-ew.a.run.app/observe/health/ready"));
        assertThat(out, containsString("rollback.sh: suspending the advance automation"));
        assertThat(out, containsString("rollback.sh: suspending the repair automation"));
        assertThat(out, containsString("rollback.sh: waiting for rollout rollback-"));
        assertThat(out, containsString("(if the Cloud Deploy rollback fails, then:)"));
        assertThat(out, containsString("stay there until they close (at most the request timeout, 3600 s)"));
        List<String> calls = Files.readAllLines(tmp.resolve("gcloud.log"));
        assertThat("a dry run only looks", calls, everyItem(not(containsString("targets rollback"))));
        assertThat(calls, everyItem(not(containsString("update-traffic"))));
        assertThat(calls, everyItem(not(containsString("deploy apply"))));
        assertThat(calls, everyItem(not(containsString("rollouts cancel"))));
    }

    @Test
    void rollbackDryRunWithoutCloudDeployGoesToTheRevisionThatServedBefore() throws Exception {
        ProcessRunner.Result r = rollbackDryRun(false);
        String out = r.stdoutText() + r.stderrTail();
        assertThat(out, r.exitCode(), is(0));
        assertThat("not the newest older revision (a canary rolled back earlier) but the one serving beside it",
                   out.lines().filter(l -> l.startsWith("+ ")).toList(), contains(
                "+ gcloud run services update-traffic vbuf --project p --region r --to-revisions vbuf-00002-good=100",
                "+ curl -fsS --retry 5 --retry-delay 3 --retry-all-errors"
                + " https://vbuf-abc-ew.a.run.app/observe/health/ready"));
    }

    @Test
    void dotCiInstallSucceedsInAFreshRootOfTheBuildersOs() throws Exception {
        boolean root = "0".equals(Commands.run(List.of("id", "-u"), Map.of()).strip());
        Assumptions.assumeTrue(root && onPath("debootstrap"),
                               "needs root and debootstrap (.ci/install --with-containers): skipping the builder-OS"
                               + " check of .ci/install");
        ProcessRunner.Result r = ProcessRunner.of(List.of("bash", ".ci/install-in-builder-root", "bookworm"))
                .deadline(Duration.ofMinutes(8)).run();
        assertThat(r.stderrTail(), r.exitCode(), is(0));
        assertThat(r.stdoutText(), containsString("install-in-builder-root: .ci/install succeeded in bookworm"));
    }

    @Test
    void shellcheckPassesOnEveryScript() throws Exception {
        List<String> scripts = new ArrayList<>(List.of(".ci/install", ".ci/run", ".ci/install-in-builder-root"));
        try (Stream<Path> files = Files.walk(Path.of("."))) {
            files.filter(p -> p.toString().endsWith(".sh"))
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/.git/")
                                 && !p.toString().contains("/node_modules/"))
                    .forEach(p -> scripts.add(p.toString()));
        }
        assertThat(scripts, hasItem("./cloudrun/rollback.sh"));
        List<String> cmd = new ArrayList<>(List.of("shellcheck"));
        cmd.addAll(scripts);
        Commands.run(cmd, Map.of());
        // and shellcheck does fail on a broken script
        Path bad = tmp.resolve("bad.sh");
        Files.writeString(bad, "#!/usr/bin/env bash\nrm -rf $1/*\n", StandardCharsets.UTF_8);
        assertThat(exec(List.of("shellcheck", bad.toString()), Map.of()).exitCode(), not(is(0)));
    }
}
