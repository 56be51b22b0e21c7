// Types of @vbuf/client (written by hand; the messages are docs/protocol.md's).

export declare const PATH: '/v1/segments';
export declare const FORMAT_PARAM: 'format';
export declare const Subprotocol: { readonly V1: 'vbuf.v1'; readonly V1_1: 'vbuf.v1.1' };
export declare const TOKEN_PROTOCOL_PREFIX: 'bearer.';
export declare const MessageType: {
  readonly SEGMENT: 'segment'; readonly END: 'end'; readonly RESULT: 'result'; readonly ERROR: 'error';
  readonly GOAWAY: 'goaway';
};
export declare const GoawayReason: { readonly MAX_AGE: 'max_age'; readonly SHUTTING_DOWN: 'shutting_down' };
export declare const ErrorCode: {
  readonly INVALID_MEDIA: 'invalid_media'; readonly NO_AUDIO: 'no_audio'; readonly TOO_LARGE: 'too_large';
  readonly TIMEOUT: 'timeout'; readonly OVERLOADED: 'overloaded'; readonly RATE_LIMITED: 'rate_limited';
  readonly INTERNAL: 'internal'; readonly SHUTTING_DOWN: 'shutting_down'; readonly BAD_REQUEST: 'bad_request';
  readonly UNAUTHORIZED: 'unauthorized'; readonly FORBIDDEN_ORIGIN: 'forbidden_origin';
};
export type ErrorCodeName = (typeof ErrorCode)[keyof typeof ErrorCode];
export declare const RETRY_SAME_CONNECTION: readonly ErrorCodeName[];
export declare const CloseCode: {
  readonly NORMAL: 1000; readonly GOING_AWAY: 1001; readonly PROTOCOL_ERROR: 1002; readonly UNSUPPORTED_DATA: 1003;
  readonly NO_STATUS: 1005; readonly ABNORMAL: 1006; readonly INVALID_PAYLOAD: 1007; readonly POLICY_VIOLATION: 1008;
  readonly MESSAGE_TOO_BIG: 1009; readonly INTERNAL_ERROR: 1011; readonly SERVICE_RESTART: 1012;
  readonly TRY_AGAIN_LATER: 1013; readonly BAD_GATEWAY: 1014;
};
export declare const Format: { readonly AAC: 'aac'; readonly FMP4: 'fmp4'; readonly WEBM: 'webm'; readonly PCM: 'pcm' };
export type FormatName = (typeof Format)[keyof typeof Format];
export declare const DEFAULT_FORMAT: 'fmp4';

/** `{"type":"result",...}`: the audio follows. The fields after `queuedMs` are v1.1's, for inputs it can place. */
export interface ResultMessage {
  type: 'result';
  /** the segment's number on its connection (restarts on a new one) */
  seq: number;
  /** v1.1: the segment's id */
  id?: string;
  format: FormatName;
  bytes: number;
  audioMs: number;
  processingMs: number;
  queuedMs: number;
  pts?: number;
  timescale?: number;
  startSec?: number;
  endSec?: number;
  sampleRate?: number;
  samples?: number;
  trimStartSamples?: number;
  trimEndSamples?: number;
  gapless?: 'copy' | 'warm' | 'cold';
  coldReason?: string;
  /** opaque; the client sends it with the next segment on a new connection */
  carry?: string;
}

/** `{"type":"error",...}`: the segment was not turned into audio. */
export interface ErrorMessage {
  type: 'error';
  seq: number;
  id?: string;
  code: ErrorCodeName;
  message: string;
  retryAfterMs?: number;
}

export type SegmentAnswer =
  | { ok: true; id: string; result: ResultMessage; audio: Uint8Array; attempts: number; latencyMs: number }
  | { ok: false; id: string; error: ErrorMessage; attempts: number; latencyMs: number };

export type ClientEvent =
  | { type: 'open'; protocol: string; version: '1.1' | '1'; reconnect: boolean }
  | { type: 'sent'; id: string; attempt: number;
      retry: { code: ErrorCodeName; retryAfterMs: number; answeredAt: number; resentAfterMs: number } | null }
  | { type: 'retry'; id: string; code: ErrorCodeName; retryAfterMs: number }
  | { type: 'shutting-down'; id: string; retryAfterMs?: number }
  | { type: 'goaway'; reason: string; reconnectAfterMs: number }
  | { type: 'close'; code: number; reason: string }
  | { type: 'reconnecting'; when: string; waitMs: number; attempt: number }
  | { type: 'connect-failed'; message: string; attempt: number }
  | { type: 'reply-timeout'; waitedMs: number }
  | { type: 'duplicate'; id: string };

export interface ClientOptions {
  /** the output format, added to the URL as ?format= (the server's default: fmp4) */
  format?: FormatName;
  /** an access token, or a function asked for one before every connect (so a reconnect gets a fresh one) */
  token?: string | null | (() => string | null | Promise<string | null>);
  /** '1.1' (default: offers vbuf.v1.1, falls back to vbuf.v1) or '1' (offers vbuf.v1 only) */
  protocol?: '1.1' | '1';
  /** segments sent and unanswered at once (default 2) */
  maxInFlight?: number;
  /** overloaded / rate_limited answers retried per segment before it is answered with the error (default 20) */
  maxRetries?: number;
  /** the wait when such an answer carries no retryAfterMs (default 500) */
  defaultRetryAfterMs?: number;
  /** silence while segments are in flight that counts as a network error (default 30000) */
  replyTimeoutMs?: number;
  /** how long end() waits for the server's close before closing itself (default 30000) */
  endTimeoutMs?: number;
  /** a WebSocket class (default: globalThis.WebSocket, else the `ws` package) */
  WebSocket?: unknown;
  /** sees what the session does (sent, retries, closes, reconnects, duplicates) */
  onEvent?: (event: ClientEvent) => void;
}

export interface ClientStats {
  sent: number;
  answered: number;
  retries: number;
  reconnects: number;
  duplicates: number;
  closes: { code: number; reason: string }[];
}

export type SegmentBytes = ArrayBuffer | ArrayBufferView;

export declare class VbufClient {
  constructor(url: string | URL, options?: ClientOptions);
  readonly url: string;
  readonly stats: ClientStats;
  /** '1.1' or '1' while a connection is open */
  readonly version: '1.1' | '1' | null;
  /** the carry of the last answer in media order */
  readonly lastCarry: string | null;
  /** Queues one segment; resolves once with its answer (audio, or an error no retry fixes). */
  send(bytes: SegmentBytes, options?: { id?: string; last?: boolean; carry?: string }): Promise<SegmentAnswer>;
  /** Flush-then-close: resolves when everything sent is answered and the session is closed. */
  end(): Promise<ClientStats>;
  /** Abandons the session: unanswered segments are rejected. */
  close(): void;
}

/** A stop the reconnect contract does not retry (a fatal close, a refused upgrade, too many attempts). */
export declare class VbufFatalError extends Error {
  readonly code: number | null;
  readonly status: number | null;
  readonly reason: string;
}

export interface ReconnectRule {
  when: string;
  verdict: 'resume' | 'fatal';
  hint: string;
  floorMs: number;
}
export declare const CONTRACT: { firstBackoffMs: number; maxBackoffMs: number; attempts: number; rules: ReconnectRule[] };
export declare function closeRule(code: number): ReconnectRule;
export declare function upgradeRule(status: number): ReconnectRule;
export declare function backoffBoundMs(attempt: number): number;
export declare function delayMs(rule: ReconnectRule, hintMs: number, attempt: number): number;
