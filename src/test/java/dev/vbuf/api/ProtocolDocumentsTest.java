package dev.vbuf.api;

import java.io.IOException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import dev.vbuf.core.AudioPlacement;
import dev.vbuf.gapless.Carry;
import dev.vbuf.process.ProcessRunner;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.Commands;
import dev.vbuf.testing.ReadmeTables;
import dev.vbuf.testing.ReplySchemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The machine-readable protocol documents under src/main/resources/protocol/ (asyncapi.yaml, openapi.yaml and the
 * JSON Schemas of every message), validated with their own tools (@asyncapi/parser, swagger-parser, a JSON Schema
 * 2020-12 validator), each of which must also reject a broken copy; and held equal to the code's {@code protocol/}
 * package: every enum (error codes, formats, goaway reasons, gapless kinds, sub-protocols, close codes) and every
 * message's fields, so the documents cannot drift from what the server sends.
 */
class ProtocolDocumentsTest {
    private static final Path DIR = Path.of("src/main/resources/protocol");
    private static final Path ASYNCAPI = DIR.resolve("asyncapi.yaml");
    private static final Path OPENAPI = DIR.resolve("openapi.yaml");
    private static final Path CHECKER = Path.of("src/test/protocol/asyncapi-check.cjs");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SCHEMA_FILES = Stream.concat(
            Stream.concat(ReplySchemas.SERVER_MESSAGES.values().stream(),
                          ReplySchemas.CLIENT_MESSAGES.values().stream()),
            Stream.of(ReplySchemas.HTTP_ERROR)).sorted().toList();

    // ------------------------------------------------------------------ the documents, with their own tools

    @Test
    void everySchemaFileIsAValidDraft202012SchemaAndTheDirectoryHoldsNoOthers() throws IOException {
        try (Stream<Path> files = Files.list(DIR.resolve("schemas"))) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList(), is(SCHEMA_FILES));
        }
        for (String file : SCHEMA_FILES) {
            JsonNode schema = ReplySchemas.document(file);
            assertThat(file, schema.path("$schema").asText(), is("https://json-schema.org/draft/2020-12/schema"));
            assertThat(file + " against the 2020-12 meta-schema", metaSchemaProblems(schema), empty());
        }
        JsonNode broken = ReplySchemas.document("goaway.json").deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.path("properties").path("reconnectAfterMs"))
                .put("type", "integr");
        assertThat("a schema with a type that does not exist is refused", metaSchemaProblems(broken), not(empty()));
    }

    private static List<String> metaSchemaProblems(JsonNode schema) {
        Schema meta = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                .getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
        return meta.validate(schema).stream().map(Object::toString).toList();
    }

    @Test
    void theOpenApiDocumentValidatesWithSwaggerParserAndABrokenOneDoesNot(@TempDir Path tmp) throws IOException {
        SwaggerParseResult ok = openApi(OPENAPI);
        assertThat("swagger-parser's messages", ok.getMessages(), empty());
        assertThat(ok.getOpenAPI(), notNullValue());
        assertThat(ok.getOpenAPI().getOpenapi(), is("3.1.0"));

        Path docs = copyOfTheDocuments(tmp);
        Path broken = docs.resolve(OPENAPI.getFileName());
        Files.writeString(broken, Files.readString(broken)
                .replace("          description: The audio, in the requested format.\n", "") // a required field
                .replace("      in: query\n", "      in: body\n"));                            // not a 3.x location
        Path missing = docs.resolve("missing-schema.yaml");
        Files.writeString(missing, Files.readString(OPENAPI).replace("./schemas/http-error.json",
                                                                     "./schemas/no-such.json"));
        assertThat("a shared schema that is not there is refused", openApi(missing).getMessages(), not(empty()));
        SwaggerParseResult bad = openApi(broken);
        assertThat("a broken copy is refused", bad.getMessages(), not(empty()));
    }

    private static SwaggerParseResult openApi(Path file) {
        ParseOptions options = new ParseOptions();
        options.setResolve(true);
        options.setValidateExternalRefs(true);
        return new OpenAPIV3Parser().readLocation(file.toAbsolutePath().toUri().toString(), null, options);
    }

    @Test
    void theAsyncApiDocumentValidatesWithTheAsyncApiParserAndABrokenOneDoesNot(@TempDir Path tmp) throws Exception {
        JsonNode ok = asyncApiCheck(ASYNCAPI);
        assertThat(ok.toString(), ok.path("valid").asBoolean(), is(true));
        List<String> messages = new ArrayList<>();
        ok.path("messages").forEach(m -> messages.add(m.asText()));
        assertThat(messages, hasItems("segmentMessage", "segment", "end", "result", "audio", "error", "goaway"));
        assertThat(ok.path("channels").toString(), ok.path("channels").get(0).asText(), is(Protocol.PATH));

        Path docs = copyOfTheDocuments(tmp);
        Path wrongAction = docs.resolve("wrong-action.yaml");
        Files.writeString(wrongAction, Files.readString(ASYNCAPI).replace("action: send", "action: publish"));
        assertThat("an AsyncAPI 2 action is refused", asyncApiCheck(wrongAction).path("valid").asBoolean(), is(false));
        Path missingSchema = docs.resolve("missing-schema.yaml");
        Files.writeString(missingSchema, Files.readString(ASYNCAPI).replace("./schemas/goaway.json",
                                                                            "./schemas/no-such.json"));
        assertThat("a payload that is not there is refused", asyncApiCheck(missingSchema).path("valid").asBoolean(),
                   is(false));
    }

    /** @asyncapi/parser's verdict (src/test/protocol/asyncapi-check.cjs prints it as JSON). */
    private static JsonNode asyncApiCheck(Path document) throws Exception {
        boolean present = Commands.onPath("node")
                          && Files.isRegularFile(Commands.toolsDir().resolve("node_modules/@asyncapi/parser/package.json"));
        String message = "the AsyncAPI check needs node and @asyncapi/parser (npm, in " + Commands.toolsDir()
                         + "): run `bash .ci/install --for-tests`, which installs them";
        if (Commands.underCi()) {
            assertThat(message, present, is(true));
        }
        assumeTrue(present, message);
        ProcessRunner.Result r = ProcessRunner.of(List.of(
                        "env", "NODE_PATH=" + Commands.toolsDir().resolve("node_modules"),
                        "node", CHECKER.toString(), document.toString()))
                .deadline(java.time.Duration.ofMinutes(2)).run();
        assertThat("the checker ran: " + r.stderrTail(), r.exitCode() == 0 || r.exitCode() == 1, is(true));
        JsonNode verdict = JSON.readTree(r.stdoutText());
        assertThat("exit code and verdict agree: " + verdict, r.exitCode() == 0, is(verdict.path("valid").asBoolean()));
        return verdict;
    }

    /** The documents and their schemas in a directory of their own, for broken copies next to them. */
    private static Path copyOfTheDocuments(Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("schemas"));
        for (String file : SCHEMA_FILES) {
            Files.copy(DIR.resolve("schemas").resolve(file), tmp.resolve("schemas").resolve(file));
        }
        Files.copy(ASYNCAPI, tmp.resolve(ASYNCAPI.getFileName()));
        Files.copy(OPENAPI, tmp.resolve(OPENAPI.getFileName()));
        return tmp;
    }

    /** Every example in asyncapi.yaml is valid against its message's schema file. */
    @Test
    void theAsyncApiExamplesAreValidAgainstTheSchemas() throws IOException {
        JsonNode messages = YAML.readTree(ASYNCAPI.toFile()).path("components").path("messages");
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = messages.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> m = it.next();
            String ref = m.getValue().path("payload").path("$ref").asText("");
            for (JsonNode example : m.getValue().path("examples")) {
                assertThat(m.getKey() + " has a schema file", ref.startsWith("./schemas/"), is(true));
                String file = ref.substring("./schemas/".length());
                assertThat(m.getKey() + " example " + example.path("name").asText(),
                           ReplySchemas.problemsAgainst(file, example.path("payload").toString()), empty());
                checked++;
            }
        }
        assertThat("examples checked", checked >= 6, is(true));
    }

    // ------------------------------------------------------------------ held equal to the code

    @Test
    void errorCodesInTheSchemasAreTheErrorCodeEnum() {
        assertThat("a segment's error codes", enumOf("error.json", "code"),
                   is(ErrorCode.segmentCodes().stream().map(ErrorCode::wireName).toList()));
        assertThat("an HTTP error body's codes", enumOf(ReplySchemas.HTTP_ERROR, "code"),
                   is(Arrays.stream(ErrorCode.values()).map(ErrorCode::wireName).toList()));
    }

    @Test
    void formatsInTheSchemasAndDocumentsAreTheOutputFormatEnum() throws IOException {
        List<String> formats = Arrays.stream(OutputFormat.values()).map(OutputFormat::wireName).toList();
        assertThat(enumOf("result.json", "format"), is(formats));
        JsonNode openApi = YAML.readTree(OPENAPI.toFile());
        assertThat(strings(openApi.at("/components/parameters/format/schema/enum")), is(formats));
        assertThat(openApi.at("/components/parameters/format/schema/default").asText(),
                   is(OutputFormat.DEFAULT.wireName()));
        JsonNode ok = openApi.at("/paths/" + Protocol.PATH.replace("/", "~1") + "/post/responses/200");
        List<String> types = new ArrayList<>();
        ok.path("content").fieldNames().forEachRemaining(types::add);
        assertThat(types, is(Arrays.stream(OutputFormat.values()).map(OutputFormat::contentType).toList()));
        List<String> headers = new ArrayList<>();
        ok.path("headers").fieldNames().forEachRemaining(headers::add);
        assertThat(headers, is(List.of(Protocol.HEADER_AUDIO_MS, Protocol.HEADER_PROCESSING_MS)));
        JsonNode query = YAML.readTree(ASYNCAPI.toFile()).at("/channels/segments/bindings/ws/query/properties");
        assertThat(strings(query.at("/" + Protocol.FORMAT_PARAM + "/enum")), is(formats));
        assertThat(query.at("/" + Protocol.FORMAT_PARAM + "/default").asText(), is(OutputFormat.DEFAULT.wireName()));
    }

    @Test
    void goawayReasonsAndGaplessKindsAreTheCodesConstants() {
        assertThat(enumOf("goaway.json", "reason"), is(stringConstants(Protocol.Goaway.class)));
        assertThat(enumOf("result.json", "gapless"), is(stringConstants(AudioPlacement.class)));
    }

    @Test
    void everyStatusAnErrorCodeIsAnsweredWithIsAPostResponse() throws IOException {
        JsonNode post = YAML.readTree(OPENAPI.toFile()).at("/paths/" + Protocol.PATH.replace("/", "~1") + "/post");
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(code + " answers " + code.httpStatus(), post.path("responses").has(String.valueOf(code.httpStatus())),
                       is(true));
        }
    }

    @Test
    void subProtocolsPathAndCloseCodesAreTheCodesAndTheDocs() throws IOException {
        JsonNode channel = YAML.readTree(ASYNCAPI.toFile()).at("/channels/segments");
        assertThat(channel.path("address").asText(), is(Protocol.PATH));
        assertThat(strings(channel.path("x-subprotocols")), is(List.of(Protocol.SUBPROTOCOL_V11, Protocol.SUBPROTOCOL)));
        assertThat(YAML.readTree(OPENAPI.toFile()).path("paths").has(Protocol.PATH), is(true));

        List<String> described = new ArrayList<>();
        channel.path("x-close-codes").fieldNames().forEachRemaining(described::add);
        List<String> documented = ReadmeTables.table(Path.of("docs/protocol.md"), "code", "when").stream()
                .map(r -> r.get(0)).toList();
        assertThat("asyncapi.yaml's close codes are docs/protocol.md's", described, is(documented));
        TreeSet<Integer> constants = new TreeSet<>();
        for (var f : CloseCodes.class.getFields()) {
            if (f.getType() == int.class && Modifier.isStatic(f.getModifiers())) {
                constants.add(readInt(f));
            }
        }
        for (String code : described) {
            int c = Integer.parseInt(code);
            assertThat(code + " is a CloseCodes constant", constants, hasItem(c));
            assertThat(code + " may be sent", CloseCodes.validOnTheWire(c), is(true));
        }
    }

    /** Each schema names exactly the fields of its record, in order, and its v1 fields are the required ones. */
    @Test
    void everySchemasFieldsAreItsRecordsComponents() {
        Map<String, Class<? extends Record>> records = Map.of(
                "result.json", Protocol.Result.class, "error.json", Protocol.Error.class,
                "goaway.json", Protocol.Goaway.class, "segment.json", Protocol.SegmentMessage.class,
                ReplySchemas.HTTP_ERROR, Protocol.HttpError.class);
        records.forEach((file, record) -> assertThat(file, properties(file), is(components(record))));
        assertThat(properties("end.json"), is(List.of("type")));

        List<String> result = components(Protocol.Result.class);
        List<String> v1 = new ArrayList<>(result.subList(0, result.indexOf("queuedMs") + 1));
        v1.remove("id");
        assertThat("a result's required fields are v1's", strings(ReplySchemas.document("result.json").path("required")),
                   is(v1));
        assertThat("placement comes whole: every v1.1 field but coldReason with pts",
                   strings(ReplySchemas.document("result.json").at("/dependentRequired/pts")),
                   is(result.subList(result.indexOf("timescale"), result.size()).stream()
                              .filter(f -> !f.equals("coldReason")).toList()));

        assertThat(ReplySchemas.document("segment.json").at("/properties/type/const").asText(),
                   is(Protocol.SEGMENT_MESSAGE));
        assertThat(ReplySchemas.document("end.json").at("/properties/type/const").asText(), is(Protocol.END_MESSAGE));
        assertThat(ReplySchemas.document("goaway.json").at("/properties/type/const").asText(),
                   is(Protocol.GOAWAY_MESSAGE));
        assertThat(ReplySchemas.document("segment.json").at("/properties/id/maxLength").asInt(),
                   is(Protocol.MAX_ID_CHARS));
        assertThat(ReplySchemas.document("segment.json").at("/properties/carry/maxLength").asInt(),
                   is(Carry.MAX_CHARS));
    }

    /** What the code's records serialise to is valid, and what the schemas must refuse is refused. */
    @Test
    void theRecordsSerialiseToValidMessagesAndWrongOnesAreRefused() {
        ReplySchemas.assertValid(Protocol.json(new Protocol.Goaway(Protocol.Goaway.MAX_AGE, 420)));
        ReplySchemas.assertValid(Protocol.json(new Protocol.Error("error", 3, "a", ErrorCode.RATE_LIMITED.wireName(),
                                                                  "rate_limited: slow down", 500L)));
        ReplySchemas.assertValid(Protocol.json(new Protocol.Result("result", 0, null, "pcm", 10, 1, 2, 0, null, null,
                                                                   null, null, null, null, null, null, null, null,
                                                                   null)));
        assertThat(ReplySchemas.clientProblems(Protocol.json(new Protocol.SegmentMessage("segment", "x", null, true))),
                   empty());
        assertThat(ReplySchemas.clientProblems("{\"type\":\"end\"}"), empty());

        assertThat("an unknown goaway reason",
                   ReplySchemas.problems("{\"type\":\"goaway\",\"reason\":\"bored\",\"reconnectAfterMs\":1}"),
                   not(empty()));
        assertThat("a retry-after on a code that never has one", ReplySchemas.problems(
                "{\"type\":\"error\",\"seq\":0,\"code\":\"invalid_media\",\"message\":\"m\",\"retryAfterMs\":5}"),
                   not(empty()));
        assertThat("a type the server does not send", ReplySchemas.problems("{\"type\":\"segment\"}"), not(empty()));
        assertThat("an id over 256 characters", ReplySchemas.clientProblems(
                "{\"type\":\"segment\",\"id\":\"" + "x".repeat(Protocol.MAX_ID_CHARS + 1) + "\"}"), not(empty()));
    }

    private static List<String> enumOf(String file, String property) {
        return strings(ReplySchemas.document(file).path("properties").path(property).path("enum"));
    }

    private static List<String> properties(String file) {
        List<String> names = new ArrayList<>();
        ReplySchemas.document(file).path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> components(Class<? extends Record> record) {
        return Arrays.stream(record.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** The values of a class's public static final String constants, in declaration order. */
    private static List<String> stringConstants(Class<?> type) {
        return Arrays.stream(type.getDeclaredFields())
                .filter(f -> f.getType() == String.class && Modifier.isStatic(f.getModifiers())
                             && Modifier.isPublic(f.getModifiers()) && Modifier.isFinal(f.getModifiers()))
                .map(f -> {
                    try {
                        return (String) f.get(null);
                    } catch (IllegalAccessException e) {
                        throw new IllegalStateException(e);
                    }
                }).toList();
    }

    private static int readInt(java.lang.reflect.Field f) {
        try {
            return f.getInt(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
