package dev.vbuf.api;

import java.util.Arrays;
import java.util.List;

import dev.vbuf.core.SegmentException;
import dev.vbuf.protocol.ErrorCode;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The one table of error codes, as clients and dashboards see it: every code's wire name and HTTP status, and which
 * are a segment's (the only error values the segments metric's {@code outcome} label takes, which alert rules count).
 */
class ErrorCodeTest {

    @Test
    void wireNamesAndStatusesAreTheProtocols() {
        List<String> table = Arrays.stream(ErrorCode.values())
                .map(c -> c.wireName() + " " + c.httpStatus() + " " + c.scope()).toList();
        assertThat(table, is(List.of("invalid_media 422 SEGMENT", "no_audio 422 SEGMENT", "too_large 413 SEGMENT",
                                     "timeout 504 SEGMENT", "overloaded 429 SEGMENT", "rate_limited 429 SEGMENT",
                                     "internal 500 SEGMENT", "shutting_down 503 SEGMENT", "bad_request 400 REQUEST", "unauthorized 401 REQUEST",
                                     "forbidden_origin 403 REQUEST")));
    }

    @Test
    void theSegmentOutcomesAreTheEightSegmentCodes() {
        assertThat("segment outcome labels besides ok",
                   ErrorCode.segmentCodes().stream().map(ErrorCode::wireName).toList(),
                   is(List.of("invalid_media", "no_audio", "too_large", "timeout", "overloaded", "rate_limited",
                              "internal", "shutting_down")));
    }

    @Test
    void aSegmentCannotFailWithARequestsCode() {
        for (ErrorCode code : ErrorCode.values()) {
            if (code.scope() == ErrorCode.Scope.REQUEST) {
                assertThrows(IllegalArgumentException.class, () -> new SegmentException(code, "x"),
                             code + " refused as a segment's error");
            }
        }
    }
}
