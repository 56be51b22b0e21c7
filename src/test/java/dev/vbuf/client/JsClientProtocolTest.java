package dev.vbuf.client;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.vbuf.access.Authenticator;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.Commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The JavaScript client package names every message, code and sub-protocol in one module
 * ({@code src/protocol.js}); Node imports it here and it must equal the server's own definitions.
 */
class JsClientProtocolTest {
    static final Path PACKAGE = Path.of("src/main/js/vbuf-client").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode module;

    @BeforeAll
    static void importTheModule() throws Exception {
        if (!Commands.underCi()) {
            assumeTrue(Commands.onPath("node"), "node is not installed: run `bash .ci/install --for-tests`");
        }
        String out = Commands.run(List.of("node", "--input-type=module", "-e",
                                          "const m = await import(process.argv[1]);"
                                          + " process.stdout.write(JSON.stringify(m));",
                                          PACKAGE.resolve("src/protocol.js").toUri().toString()), Map.of());
        module = JSON.readTree(out);
    }

    @Test
    void pathsSubProtocolsAndTokenPrefix() {
        assertThat(module.get("PATH").asText(), is(Protocol.PATH));
        assertThat(module.get("FORMAT_PARAM").asText(), is(Protocol.FORMAT_PARAM));
        assertThat(module.get("Subprotocol"), is(json(Map.of("V1", Protocol.SUBPROTOCOL,
                                                             "V1_1", Protocol.SUBPROTOCOL_V11))));
        assertThat(module.get("TOKEN_PROTOCOL_PREFIX").asText(), is(Authenticator.PROTOCOL_PREFIX));
    }

    @Test
    void messageTypes() {
        assertThat(module.get("MessageType"), is(json(Map.of(
                "SEGMENT", Protocol.SEGMENT_MESSAGE, "END", Protocol.END_MESSAGE,
                "RESULT", Protocol.RESULT_MESSAGE, "ERROR", Protocol.ERROR_MESSAGE,
                "GOAWAY", Protocol.GOAWAY_MESSAGE))));
        assertThat(module.get("GoawayReason"), is(json(Map.of("MAX_AGE", Protocol.Goaway.MAX_AGE,
                                                              "SHUTTING_DOWN", Protocol.Goaway.SHUTTING_DOWN))));
    }

    /** Every code, in the enum's order, under its constant's name. */
    @Test
    void errorCodes() {
        Map<String, Object> codes = new LinkedHashMap<>();
        Arrays.stream(ErrorCode.values()).forEach(c -> codes.put(c.name(), c.wireName()));
        assertThat(module.get("ErrorCode"), is(json(codes)));
        assertThat("the codes retried on the same connection are the ones that carry retryAfterMs there",
                   module.get("RETRY_SAME_CONNECTION"),
                   is((JsonNode) JSON.valueToTree(List.of(ErrorCode.OVERLOADED.wireName(),
                                                            ErrorCode.RATE_LIMITED.wireName()))));
    }

    @Test
    void closeCodes() throws IllegalAccessException {
        Map<String, Object> codes = new LinkedHashMap<>();
        for (Field f : CloseCodes.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getType() == int.class) {
                codes.put(f.getName(), f.getInt(null));
            }
        }
        assertThat(module.get("CloseCode"), is(json(codes)));
    }

    @Test
    void formats() {
        Map<String, Object> formats = new LinkedHashMap<>();
        Arrays.stream(OutputFormat.values()).forEach(f -> formats.put(f.name(), f.wireName()));
        assertThat(module.get("Format"), is(json(formats)));
        assertThat(module.get("DEFAULT_FORMAT").asText(), is(OutputFormat.DEFAULT.wireName()));
    }

    private static JsonNode json(Map<String, Object> map) {
        return JSON.valueToTree(map);
    }
}
