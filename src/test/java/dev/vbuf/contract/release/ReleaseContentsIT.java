package dev.vbuf.contract.release;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * What ships: the jar's Class-Path (which is also what Jib puts in the image, both being the runtime class path) holds
 * the service's libraries, and neither test libraries nor the performance tools' (those live in perf/, a build of
 * their own); and the SBOM the build attaches to the image lists exactly those libraries. Runs after {@code package}.
 */
class ReleaseContentsIT {
    private static final Pattern NOT_SHIPPED = Pattern.compile(
            "(junit|hamcrest|opentest4j|testcontainers|kubernetes-model|knative-model|gatling|netty|xchart|pdfbox"
            + "|fontbox|graphics2d|VectorGraphics2D)[-.].*");

    @Test
    void runtimeClassPathHasNoTestOrPerfLibrariesAndEveryEntryExists() throws Exception {
        Path jar = Path.of("target", "vbuf.jar");
        assertThat("built by package: " + jar.toAbsolutePath(), Files.isRegularFile(jar), is(true));
        List<String> classPath;
        List<String> perfClasses;
        try (JarFile f = new JarFile(jar.toFile())) {
            classPath = Arrays.asList(f.getManifest().getMainAttributes().getValue("Class-Path").trim().split("\\s+"));
            perfClasses = f.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith("dev/vbuf/bench/") || n.startsWith("dev/vbuf/perf/")).toList();
        }
        List<String> names = classPath.stream().map(e -> e.substring(e.lastIndexOf('/') + 1)).toList();
        assertThat(names, hasItem(startsWith("helidon-webserver-")));
        assertThat("test or perf libraries on the runtime class path", names.stream()
                .filter(n -> NOT_SHIPPED.matcher(n).matches()).toList(), is(empty()));
        assertThat("perf tools in the server jar", perfClasses, is(empty()));
        List<String> missing = classPath.stream().filter(e -> !Files.isRegularFile(jar.resolveSibling(e))).toList();
        assertThat("Class-Path entries missing next to the jar", missing, is(empty()));
    }

    @Test
    void theSbomListsTheShippedLibrariesAndNoTestOnes() throws Exception {
        Path sbom = Path.of("target", "vbuf.cdx.json");
        assertThat("made in package (pom.xml, cyclonedx-maven-plugin): " + sbom.toAbsolutePath(),
                   Files.isRegularFile(sbom), is(true));
        JsonNode bom = new ObjectMapper().readTree(sbom.toFile());
        assertThat(bom.path("bomFormat").asText(), is("CycloneDX"));
        assertThat(bom.path("metadata").path("component").path("name").asText(), is("vbuf"));
        List<String> components = new java.util.ArrayList<>();
        bom.path("components").forEach(c -> components.add(c.path("name").asText() + "-" + c.path("version").asText()
                                                           + ".jar"));
        List<String> shipped;
        try (JarFile f = new JarFile(Path.of("target", "vbuf.jar").toFile())) {
            shipped = Arrays.stream(f.getManifest().getMainAttributes().getValue("Class-Path").trim().split("\\s+"))
                    .map(e -> e.substring(e.lastIndexOf('/') + 1)).toList();
        }
        // a jar with a classifier (name-version-classifier.jar) is its artifact's component
        List<String> missing = shipped.stream().filter(jar -> components.stream().noneMatch(
                c -> jar.equals(c) || jar.startsWith(c.substring(0, c.length() - ".jar".length()) + "-"))).toList();
        assertThat("libraries in the image that the SBOM lacks (or lists at another version)", missing, is(empty()));
        assertThat("no test library in the SBOM", components.stream()
                .filter(n -> NOT_SHIPPED.matcher(n).matches()).toList(), is(empty()));
    }
}
