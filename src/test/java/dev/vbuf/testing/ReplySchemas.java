package dev.vbuf.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;

/**
 * The protocol's message schemas (the JSON Schema files under {@code protocol/schemas/} in the jar, the ones
 * asyncapi.yaml and openapi.yaml reference), for checking what a live server sends: {@link #problems} picks the
 * schema by the message's {@code type}, so a test can hand it every text message it receives.
 */
public final class ReplySchemas {
    /** Where the schema files are, on the class path (src/main/resources/protocol/schemas). */
    public static final String DIR = "/protocol/schemas/";
    /** The text messages a server sends, by {@code type}, and the file of each one's schema. */
    public static final Map<String, String> SERVER_MESSAGES = Map.of(
            "result", "result.json", "error", "error.json", "goaway", "goaway.json");
    /** The text messages a client sends (protocol v1.1), by {@code type}. */
    public static final Map<String, String> CLIENT_MESSAGES = Map.of("segment", "segment.json", "end", "end.json");
    /** The body of every refused HTTP request and upgrade. */
    public static final String HTTP_ERROR = "http-error.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Map<String, Schema> LOADED = new LinkedHashMap<>();

    private ReplySchemas() {
    }

    /** The schema in {@code file} (a name under {@link #DIR}). */
    public static synchronized Schema schema(String file) {
        return LOADED.computeIfAbsent(file, f -> {
            try (InputStream in = ReplySchemas.class.getResourceAsStream(DIR + f)) {
                if (in == null) {
                    throw new IllegalArgumentException("no schema " + DIR + f + " on the class path");
                }
                return REGISTRY.getSchema(in, InputFormat.JSON);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    /** The schema's own JSON, as the file has it. */
    public static JsonNode document(String file) {
        try (InputStream in = ReplySchemas.class.getResourceAsStream(DIR + file)) {
            if (in == null) {
                throw new IllegalArgumentException("no schema " + DIR + file + " on the class path");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * What is wrong with a text message a server sent, against the schema of its {@code type}: empty when it is
     * valid; a message that is not JSON, or of a type the server does not send, is wrong too.
     */
    public static List<String> problems(String text) {
        return problems(SERVER_MESSAGES, text);
    }

    /** {@link #problems} for a client's text message (v1.1 {@code segment} and {@code end}). */
    public static List<String> clientProblems(String text) {
        return problems(CLIENT_MESSAGES, text);
    }

    /** What is wrong with {@code json} against the schema in {@code file}. */
    public static List<String> problemsAgainst(String file, String json) {
        return schema(file).validate(json, InputFormat.JSON).stream().map(Error::toString).toList();
    }

    /** Asserts that a text message a server sent is valid against its schema, naming the message and every problem. */
    public static void assertValid(String text) {
        assertThat("schema problems of " + text, problems(text), empty());
    }

    private static List<String> problems(Map<String, String> byType, String text) {
        JsonNode json;
        try {
            json = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return List.of("not JSON: " + e.getOriginalMessage());
        }
        String file = byType.get(json.path("type").asText(""));
        if (file == null) {
            return List.of("no message of type '" + json.path("type").asText("") + "'; expected one of "
                           + byType.keySet());
        }
        return problemsAgainst(file, text);
    }
}
