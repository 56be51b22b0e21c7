package dev.vbuf.contract.deploy;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;

import dev.vbuf.cli.VerifyCommand;
import dev.vbuf.config.Setting;
import dev.vbuf.server.VbufServer;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.TestServer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.knative.serving.v1.RevisionSpec;
import io.fabric8.knative.serving.v1.Service;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import picocli.CommandLine;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

/**
 * The deployment manifests against each other and against the code: {@code cloudrun/service.yaml} and every
 * {@code k8s/overlays/*} as rendered by {@code kubectl kustomize}, read into fabric8's typed Knative model (unknown
 * fields fail), checked against the app's own settings, ports and endpoints, and against the sizing rules that
 * {@code cloudrun/service.yaml} explains.
 */
class ManifestContractTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path CLOUD_RUN = Path.of("cloudrun/service.yaml");
    private static final Path RUN_MONITORING = Path.of("cloudrun/rungmp-config.yaml");
    private static final List<String> OVERLAYS = List.of("gke", "dev");
    private static final String APP_CONTAINER = "vbuf";

    private static VbufServer server;

    @BeforeAll
    static void startServer() {
        server = TestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    // ---- reading ----

    /** All documents of a (possibly multi-document) YAML text. */
    static List<JsonNode> documents(String yaml) throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).readValues(new YAMLFactory().createParser(yaml))) {
            while (it.hasNext()) {
                JsonNode doc = (JsonNode) it.next();
                if (doc != null && !doc.isEmpty()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    static String render(String overlay) throws Exception {
        return Commands.run(List.of("kubectl", "kustomize", "k8s/overlays/" + overlay), Map.of());
    }

    static JsonNode only(List<JsonNode> docs, String kind) {
        // "Service" means Knative's: an overlay may also hold plain Kubernetes Services (e.g. the Flagger webhook's)
        List<JsonNode> matching = docs.stream().filter(d -> kind.equals(d.path("kind").asText()))
                .filter(d -> !kind.equals("Service") || d.path("apiVersion").asText().startsWith("serving.knative.dev/"))
                .toList();
        assertThat("exactly one " + kind, matching.size(), is(1));
        return matching.get(0);
    }

    /** A Knative Service read into the typed model; every field must be one the model knows. */
    static Service typed(JsonNode doc, String where) throws Exception {
        assertThat(where, doc.path("apiVersion").asText(), is("serving.knative.dev/v1"));
        Service service = YAML.treeToValue(doc, Service.class);
        assertThat(where + ": fields the Knative model does not know (a typo, or a field in the wrong place)",
                   unknownFields(service), empty());
        return service;
    }

    /** Paths of every field that landed in a fabric8 object's additional properties, i.e. that the model lacks. */
    static List<String> unknownFields(Object model) throws Exception {
        List<String> found = new ArrayList<>();
        walk(model, "", found);
        return found;
    }

    private static void walk(Object o, String path, List<String> found) throws Exception {
        if (o == null) {
            return;
        }
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                walk(list.get(i), path + "[" + i + "]", found);
            }
            return;
        }
        if (o instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> e : map.entrySet()) {
                walk(e.getValue(), path + "." + e.getKey(), found);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || Modifier.isStatic(m.getModifiers())
                || m.getName().equals("getClass")) {
                continue;
            }
            Object value = m.invoke(o);
            String field = Character.toLowerCase(m.getName().charAt(3)) + m.getName().substring(4);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add(path + "." + k));
                }
            } else {
                walk(value, path + "." + field, found);
            }
        }
    }

    static Service cloudRun() throws Exception {
        List<JsonNode> docs = documents(Files.readString(CLOUD_RUN));
        assertThat(CLOUD_RUN + " holds one document", docs.size(), is(1));
        return typed(docs.get(0), CLOUD_RUN.toString());
    }

    static Service knative(String overlay) throws Exception {
        return typed(only(documents(render(overlay)), "Service"), "k8s/overlays/" + overlay);
    }

    static Container app(Service service) {
        return service.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> APP_CONTAINER.equals(c.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no container named " + APP_CONTAINER));
    }

    static Map<String, EnvVar> env(Container c) {
        Map<String, EnvVar> env = new LinkedHashMap<>();
        for (EnvVar e : c.getEnv()) {
            assertThat("env var set twice: " + e.getName(), env.put(e.getName(), e), is((EnvVar) null));
        }
        return env;
    }

    /** The value the app runs with: the manifest's literal, else the app's default. */
    static String effective(Container c, Setting s) {
        EnvVar e = env(c).get(s.envVar());
        return e != null && e.getValue() != null ? e.getValue() : s.defaultValue();
    }

    /** Every environment variable name that sets a setting: the canonical one and its aliases. */
    static List<String> names(Setting s) {
        List<String> names = new ArrayList<>(List.of(s.envVar()));
        s.aliases().forEach(a -> names.add(a.name()));
        return names;
    }

    static long bytes(Quantity q) {
        return Quantity.getAmountInBytes(q).longValueExact();
    }

    static String annotation(Service s, String... names) {
        Map<String, String> annotations = s.getSpec().getTemplate().getMetadata().getAnnotations();
        for (String n : names) {
            if (annotations.containsKey(n)) {
                return annotations.get(n);
            }
        }
        throw new AssertionError("no annotation " + String.join(" or ", names));
    }

    /** The image's facts, from the Jib configuration in pom.xml (the one place they are written). */
    record ImageFacts(int port, int maxRamPercentage, Map<String, String> environment) {
        static ImageFacts fromPom() throws Exception {
            Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
            var xpath = XPathFactory.newInstance().newXPath();
            String jib = "//*[local-name()='plugin'][*[local-name()='artifactId']='jib-maven-plugin']"
                         + "/*[local-name()='configuration']/*[local-name()='container']";
            int port = Integer.parseInt(xpath.evaluate(jib + "/*[local-name()='ports']/*[local-name()='port']", pom)
                                                .strip());
            NodeList flags = (NodeList) xpath.evaluate(jib + "/*[local-name()='jvmFlags']/*", pom, XPathConstants.NODESET);
            Integer ram = null;
            for (int i = 0; i < flags.getLength(); i++) {
                String f = flags.item(i).getTextContent().strip();
                if (f.startsWith("-XX:MaxRAMPercentage=")) {
                    ram = Integer.parseInt(f.substring(f.indexOf('=') + 1));
                }
            }
            assertThat("pom.xml sets -XX:MaxRAMPercentage for the image", ram, notNullValue());
            NodeList vars = (NodeList) xpath.evaluate(jib + "/*[local-name()='environment']/*", pom,
                                                      XPathConstants.NODESET);
            Map<String, String> environment = new LinkedHashMap<>();
            for (int i = 0; i < vars.getLength(); i++) {
                environment.put(vars.item(i).getNodeName(), vars.item(i).getTextContent().strip());
            }
            return new ImageFacts(port, ram, environment);
        }
    }

    // ---- tests ----

    @Test
    void theUnknownFieldCheckCatchesATypo() throws Exception {
        JsonNode doc = documents(Files.readString(CLOUD_RUN)).get(0).deepCopy();
        ObjectNode spec = (ObjectNode) doc.path("spec").path("template").path("spec");
        spec.set("containerConcurency", spec.remove("containerConcurrency"));
        ((ObjectNode) spec.path("containers").get(0)).put("imagePullPolicyy", "Always");
        List<String> unknown = unknownFields(YAML.treeToValue(doc, Service.class));
        assertThat(unknown, hasItem(".spec.template.spec.containerConcurency"));
        assertThat(unknown, hasItem(".spec.template.spec.containers[0].imagePullPolicyy"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gke", "dev"})
    void everyOverlayRendersWithAKnativeServiceAndPodMonitoring(String overlay) throws Exception {
        List<JsonNode> docs = documents(render(overlay));
        Service service = typed(only(docs, "Service"), overlay);
        JsonNode podMonitoring = only(docs, "PodMonitoring");
        assertThat(podMonitoring.path("apiVersion").asText(), is("monitoring.googleapis.com/v1"));
        // the PodMonitoring selects the pods Knative makes from the revision template
        Map<String, String> podLabels = service.getSpec().getTemplate().getMetadata().getLabels();
        podMonitoring.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(
                e -> assertThat("pod label " + e.getKey(), podLabels.get(e.getKey()), is(e.getValue().asText())));
        assertThat(service.getMetadata().getNamespace(), is(podMonitoring.path("metadata").path("namespace").asText()));
    }

    @Test
    void productionOverlayCarriesTheAlertRules() throws Exception {
        JsonNode rules = only(documents(render("gke")), "Rules");
        assertThat(rules.path("apiVersion").asText(), is("monitoring.googleapis.com/v1"));
        assertThat(rules.path("spec").path("groups").size(), greaterThan(0));
    }

    @Test
    void everyEnvVarTheManifestsSetIsOneTheAppReads() throws Exception {
        List<Service> all = new ArrayList<>(List.of(cloudRun()));
        for (String o : OVERLAYS) {
            all.add(knative(o));
        }
        for (Service s : all) {
            assertThat("authentication is on: " + Setting.SECRET_KEY.envVar() + " comes from a secret",
                       env(app(s)).get(Setting.SECRET_KEY.envVar()).getValueFrom().getSecretKeyRef(), notNullValue());
            for (EnvVar e : app(s).getEnv()) {
                assertThat("env var " + e.getName() + " is not a vbuf setting's canonical name"
                           + Setting.byAnyEnvName(e.getName()).map(a -> " (it is an alias: use " + a.envVar() + ")")
                                   .orElse(" (see Setting / docs/operations.md, Configuration)"),
                           Setting.byEnvVar(e.getName()).isPresent(), is(true));
                // no secret as a literal: anything secret-like comes from Secret Manager / a Secret
                if (e.getName().matches("(?i).*(SECRET|TOKEN|PASSWORD|KEY).*")) {
                    assertThat(e.getName() + " must be a secret reference", e.getValue(), is((String) null));
                    assertThat(e.getName() + " must be a secret reference", e.getValueFrom().getSecretKeyRef(),
                               notNullValue());
                }
            }
        }
    }

    @Test
    void theImageSetsOnlyCanonicalSettingVariables() throws Exception {
        Map<String, String> env = ImageFacts.fromPom().environment();
        assertThat(env.keySet(), hasItem(Setting.FFMPEG_PATH.envVar()));
        for (String name : env.keySet()) {
            assertThat("pom.xml Jib <environment> sets " + name + ", not a vbuf setting's canonical name",
                       Setting.byEnvVar(name).isPresent(), is(true));
        }
    }

    @Test
    void portAndProbePathsAreTheOnesTheImageAndTheServerServe() throws Exception {
        ImageFacts image = ImageFacts.fromPom();
        assertThat("image port = the app's default PORT", image.port(), is(Integer.parseInt(Setting.PORT.defaultValue())));
        List<Service> all = new ArrayList<>(List.of(cloudRun()));
        for (String o : OVERLAYS) {
            all.add(knative(o));
        }
        TreeSet<String> paths = new TreeSet<>();
        for (Service s : all) {
            Container c = app(s);
            assertThat(c.getPorts().size(), is(1));
            assertThat(c.getPorts().get(0).getContainerPort(), is(image.port()));
            for (String name : names(Setting.PORT)) {
                assertThat("the port is the container port's default, not overridden by " + name,
                           env(c).containsKey(name), is(false));
            }
            for (Probe p : new Probe[] {c.getStartupProbe(), c.getLivenessProbe(), c.getReadinessProbe()}) {
                if (p == null) {
                    continue;
                }
                HTTPGetAction get = p.getHttpGet();
                assertThat("HTTP probes only", get, notNullValue());
                if (get.getPort() != null) {
                    assertThat(get.getPort().getIntVal(), is(image.port()));
                }
                paths.add(get.getPath());
            }
            assertThat("a liveness probe", c.getLivenessProbe(), notNullValue());
        }
        for (String path : paths) {
            assertThat("probe path " + path + " on a running server", status(path), is(200));
        }
        assertThat(paths, hasItem("/observe/health/live"));
    }

    @Test
    void metricsScrapeConfigIsTheSameOnCloudRunAndGkeAndServesVbufMetrics() throws Exception {
        JsonNode run = documents(Files.readString(RUN_MONITORING)).get(0);
        assertThat(run.path("kind").asText(), is("RunMonitoring"));
        JsonNode runEndpoint = run.path("spec").path("endpoints").get(0);
        JsonNode podEndpoint = only(documents(render("gke")), "PodMonitoring").path("spec").path("endpoints").get(0);
        assertThat(runEndpoint, is(podEndpoint));
        assertThat(runEndpoint.path("port").asInt(), is(ImageFacts.fromPom().port()));
        String metrics = body(runEndpoint.path("path").asText());
        assertThat(metrics, containsString(dev.vbuf.observe.MetricNames.READY + " "));
        assertThat(metrics, containsString(dev.vbuf.observe.MetricNames.SEGMENTS_IN_FLIGHT + " "));

        // the Cloud Run sidecar reads that file from Secret Manager at /etc/rungmp/config.yaml, after vbuf is up
        Service s = cloudRun();
        RevisionSpec spec = s.getSpec().getTemplate().getSpec();
        Container collector = spec.getContainers().stream().filter(c -> "collector".equals(c.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no collector sidecar"));
        assertThat(collector.getImage(), containsString("cloud-run-gmp-sidecar"));
        var mount = collector.getVolumeMounts().get(0);
        assertThat(mount.getMountPath(), is("/etc/rungmp"));
        var volume = spec.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertThat(volume.getSecret().getItems().get(0).getPath(), is("config.yaml"));
        JsonNode deps = JSON.readTree(annotation(s, "run.googleapis.com/container-dependencies"));
        assertThat(deps.path("collector").get(0).asText(), is(APP_CONTAINER));
    }

    @Test
    void cloudRunHasTheAnalysisSizingAndWebSocketLongTimeout() throws Exception {
        Service s = cloudRun();
        RevisionSpec spec = s.getSpec().getTemplate().getSpec();
        Container c = app(s);
        assertThat(c.getResources().getLimits().get("cpu"), is(new Quantity("4")));
        assertThat(bytes(c.getResources().getLimits().get("memory")), is(4L << 30));
        assertThat(annotation(s, "autoscaling.knative.dev/minScale"), is("2"));
        assertThat(annotation(s, "autoscaling.knative.dev/maxScale"), is("30"));
        assertThat(annotation(s, "run.googleapis.com/startup-cpu-boost"), is("true"));
        assertThat(annotation(s, "run.googleapis.com/sessionAffinity"), is("true"));
        assertThat(spec.getTimeoutSeconds(), is(3600L));
        assertThat(c.getStartupProbe(), notNullValue());
        // Cloud Run kills 10 s after SIGTERM: the drain must fit
        assertThat(Long.parseLong(effective(c, Setting.SHUTDOWN_GRACE_MS)), lessThan(10_000L));
    }

    @Test
    void cloudRunAndGkeRunTheSameInstances() throws Exception {
        Service run = cloudRun();
        Service gke = knative("gke");
        Container r = app(run);
        Container g = app(gke);
        assertThat(g.getResources().getLimits(), is(r.getResources().getLimits()));
        assertThat("GKE requests what it is limited to (guaranteed CPU for FFmpeg)",
                   g.getResources().getRequests(), is(g.getResources().getLimits()));
        assertThat(gke.getSpec().getTemplate().getSpec().getContainerConcurrency(),
                   is(run.getSpec().getTemplate().getSpec().getContainerConcurrency()));
        assertThat(gke.getSpec().getTemplate().getSpec().getTimeoutSeconds(),
                   is(run.getSpec().getTemplate().getSpec().getTimeoutSeconds()));
        assertThat(annotation(gke, "autoscaling.knative.dev/min-scale"),
                   is(annotation(run, "autoscaling.knative.dev/minScale")));
        assertThat(annotation(gke, "autoscaling.knative.dev/max-scale"),
                   is(annotation(run, "autoscaling.knative.dev/maxScale")));
        for (Setting setting : Setting.values()) {
            assertThat("same " + setting.envVar() + " on Cloud Run and GKE", effective(g, setting),
                       is(effective(r, setting)));
        }
        assertThat("same image repository", g.getImage().replaceAll(":[^:/]+$", ""),
                   is(r.getImage().replaceAll(":[^:/]+$", "")));
        assertThat(g.getLivenessProbe().getHttpGet().getPath(), is(r.getLivenessProbe().getHttpGet().getPath()));
    }

    @Test
    void theCapacityPlannerPlansTheInstanceTheServiceDeploys() throws Exception {
        // perf/planner.yaml's instance is what cloudrun/service.yaml runs: the players per instance and the cost the
        // plan reports (perf/results/capacity-report.md) are for the deployed shape and session cap
        JsonNode instance = YAML.readTree(Path.of("perf/planner.yaml").toFile()).path("instance");
        Service run = cloudRun();
        RevisionSpec spec = run.getSpec().getTemplate().getSpec();
        Container c = app(run);
        assertThat(instance.path("maxSessions").asLong(), is(spec.getContainerConcurrency()));
        assertThat(instance.path("vcpu").asLong(),
                   is(Quantity.getAmountInBytes(c.getResources().getLimits().get("cpu")).longValueExact()));
        assertThat(instance.path("memoryGib").asLong() << 30, is(bytes(c.getResources().getLimits().get("memory"))));
        assertThat(instance.path("minInstances").asText(), is(annotation(run, "autoscaling.knative.dev/minScale")));
        assertThat(instance.path("maxInstances").asText(), is(annotation(run, "autoscaling.knative.dev/maxScale")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"cloudrun", "gke", "dev"})
    void sizingIsConsistentWithTheAppsOwnLimits(String where) throws Exception {
        Service s = where.equals("cloudrun") ? cloudRun() : knative(where);
        RevisionSpec spec = s.getSpec().getTemplate().getSpec();
        Container c = app(s);
        long sessions = spec.getContainerConcurrency();
        long vcpus = Quantity.getAmountInBytes(c.getResources().getLimits().get("cpu")).longValueExact();
        long memory = bytes(c.getResources().getLimits().get("memory"));
        long maxConcurrent = Long.parseLong(effective(c, Setting.MAX_CONCURRENT));
        long queue = Long.parseLong(effective(c, Setting.QUEUE_CAPACITY));
        long perSession = Long.parseLong(effective(c, Setting.PER_SESSION));
        long segmentBytes = Long.parseLong(effective(c, Setting.MAX_SEGMENT_BYTES));
        double sessionMinutes = Double.parseDouble(effective(c, Setting.SESSION_TIMEOUT_MINUTES));

        assertThat(where + ": the app refuses sessions beyond what the platform routes to one instance",
                   Long.parseLong(effective(c, Setting.MAX_SESSIONS)), is(sessions));
        assertThat(where + ": one FFmpeg process per vCPU (throughput peaks at processes = cores)",
                   maxConcurrent, is(vcpus));
        assertThat(where + ": every session's pipelined segments fit running + queued",
                   sessions * perSession, lessThanOrEqualTo(maxConcurrent + queue));
        long heap = memory * ImageFacts.fromPom().maxRamPercentage() / 100;
        long budgetSetting = Long.parseLong(effective(c, Setting.MEMORY_BUDGET_BYTES));
        long budget = budgetSetting == 0 ? heap / 4 : budgetSetting;
        assertThat(where + ": the segment memory budget leaves most of the heap to the rest",
                   budget, lessThanOrEqualTo(heap / 2));
        assertThat(where + ": the budget holds a largest-size segment for every FFmpeg process at once",
                   budget, greaterThanOrEqualTo(maxConcurrent * segmentBytes));
        assertThat(where + ": a session may live as long as its idle timeout",
                   (double) spec.getTimeoutSeconds(), greaterThanOrEqualTo(sessionMinutes * 60));
        assertThat(where + ": the drain fits in the termination grace",
                   Long.parseLong(effective(c, Setting.SHUTDOWN_GRACE_MS)), lessThan(spec.getTimeoutSeconds() * 1000));
        Optional<String> target = Optional.ofNullable(s.getSpec().getTemplate().getMetadata().getAnnotations()
                                                              .get("autoscaling.knative.dev/target"));
        target.ifPresent(t -> assertThat(where + ": scale out before the hard limit", Long.parseLong(t),
                                         lessThan(sessions)));
        assertThat(c.getImage(), not(containsString(":latest")));
        assertThat(c.getImage(), containsString("/vbuf/vbuf:"));
    }

    // ---- the Flagger canary (k8s/flagger, rendered by overlays/gke) ----

    /** Managed Prometheus's ingestion and evaluation delay: a minute of samples is queryable about a minute later. */
    static final Duration INGESTION_DELAY = Duration.ofMinutes(1);
    private static final Path RELEASING = Path.of("docs/releasing.md");

    /** A Flagger / Go duration as the manifests write them: 90s, 4m, 1h. */
    static Duration flaggerDuration(String text) {
        Matcher m = Pattern.compile("(\\d+)([smh])").matcher(text);
        assertThat("a duration Flagger reads: " + text, m.matches(), is(true));
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
    }

    static JsonNode named(List<JsonNode> docs, String kind, String name) {
        return docs.stream().filter(d -> kind.equals(d.path("kind").asText()))
                .filter(d -> name.equals(d.path("metadata").path("name").asText())).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name));
    }

    @Test
    void flaggerWebhooksTestTheNewRevisionAlone() throws Exception {
        List<JsonNode> docs = documents(render("gke"));
        JsonNode knative = only(docs, "Service");
        JsonNode canary = only(docs, "Canary");
        String revision = knative.path("spec").path("template").path("metadata").path("name").asText();
        assertThat("the release names its revision, so a Service can select it", revision, startsWith("vbuf-"));
        // the webhooks' Service: the pods of that revision (the label Knative puts on them), through their queue-proxy
        JsonNode webhooks = canary.path("spec").path("analysis").path("webhooks");
        assertThat(webhooks.size(), greaterThan(0));
        for (JsonNode hook : webhooks) {
            URI target = URI.create(hook.path("metadata").path("url").asText());
            String[] host = target.getHost().split("\\.");
            assertThat(hook.path("name").asText() + " addresses a Service of the namespace, not the main route",
                       host[1], is(knative.path("metadata").path("namespace").asText()));
            assertThat(host[0], not(is(knative.path("metadata").path("name").asText())));
            JsonNode service = named(docs, "Service", host[0]);
            assertThat(hook.path("name").asText() + " reaches the new revision's pods alone",
                       service.path("spec").path("selector").toString(),
                       is(JSON.createObjectNode().put("serving.knative.dev/revision", revision).toString()));
            assertThat("through the queue-proxy, which enforces containerConcurrency as the route does",
                       service.path("spec").path("ports").get(0).path("targetPort").asInt(), is(8012));
            assertThat(target.getPath(), is("/v1/segments"));
        }
        // the players give the canary enough segments for the error ratio to judge it (its query's minimum rate)
        JsonNode players = null;
        for (JsonNode hook : webhooks) {
            if (hook.path("type").asText().equals("rollout")) {
                players = hook;
            }
        }
        assertThat("a rollout webhook", players, notNullValue());
        String segmentSeconds = new CommandLine(new VerifyCommand()).getCommandSpec().findOption("--segment-seconds")
                .defaultValue();
        double rate = players.path("metadata").path("sessions").asDouble() / Double.parseDouble(segmentSeconds);
        String errorQuery = named(docs, "MetricTemplate", "vbuf-error-ratio").path("spec").path("query").asText();
        Matcher minimum = Pattern.compile(">= ([0-9.]+)").matcher(errorQuery);
        assertThat(errorQuery, minimum.find(), is(true));
        assertThat("segments/s the players send to the canary", rate,
                   greaterThan(Double.parseDouble(minimum.group(1))));
    }

    @Test
    void flaggerChecksCanFailBeforePromotionAndTheDocsStateTheWorstCase() throws Exception {
        List<JsonNode> docs = documents(render("gke"));
        JsonNode analysis = only(docs, "Canary").path("spec").path("analysis");
        Duration interval = flaggerDuration(analysis.path("interval").asText());
        int threshold = analysis.path("threshold").asInt();
        int steps = analysis.path("stepWeights").size();
        assertThat(threshold, greaterThan(0));
        assertThat(steps, greaterThan(0));
        // Flagger checks every interval and promotes after a passed check at the last step, one interval after the
        // weight reached it: each metric's window, plus the ingestion delay, must hold only minutes at that weight,
        // or a revision that only breaks there (CPU's lowest minute) passes the check that promotes it
        for (JsonNode metric : analysis.path("metrics")) {
            Duration window = flaggerDuration(metric.path("interval").asText());
            assertThat(metric.path("name").asText() + ": window + ingestion delay fits in one step of the analysis",
                       window.plus(INGESTION_DELAY).compareTo(interval), lessThanOrEqualTo(0));
            String query = named(docs, "MetricTemplate", metric.path("templateRef").path("name").asText())
                    .path("spec").path("query").asText();
            assertThat("the window is the metric's interval", query, containsString("{{ interval }}"));
        }
        Duration rolloutHooks = Duration.ZERO;
        for (JsonNode hook : analysis.path("webhooks")) {
            Duration timeout = flaggerDuration(hook.path("timeout").asText());
            assertThat(hook.path("name").asText() + ": its run fits in its timeout",
                       Duration.ofSeconds(hook.path("metadata").path("seconds").asLong()).compareTo(timeout),
                       lessThan(0));
            if (hook.path("type").asText().equals("rollout")) {
                rolloutHooks = rolloutHooks.plus(timeout);
            }
        }
        assertThat("the rollout webhooks end before the next check", rolloutHooks.compareTo(interval), lessThan(0));
        // a failed check holds the weight, `threshold` failed checks roll back: the slowest bad release reaches the
        // last step after (steps - 1) intervals, fails there threshold times; the docs state that figure
        long smoke = interval.multipliedBy(threshold - 1).toMinutes();
        long atOnce = interval.multipliedBy(threshold).toMinutes();
        long worst = interval.multipliedBy(steps - 1 + threshold).toMinutes();
        long healthy = interval.multipliedBy(steps).toMinutes();
        String gke = Files.readString(RELEASING);
        gke = gke.substring(gke.indexOf("## GKE: Flagger"), gke.indexOf("## Rolling back by hand"));
        assertThat(gke, containsString("promoted after **~" + healthy + " min**"));
        assertThat(gke, containsString("rolled back at **~" + smoke + " min**"));
        assertThat(gke, containsString("at **~" + atOnce + " min**"));
        assertThat(gke, containsString("**~" + worst + " min**"));
    }

    private static int status(String path) throws Exception {
        return get(path).statusCode();
    }

    private static String body(String path) throws Exception {
        HttpResponse<String> r = get(path);
        assertThat(path, r.statusCode(), is(200));
        return r.body();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }
}
