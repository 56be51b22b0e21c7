// Every name and code of vbuf's wire protocol the client uses, in one place (docs/protocol.md). The server defines
// them in Java (dev.vbuf.protocol: Protocol, ErrorCode, CloseCodes, OutputFormat; dev.vbuf.access.Authenticator);
// ClientPackageTest holds this module equal to those definitions, so a renamed code fails the build, not a client.

/** WebSocket (and HTTP) path of the segment API. */
export const PATH = '/v1/segments';
/** Query parameter naming the output format. */
export const FORMAT_PARAM = 'format';

/** Sub-protocols: v1.1 (ids, placed replies, carries, `end`, `goaway`) is offered first, v1 as the fallback. */
export const Subprotocol = Object.freeze({
  V1: 'vbuf.v1',
  V1_1: 'vbuf.v1.1',
});

/** Prefix of the sub-protocol entry that carries an access token (the browser way to send one). */
export const TOKEN_PROTOCOL_PREFIX = 'bearer.';

/** `type` of the JSON text messages, both directions. */
export const MessageType = Object.freeze({
  /** client → server (v1.1): describes the binary segment right after it */
  SEGMENT: 'segment',
  /** client → server (v1.1): nothing more follows; answer what is pending, then close 1000 */
  END: 'end',
  /** server → client: the next binary message is the audio */
  RESULT: 'result',
  /** server → client: the segment was not turned into audio */
  ERROR: 'error',
  /** server → client (v1.1): no new segment on this connection; reconnect after `reconnectAfterMs` */
  GOAWAY: 'goaway',
});

/** `reason` of a goaway. */
export const GoawayReason = Object.freeze({
  MAX_AGE: 'max_age',
  SHUTTING_DOWN: 'shutting_down',
});

/** `code` of an error reply (and of an HTTP error body). */
export const ErrorCode = Object.freeze({
  INVALID_MEDIA: 'invalid_media',
  NO_AUDIO: 'no_audio',
  TOO_LARGE: 'too_large',
  TIMEOUT: 'timeout',
  OVERLOADED: 'overloaded',
  RATE_LIMITED: 'rate_limited',
  INTERNAL: 'internal',
  SHUTTING_DOWN: 'shutting_down',
  BAD_REQUEST: 'bad_request',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN_ORIGIN: 'forbidden_origin',
});

/** Codes answered with `retryAfterMs` after which the same segment is sent again on the same connection. */
export const RETRY_SAME_CONNECTION = Object.freeze([ErrorCode.OVERLOADED, ErrorCode.RATE_LIMITED]);

/** WebSocket close codes (RFC 6455, section 7.4) vbuf sends or a client sees. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  BAD_GATEWAY: 1014,
});

/** Output formats (`?format=`); the server's default is `fmp4`. */
export const Format = Object.freeze({
  AAC: 'aac',
  FMP4: 'fmp4',
  WEBM: 'webm',
  PCM: 'pcm',
});
export const DEFAULT_FORMAT = Format.FMP4;
