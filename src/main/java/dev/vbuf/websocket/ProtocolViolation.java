package dev.vbuf.websocket;

/**
 * A client broke RFC 6455: the close code to answer with (1002, 1007 or 1009) and a short reason in vbuf's own words,
 * fit for the close frame.
 */
public final class ProtocolViolation extends Exception {
    private final int closeCode;

    public ProtocolViolation(int closeCode, String reason) {
        super(reason, null, false, false);
        this.closeCode = closeCode;
    }

    public int closeCode() {
        return closeCode;
    }
}
