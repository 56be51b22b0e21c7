package dev.vbuf.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.Reconnect;
import dev.vbuf.testing.ReadmeTables;

import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/** The reconnect contract: docs/protocol.md's table is {@link Reconnect}'s, and the code says what the brief says. */
class ReconnectContractTest {
    private static final Path PROTOCOL = Path.of("docs/protocol.md");

    @Test
    void docsTableIsTheCodesTable() throws Exception {
        List<List<String>> documented = ReadmeTables.table(PROTOCOL, "When", "Verdict", "Wait");
        List<List<String>> code = Reconnect.table().stream()
                .map(r -> List.of(r.when(), r.resumable() ? "resume" : "stop", r.waitText())).toList();
        assertThat(documented, is(code));
        String text = Files.readString(PROTOCOL);
        assertThat(text, containsString("min(" + Reconnect.MAX_BACKOFF_MS + " ms, " + Reconnect.FIRST_BACKOFF_MS
                                        + " ms × 2^n)"));
        assertThat(text, containsString("After " + Reconnect.DEFAULT_ATTEMPTS + " such attempts in a row"));
    }

    /** The JavaScript client package (the player page's client too) carries its own copy: the same rows and figures. */
    @Test
    void javaScriptClientsTableIsTheCodesTable() throws Exception {
        String js = Files.readString(Path.of("src/main/js/vbuf-client/src/reconnect.js"));
        String start = "/* contract: start */";
        String copy = js.substring(js.indexOf(start) + start.length(), js.indexOf("/* contract: end */"));
        ObjectMapper json = new ObjectMapper();
        assertThat(json.readTree(copy), is(json.readTree(Reconnect.json())));
    }

    @Test
    void resumableAndFatalCases() {
        for (int code : List.of(CloseCodes.GOING_AWAY, CloseCodes.ABNORMAL, CloseCodes.INTERNAL_ERROR,
                                CloseCodes.SERVICE_RESTART, CloseCodes.TRY_AGAIN_LATER)) {
            assertThat("close " + code, Reconnect.close(code).resumable(), is(true));
        }
        for (int code : List.of(CloseCodes.PROTOCOL_ERROR, CloseCodes.UNSUPPORTED_DATA, CloseCodes.INVALID_PAYLOAD,
                                CloseCodes.POLICY_VIOLATION, CloseCodes.MESSAGE_TOO_BIG, 4000, 3001)) {
            assertThat("close " + code, Reconnect.close(code).resumable(), is(false));
        }
        for (int status : List.of(429, 503, 500, 502)) {
            assertThat("upgrade " + status, Reconnect.upgrade(status).resumable(), is(true));
        }
        for (int status : List.of(400, 401, 403, 404, 426, 200, 302)) {
            assertThat("upgrade " + status, Reconnect.upgrade(status).resumable(), is(false));
        }
        assertThat(Reconnect.network().resumable(), is(true));
        assertThat(Reconnect.goaway().hint(), is("reconnectAfterMs"));
        assertThat(Reconnect.shuttingDown().hint(), is("retryAfterMs"));
        assertThat(Reconnect.upgrade(429).hint(), is("Retry-After"));
    }

    /** Full jitter under a doubling cap; a server's figure and 1013's floor come first, whatever the draw. */
    @Test
    void backOffIsJitteredCappedAndHonoursTheServer() {
        SplittableRandom random = new SplittableRandom(7);
        for (int attempt = 0; attempt < 12; attempt++) {
            long bound = Reconnect.backoffBoundMs(attempt);
            assertThat(bound, is(Math.min(Reconnect.MAX_BACKOFF_MS, Reconnect.FIRST_BACKOFF_MS << attempt)));
            long min = Long.MAX_VALUE;
            long max = 0;
            for (int i = 0; i < 2_000; i++) {
                long d = Reconnect.delayMs(Reconnect.network(), 0, attempt, random);
                min = Math.min(min, d);
                max = Math.max(max, d);
            }
            assertThat(max, lessThanOrEqualTo(bound));
            assertThat("jitter spreads the waits", max - min, greaterThan(bound / 2));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(Reconnect.delayMs(Reconnect.close(CloseCodes.TRY_AGAIN_LATER), 0, 0, random),
                       greaterThanOrEqualTo(1_000L));
            assertThat(Reconnect.delayMs(Reconnect.goaway(), 3_000, 0, random), greaterThanOrEqualTo(3_000L));
        }
    }

    @Test
    void retryAfterInSecondsOrAsADate() {
        long now = 1_700_000_000_000L;
        assertThat(Reconnect.retryAfterMs("5", now), is(Optional.of(5_000L)));
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(now + 7_000), ZoneOffset.UTC));
        assertThat(Reconnect.retryAfterMs(date, now), is(Optional.of(7_000L)));
        assertThat(Reconnect.retryAfterMs("soon", now), is(Optional.empty()));
        assertThat(Reconnect.retryAfterMs(null, now), is(Optional.empty()));
    }
}
