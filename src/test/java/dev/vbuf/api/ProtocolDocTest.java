package dev.vbuf.api;

import java.util.Arrays;
import java.util.List;

import dev.vbuf.core.OutputFormat;
import dev.vbuf.core.ErrorCode;
import dev.vbuf.testing.ReadmeTables;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** README's protocol tables name exactly the error codes and formats the code defines. */
class ProtocolDocTest {

    @Test
    void errorCodeTableMatchesErrorCode() throws Exception {
        List<String> documented = ReadmeTables.table("code", "meaning", "what the client should do").stream()
                .map(r -> r.get(0)).toList();
        assertThat(documented, is(Arrays.stream(ErrorCode.values()).map(ErrorCode::wireName).toList()));
    }

    @Test
    void formatTableMatchesOutputFormat() throws Exception {
        List<List<String>> documented = ReadmeTables.table("name", "what", "Content-Type", "how").stream()
                .map(r -> List.of(r.get(0), r.get(2))).toList();
        assertThat(documented, is(Arrays.stream(OutputFormat.values())
                                          .map(f -> List.of(f.wireName(), f.contentType())).toList()));
    }

    @Test
    void httpStatusTableCoversEveryErrorCodesStatus() throws Exception {
        List<String> statuses = ReadmeTables.table("status", "when", "body").stream().map(r -> r.get(0)).toList();
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(code + " -> " + code.httpStatus() + " documented",
                       statuses.contains(String.valueOf(code.httpStatus())), is(true));
        }
    }
}
