package dev.vbuf.protocol;

/** RFC 6455 close status codes vbuf sends or checks (section 7.4). */
public final class CloseCodes {
    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    public static final int PROTOCOL_ERROR = 1002;
    public static final int UNSUPPORTED_DATA = 1003;
    /** Must never be sent: "no status code was present". */
    public static final int NO_STATUS = 1005;
    /** Must never be sent: "closed abnormally" (no close frame). */
    public static final int ABNORMAL = 1006;
    public static final int INVALID_PAYLOAD = 1007;
    public static final int POLICY_VIOLATION = 1008;
    public static final int MESSAGE_TOO_BIG = 1009;
    public static final int INTERNAL_ERROR = 1011;
    public static final int SERVICE_RESTART = 1012;
    public static final int TRY_AGAIN_LATER = 1013;
    /** A gateway or proxy in front of the server got no valid answer from it. */
    public static final int BAD_GATEWAY = 1014;

    private CloseCodes() {
    }

    /**
     * Whether a peer may send this code in a close frame: the defined codes that are not reserved for local use
     * (1000-1003, 1007-1014) and the ranges for libraries and applications (3000-4999).
     */
    public static boolean validOnTheWire(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }
}
