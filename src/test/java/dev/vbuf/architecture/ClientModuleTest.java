package dev.vbuf.architecture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPath;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * The Java client's own build (client/pom.xml, artifact {@code dev.vbuf:vbuf-client}) holds the packages
 * {@code client} and {@code protocol} and nothing else, goes with the server's version and library versions, and needs
 * Jackson alone; this build compiles the same sources in (build-helper's {@code add-source}).
 */
class ClientModuleTest {
    private static final Path SOURCES = Path.of("client/src/main/java");
    private static final List<String> PACKAGES = List.of("dev/vbuf/client", "dev/vbuf/protocol");
    private static final XPath XPATH = XPathFactory.newInstance().newXPath();

    @Test
    void theClientsSourcesAreTheClientAndProtocolPackagesOnly() throws Exception {
        List<String> outside = new ArrayList<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String dir = SOURCES.relativize(f.getParent()).toString().replace('\\', '/');
                String declared = "package " + dir.replace('/', '.') + ";";
                if (!PACKAGES.contains(dir) || !f.toString().endsWith(".java")
                    || !Files.readString(f).contains(declared)) {
                    outside.add(f.toString());
                }
            }
        }
        assertThat("files in " + SOURCES + " outside " + PACKAGES + " (or not declaring their package)", outside,
                   empty());
    }

    @Test
    void theServersBuildCompilesTheClientsSources() throws Exception {
        Document pom = pom(Path.of("pom.xml"));
        assertThat(text(pom, "//plugin[artifactId='build-helper-maven-plugin']//goal"), is("add-source"));
        assertThat(text(pom, "//plugin[artifactId='build-helper-maven-plugin']//source"), is(SOURCES.toString()));
    }

    @Test
    void theClientGoesWithTheServersVersionsAndNeedsJacksonAlone() throws Exception {
        Document server = pom(Path.of("pom.xml"));
        Document client = pom(Path.of("client/pom.xml"));
        assertThat(text(client, "/project/groupId"), is(text(server, "/project/groupId")));
        assertThat(text(client, "/project/artifactId"), is("vbuf-client"));
        assertThat(text(client, "/project/version"), is(text(server, "/project/version")));
        assertThat(text(client, "/project/properties/jackson.version"),
                   is(text(server, "/project/properties/jackson.version")));
        assertThat("the Helidon BOM the client's tests take their library versions from is the server's parent",
                   text(client, "/project/properties/helidon.version"), is(text(server, "/project/parent/version")));
        assertThat(text(client, "/project/properties/maven.compiler.release"),
                   is(text(server, "/project/properties/maven.compiler.release")));
        NodeList needed = (NodeList) XPATH.evaluate("/project/dependencies/dependency[not(scope='test')]/artifactId",
                                                    client, XPathConstants.NODESET);
        assertThat("the client's dependencies besides its tests'", needed.getLength(), is(1));
        assertThat(needed.item(0).getTextContent().strip(), is("jackson-databind"));
    }

    @Test
    void theClientGuideNamesTheArtifactAsItIs() throws Exception {
        String version = text(pom(Path.of("pom.xml")), "/project/version");
        assertThat(Files.readString(Path.of("docs/client.md")), containsString("`dev.vbuf:vbuf-client:" + version + "`"));
        assertThat(Files.readString(Path.of("docs/client.md")), containsString("<version>" + version + "</version>"));
    }

    private static Document pom(Path file) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    }

    private static String text(Document pom, String xpath) throws Exception {
        String value = XPATH.evaluate(xpath, pom).strip();
        assertThat("no " + xpath, value.isEmpty(), is(false));
        return value;
    }
}
