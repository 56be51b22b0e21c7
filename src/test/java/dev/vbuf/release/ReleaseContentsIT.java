package dev.vbuf.release;

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
 * the service's libraries and none of the test tooling. Runs after {@code package}.
 */
class ReleaseContentsIT {
    /** Test-only libraries; Netty arrives with Gatling, whose BOM would otherwise leak it into the runtime scope. */
    private static final Pattern TEST_ONLY = Pattern.compile(
            "(netty|junit|hamcrest|gatling|testcontainers|kubernetes-model|knative-model|opentest4j)[-.].*");

    @Test
    void runtimeClassPathHasNoTestToolingAndEveryEntryExists() throws Exception {
        Path jar = Path.of("target", "vbuf.jar");
        assertThat("built by package: " + jar.toAbsolutePath(), Files.isRegularFile(jar), is(true));
        List<String> classPath;
        try (JarFile f = new JarFile(jar.toFile())) {
            classPath = Arrays.asList(f.getManifest().getMainAttributes().getValue("Class-Path").trim().split("\\s+"));
        }
        List<String> names = classPath.stream().map(e -> e.substring(e.lastIndexOf('/') + 1)).toList();
        assertThat(names, hasItem(startsWith("helidon-webserver-")));
        assertThat("test libraries on the runtime class path", names.stream()
                .filter(n -> TEST_ONLY.matcher(n).matches()).toList(), is(empty()));
        List<String> missing = classPath.stream().filter(e -> !Files.isRegularFile(jar.resolveSibling(e))).toList();
        assertThat("Class-Path entries missing next to the jar", missing, is(empty()));
    }
}
