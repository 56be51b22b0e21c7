package dev.vbuf.api;

import java.util.List;
import java.util.Optional;

import dev.vbuf.protocol.OutputFormat;
import dev.vbuf.protocol.Protocol;

import org.junit.jupiter.api.Test;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

/** The sub-protocol a session gets from the client's offer, and what the upgrade's answer says. */
class SessionUpgradeTest {

    @Test
    void v11IsChosenWhenOfferedThenV1ThenNone() {
        assertThat(SessionUpgrade.choose(List.of(Protocol.SUBPROTOCOL, Protocol.SUBPROTOCOL_V11, "bearer.x")),
                   is(Optional.of(Protocol.SUBPROTOCOL_V11)));
        assertThat(SessionUpgrade.choose(List.of("bearer.x", Protocol.SUBPROTOCOL)),
                   is(Optional.of(Protocol.SUBPROTOCOL)));
        assertThat(SessionUpgrade.choose(List.of("bearer.x", "chat")), is(Optional.<String>empty()));
        assertThat(SessionUpgrade.choose(List.of()), is(Optional.<String>empty()));
    }

    @Test
    void onlyTheV11SubProtocolMakesAV11Session() {
        assertThat("v1.1 selected", new SessionUpgrade(OutputFormat.PCM, Optional.of(Protocol.SUBPROTOCOL_V11)).v11(),
                   is(true));
        assertThat("v1 selected", new SessionUpgrade(OutputFormat.PCM, Optional.of(Protocol.SUBPROTOCOL)).v11(),
                   is(false));
        assertThat("none selected", new SessionUpgrade(OutputFormat.PCM, Optional.empty()).v11(), is(false));
    }

    @Test
    void theAnswerNamesTheSelectedSubProtocolOrNothing() {
        SessionUpgrade v11 = new SessionUpgrade(OutputFormat.AAC, Optional.of(Protocol.SUBPROTOCOL_V11));
        assertThat(v11.responseHeaders().orElseThrow().get(Access.SEC_WEBSOCKET_PROTOCOL).get(),
                   is(Protocol.SUBPROTOCOL_V11));
        assertThat("no header without a sub-protocol",
                   new SessionUpgrade(OutputFormat.AAC, Optional.empty()).responseHeaders().isPresent(), is(false));
    }
}
