package dev.vbuf.api;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.vbuf.client.SegmentClient;
import dev.vbuf.protocol.CloseCodes;
import dev.vbuf.protocol.ErrorCode;
import dev.vbuf.protocol.Protocol;
import dev.vbuf.testing.ServerProcess;
import dev.vbuf.testing.TestMedia;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;

/**
 * SIGTERM to a real server process under 8 v1.1 sessions that keep sending: each session gets a goaway
 * {@code shutting_down} before its 1001, every segment it sent (it stops at the goaway, as the protocol asks) has
 * exactly one answer — a result, or {@code shutting_down} for the ones that came after the drain began — and none is
 * left unanswered. One session ignores the goaway for two more segments: they are refused, not lost.
 */
class SigtermSessionsTest {
    private static final int SESSIONS = 8;

    /**
     * One v1.1 session: a player sending a segment every 250 ms, with at most two unanswered (it keeps a small
     * buffer ahead), until it reads the goaway.
     */
    private static final class Player {
        final int n;
        final SegmentClient client;
        final List<String> sent = new CopyOnWriteArrayList<>();
        final Map<String, List<JsonNode>> answers = new ConcurrentHashMap<>();
        final List<String> order = new CopyOnWriteArrayList<>(); // "goaway", "answer", "close"
        final CountDownLatch closed = new CountDownLatch(1);
        volatile JsonNode goaway;
        volatile SegmentClient.Closed close;

        Player(int n, int port) {
            this.n = n;
            this.client = SegmentClient.connect(URI.create("ws://127.0.0.1:" + port + Protocol.PATH + "?format=aac"),
                                                Map.of(), List.of(Protocol.SUBPROTOCOL_V11));
        }

        void read() {
            try {
                while (true) {
                    SegmentClient.Event e = client.next(Duration.ofSeconds(60));
                    if (e instanceof SegmentClient.Text t) {
                        if (t.json().path("type").asText().equals(Protocol.GOAWAY_MESSAGE)) {
                            goaway = t.json();
                            order.add("goaway");
                        } else {
                            answers.computeIfAbsent(t.json().path("id").asText(), k -> new CopyOnWriteArrayList<>())
                                    .add(t.json());
                            order.add("answer");
                        }
                    } else if (e instanceof SegmentClient.Closed c) {
                        close = c;
                        order.add("close");
                        return;
                    }
                }
            } catch (InterruptedException | RuntimeException e) {
                order.add("failed: " + e);
            } finally {
                closed.countDown();
            }
        }

        void send(byte[] segment, boolean stubborn) {
            try {
                while (goaway == null && close == null) {
                    if (sent.size() - answers.size() < 2) {
                        sendOne(segment);
                    }
                    Thread.sleep(250);
                }
                if (stubborn && close == null) { // ignores the goaway for two more
                    sendOne(segment);
                    sendOne(segment);
                }
            } catch (InterruptedException | RuntimeException e) {
                // the connection closed under a send: that segment was never sent whole
            }
        }

        private void sendOne(byte[] segment) {
            String id = "p" + n + "-" + sent.size();
            client.sendText("{\"type\":\"segment\",\"id\":\"" + id + "\"}");
            sent.add(id);
            client.send(segment);
        }
    }

    @Test
    void sigtermTellsEverySessionAnswersEverySegmentItSentAndLeavesNoneUnanswered() throws Exception {
        Map<String, String> env = Map.of("VBUF_ADMISSION_MAX_CONCURRENT", "2",
                                         "VBUF_ADMISSION_TARGET_LATENCY_MS", "30000");
        byte[] segment = TestMedia.segment(TestMedia.Kind.TS_AAC, 2.0);
        try (ServerProcess server = ServerProcess.start(env);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            server.awaitReady(Duration.ofSeconds(60));
            List<Player> players = new ArrayList<>();
            for (int i = 0; i < SESSIONS; i++) {
                Player p = new Player(i, server.port());
                players.add(p);
                threads.submit(p::read);
                boolean stubborn = i == 0;
                threads.submit(() -> p.send(segment, stubborn));
            }
            AtomicInteger answered = new AtomicInteger();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (answered.get() < 3 * SESSIONS && System.nanoTime() < until) { // every session under way
                Thread.sleep(50);
                answered.set(players.stream().mapToInt(p -> p.answers.size()).sum());
            }
            server.process().destroy(); // SIGTERM
            for (Player p : players) {
                assertThat("session " + p.n + " closed: " + p.order, p.closed.await(30, TimeUnit.SECONDS), is(true));
            }
            assertThat("the server exits", server.process().waitFor(30, TimeUnit.SECONDS), is(true));

            int sent = 0;
            int results = 0;
            int refused = 0;
            int unanswered = 0;
            for (Player p : players) {
                String where = "session " + p.n + " " + p.order;
                assertThat(where, p.goaway.path("reason").asText(), is(Protocol.Goaway.SHUTTING_DOWN));
                assertThat("the goaway precedes the close: " + where, p.order.indexOf("goaway"),
                           lessThan(p.order.indexOf("close")));
                assertThat(where, p.close.code(), is(CloseCodes.GOING_AWAY));
                for (String id : p.sent) {
                    List<JsonNode> a = p.answers.getOrDefault(id, List.of());
                    if (a.isEmpty()) {
                        unanswered++;
                        continue;
                    }
                    assertThat("answered once: " + id, a.size(), is(1));
                    JsonNode answer = a.get(0);
                    if (answer.path("type").asText().equals("result")) {
                        results++;
                    } else {
                        assertThat(answer.toString(), answer.path("code").asText(),
                                   is(ErrorCode.SHUTTING_DOWN.wireName()));
                        assertThat(answer.toString(), answer.path("retryAfterMs").asLong(), greaterThanOrEqualTo(1L));
                        refused++;
                    }
                }
                sent += p.sent.size();
                p.client.close();
            }
            System.out.println("SIGTERM under " + SESSIONS + " v1.1 sessions: " + sent + " segments sent, " + results
                               + " results, " + refused + " shutting_down, " + unanswered + " unanswered");
            assertThat("segments left without an answer", unanswered, is(0));
            assertThat("the stubborn session's two late segments were refused", refused, greaterThanOrEqualTo(2));
            assertThat("the drain names the sessions it told", server.log(), containsString("sessions told to go"));
        }
    }
}
