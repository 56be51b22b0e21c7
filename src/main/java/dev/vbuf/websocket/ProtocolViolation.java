package dev.vbuf.websocket;

/**
 * A client broke RFC 6455: the close code to answer with (1002, 1007 or 1009) and a short reason in vbuf's own words,
 * fit for the close frame.
 */
public final class ProtocolViolation extends Exception {
    /** {@link #bytesToFrameEnd()} when the stream's framing is lost. */
    static final long FRAMING_LOST = -1;

    private final int closeCode;
    private final long bytesToFrameEnd;

    public ProtocolViolation(int closeCode, String reason) {
        this(closeCode, reason, FRAMING_LOST);
    }

    /**
     * @param bytesToFrameEnd how many bytes of the connection still belong to the frame at fault (the violation was
     *                        found in an intact header, e.g. a frame over the frame limit), so the frames behind it can
     *                        still be read; {@link #FRAMING_LOST} otherwise
     */
    ProtocolViolation(int closeCode, String reason, long bytesToFrameEnd) {
        super(reason, null, false, false);
        this.closeCode = closeCode;
        this.bytesToFrameEnd = bytesToFrameEnd;
    }

    public int closeCode() {
        return closeCode;
    }

    /** Bytes still to come of the frame at fault, or {@link #FRAMING_LOST}. */
    long bytesToFrameEnd() {
        return bytesToFrameEnd;
    }
}
