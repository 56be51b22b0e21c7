package dev.vbuf.api;

import dev.vbuf.protocol.Protocol;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.testing.ReadmeTables;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

/** docs/protocol.md's tables name exactly the error codes and formats the code defines. */
class ProtocolDocTest {
    private static final Path PROTOCOL = Path.of("docs/protocol.md");

    @Test
    void errorCodeTableMatchesTheSegmentCodes() throws Exception {
        List<String> documented = ReadmeTables.table(PROTOCOL, "code", "meaning", "what the client should do").stream()
                .map(r -> r.get(0)).toList();
        assertThat("the error reply's codes", documented,
                   is(ErrorCode.segmentCodes().stream().map(ErrorCode::wireName).toList()));
    }

    @Test
    void formatTableMatchesOutputFormat() throws Exception {
        List<List<String>> documented = ReadmeTables.table(PROTOCOL, "name", "what", "Content-Type", "how").stream()
                .map(r -> List.of(r.get(0), r.get(2))).toList();
        assertThat(documented, is(Arrays.stream(OutputFormat.values())
                                          .map(f -> List.of(f.wireName(), f.contentType())).toList()));
    }

    /** The v1.1 field table names exactly the fields a placed result adds after v1's (the id aside). */
    @Test
    void v11FieldTableMatchesTheResultRecord() throws Exception {
        List<String> documented = ReadmeTables.table(PROTOCOL, "field", "meaning").stream()
                .flatMap(r -> Arrays.stream(r.get(0).split(",")).map(String::strip)).toList();
        List<String> components = Arrays.stream(Protocol.Result.class.getRecordComponents())
                .map(java.lang.reflect.RecordComponent::getName).toList();
        List<String> v11 = components.subList(components.indexOf("queuedMs") + 1, components.size());
        assertThat(documented, is(v11));
        assertThat(Protocol.SUBPROTOCOL_V11, is("vbuf.v1.1"));
    }

    @Test
    void httpStatusTableCoversEveryErrorCodesStatus() throws Exception {
        List<List<String>> rows = ReadmeTables.table(PROTOCOL, "status", "when", "body");
        List<String> statuses = rows.stream().map(r -> r.get(0)).toList();
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(code + " -> " + code.httpStatus() + " documented",
                       statuses.contains(String.valueOf(code.httpStatus())), is(true));
        }
        // a request's code is named in its status's row (a segment's codes are in the table above)
        for (ErrorCode code : ErrorCode.values()) {
            if (code.scope() == ErrorCode.Scope.REQUEST) {
                String row = String.join(" | ", rows.get(statuses.indexOf(String.valueOf(code.httpStatus()))));
                assertThat(row, containsString("\"" + code.wireName() + "\""));
            }
        }
    }
}
