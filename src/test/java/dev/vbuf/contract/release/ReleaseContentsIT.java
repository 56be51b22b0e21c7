package dev.vbuf.contract.release;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/**
 * What ships: the jar's Class-Path (which is also what Jib puts in the image, both being the runtime class path) holds
 * the service's libraries, and neither test libraries nor the performance tools' (those live in perf/, a build of
 * their own). Runs after {@code package}.
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
}
