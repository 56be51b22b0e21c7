package dev.vbuf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.startsWith;

/** README's two commands exist, and CI runs exactly the test command README gives. */
class ReadmeCommandsTest {

    /** The first line of the code block that follows the given bold label in README.md. */
    static String commandAfter(String label) throws Exception {
        List<String> lines = Files.readAllLines(Path.of("README.md"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("**" + label + "**")) {
                for (int j = i + 1; j < lines.size(); j++) {
                    if (lines.get(j).startsWith("```")) {
                        return lines.get(j + 1).strip();
                    }
                }
            }
        }
        throw new AssertionError("README.md has no command under **" + label + "**");
    }

    @Test
    void ciRunsTheReadmeTestCommand() throws Exception {
        String testCommand = commandAfter("Run the tests");
        List<String> ci = Files.readAllLines(Path.of(".ci/run")).stream().map(String::strip).toList();
        assertThat(".ci/run must run README's test command", ci, hasItem(testCommand));
    }

    /** The client and perf builds use the server's installed jar and test-jar, so the server's build goes first. */
    @Test
    void testCommandRunsTheServerBuildThenTheClientBuildThenThePerfBuild() throws Exception {
        String testCommand = commandAfter("Run the tests");
        int server = testCommand.indexOf("mvn -B install");
        int client = testCommand.indexOf("mvn -B -f client/pom.xml verify");
        int perf = testCommand.indexOf("mvn -B -f perf/pom.xml verify");
        assertThat("the server build, then the client build, then the perf build: " + testCommand,
                   server >= 0 && client > server && perf > client, is(true));
        assertThat("client/pom.xml is a file", Files.isRegularFile(Path.of("client/pom.xml")), is(true));
        assertThat("perf/pom.xml is a file", Files.isRegularFile(Path.of("perf/pom.xml")), is(true));
    }

    @Test
    void mainJobCommandRunsTheDemoFromTheJarThatTheBuildProduces() throws Exception {
        String run = commandAfter("Run the main job");
        assertThat("a build, then the jar's demo: " + run,
                   run.contains("mvn") && run.endsWith("java\" -jar target/vbuf.jar demo"), is(true));
        assertThat("the main job installs no test tools", run, startsWith("export JAVA_HOME=\"$(bash .ci/install)\""));
        assertThat(".ci/install is a file", Files.isRegularFile(Path.of(".ci/install")), is(true));
    }
}
