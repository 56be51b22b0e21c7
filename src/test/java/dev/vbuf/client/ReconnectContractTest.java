package dev.vbuf.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import dev.vbuf.protocol.Reconnect;
import dev.vbuf.testing.ReadmeTables;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

/**
 * The reconnect contract is one table: {@link Reconnect} in the code, the table in docs/protocol.md ("Reconnect
 * contract") and the JavaScript client package's copy in {@code src/reconnect.js} (the player page's client too) say
 * the same, and it sorts the cases as the
 * protocol requires.
 */
class ReconnectContractTest {
    private static final Path PROTOCOL = Path.of("docs/protocol.md");
    private static final Path PACKAGE_COPY = Path.of("src/main/js/vbuf-client/src/reconnect.js");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theDocsTableIsTheCodesTable() throws Exception {
        List<List<String>> documented = ReadmeTables.table(PROTOCOL, "when", "verdict", "wait", "why").stream()
                .map(r -> r.subList(0, 3)).toList();
        assertThat(documented, is(Reconnect.table().stream()
                                          .map(r -> List.of(r.when(), r.verdict().wireName(), r.waitText())).toList()));
    }

    /** The JavaScript package cannot read the Java table, so it carries a copy; this fails when the two disagree. */
    @Test
    void theJavaScriptPackagesCopyIsTheCodesTable() throws Exception {
        String js = Files.readString(PACKAGE_COPY);
        String start = "/* contract: start */";
        int from = js.indexOf(start);
        int to = js.indexOf("/* contract: end */");
        assertThat("reconnect.js marks its copy of the contract", from >= 0 && to > from, is(true));
        assertThat(JSON.readTree(js.substring(from + start.length(), to)), is(JSON.readTree(Reconnect.json())));
    }

    @Test
    void resumableAndFatalAreAsTheProtocolSays() {
        for (int code : new int[]{1000, 1001, 1005, 1006, 1011, 1012, 1013, 1014}) {
            assertThat("close " + code, Reconnect.close(code).resumable(), is(true));
        }
        for (int code : new int[]{1002, 1003, 1007, 1008, 1009, 1010, 1015, 4000}) {
            assertThat("close " + code, Reconnect.close(code).resumable(), is(false));
        }
        for (int status : new int[]{429, 503, 500, 502, 504}) {
            assertThat("upgrade " + status, Reconnect.upgrade(status).resumable(), is(true));
        }
        for (int status : new int[]{400, 401, 403, 404, 426, 301, 200}) {
            assertThat("upgrade " + status, Reconnect.upgrade(status).resumable(), is(false));
        }
        assertThat(Reconnect.network().resumable(), is(true));
        assertThat(Reconnect.goaway().hint(), is("reconnectAfterMs"));
        assertThat(Reconnect.shuttingDown().hint(), is("retryAfterMs"));
        assertThat("1013 is not retried at once", Reconnect.close(1013).floorMs(), greaterThan(0L));
    }

    /** Full jitter: anywhere from the floor (or the server's figure) to it plus the bound, which doubles to a cap. */
    @Test
    void theBackOffIsExponentialWithFullJitterACapAndTheServersFigure() {
        Random random = new Random(42);
        Reconnect.Rule cut = Reconnect.close(1006);
        for (int attempt = 0; attempt < 12; attempt++) {
            int a = attempt;
            long bound = Reconnect.backoffBoundMs(attempt);
            assertThat(bound, is(Math.min(Reconnect.MAX_BACKOFF_MS, Reconnect.FIRST_BACKOFF_MS << attempt)));
            long[] waits = IntStream.range(0, 2000).mapToLong(i -> Reconnect.delayMs(cut, 0, a, random)).toArray();
            assertThat(LongStream.of(waits).min().orElseThrow(), lessThan(bound / 10 + 1));
            assertThat(LongStream.of(waits).max().orElseThrow(), greaterThan(bound * 9 / 10));
            assertThat(LongStream.of(waits).max().orElseThrow(), lessThanOrEqualTo(bound));
        }
        for (int i = 0; i < 200; i++) {
            assertThat(Reconnect.delayMs(cut, 5_000, 0, random), greaterThanOrEqualTo(5_000L));
            assertThat(Reconnect.delayMs(Reconnect.close(1013), 0, 0, random), greaterThanOrEqualTo(1_000L));
            assertThat(Reconnect.delayMs(Reconnect.close(1013), 3_000, 0, random),
                       lessThanOrEqualTo(3_000L + Reconnect.FIRST_BACKOFF_MS));
        }
    }

    @Test
    void retryAfterIsReadAsSecondsOrAnHttpDate() {
        long now = 1_800_000_000_000L;
        assertThat(Reconnect.retryAfterMs("5", now), is(Optional.of(5_000L)));
        String in7s = DateTimeFormatter.RFC_1123_DATE_TIME.format(
                ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(now + 7_000), ZoneOffset.UTC));
        assertThat(Reconnect.retryAfterMs(in7s, now), is(Optional.of(7_000L)));
        assertThat(Reconnect.retryAfterMs("soon", now), is(Optional.empty()));
        assertThat(Reconnect.retryAfterMs(null, now), is(Optional.empty()));
    }
}
