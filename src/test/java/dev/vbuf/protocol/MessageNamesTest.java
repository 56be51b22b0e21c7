package dev.vbuf.protocol;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.is;

/**
 * The wire's message names ({@code segment}, {@code end}, {@code result}, {@code error}, {@code goaway}) are written
 * once, in {@link Protocol}: the server, the reference client, {@code vbuf verify} and the tools compare and write
 * them through its constants (the JavaScript package's copy is held equal to them by JsClientProtocolTest). A literal
 * name compared or written as a message's type anywhere else in the Java sources fails here.
 */
class MessageNamesTest {
    private static final List<Path> SOURCES = Stream.of("src/main/java", "client/src/main/java")
            .map(Path::of).filter(Files::isDirectory).toList();
    private static final String NAMES = String.join("|", Protocol.SEGMENT_MESSAGE, Protocol.END_MESSAGE,
                                                    Protocol.RESULT_MESSAGE, Protocol.ERROR_MESSAGE,
                                                    Protocol.GOAWAY_MESSAGE);
    /** {@code .equals("result")}, {@code "result".equals(}, {@code put("type", "result")}, {@code "type", "result"}. */
    private static final Pattern LITERAL_TYPE = Pattern.compile(
            "equals\\(\"(" + NAMES + ")\"\\)|\"(" + NAMES + ")\"\\.equals\\(|\"type\"\\s*,\\s*\"(" + NAMES + ")\"");

    @Test
    void messageNamesAreWrittenOnlyInProtocol() throws IOException {
        List<String> found = new ArrayList<>();
        for (Path root : SOURCES) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    if (f.endsWith(Path.of("dev/vbuf/protocol/Protocol.java"))) {
                        continue;
                    }
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        if (LITERAL_TYPE.matcher(lines.get(i)).find()) {
                            found.add(f + ":" + (i + 1) + ": " + lines.get(i).strip());
                        }
                    }
                }
            }
        }
        assertThat("message names written outside Protocol", found, is(empty()));
    }

    /** The check can fail: each spelling it looks for is found in a line written that way. */
    @Test
    void theCheckFindsEachSpelling() {
        for (String line : List.of("if (type.equals(\"result\")) {", "if (\"goaway\".equals(t)) {",
                                   "m.put(\"type\", \"segment\");", "Map.of(\"type\", \"end\")")) {
            Matcher m = LITERAL_TYPE.matcher(line);
            assertThat(line, m.find(), is(true));
        }
        assertThat(LITERAL_TYPE.matcher("type.equals(Protocol.RESULT_MESSAGE)").find(), is(false));
    }
}
