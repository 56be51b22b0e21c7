// The reconnect contract (docs/protocol.md, "Reconnect contract"): what a client does when its WebSocket closes, or
// its upgrade is refused, before every segment it sent is answered. The same table as vbuf's own Java client
// (ReconnectContractTest holds this copy equal to dev.vbuf.protocol.Reconnect): a fault of the client's own (1002,
// 1003, 1007-1009, other codes) stops with a message, since a new connection would end the same way; anything else
// is resumed on a new connection after a jittered back-off, never sooner than the server asked.
// A browser is not told an upgrade's HTTP status: a refused upgrade (a wrong token, a full instance) closes 1006.
export const CONTRACT = /* contract: start */ {
  "firstBackoffMs": 250, "maxBackoffMs": 8000, "attempts": 8,
  "rules": [
    {"when": "close 1000", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1001", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1002", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "close 1003", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "close 1005", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1006", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1007", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "close 1008", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "close 1009", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "close 1011", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1012", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close 1013", "verdict": "resume", "hint": "", "floorMs": 1000},
    {"when": "close 1014", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "close, any other code", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "upgrade 429", "verdict": "resume", "hint": "Retry-After", "floorMs": 0},
    {"when": "upgrade 503", "verdict": "resume", "hint": "Retry-After", "floorMs": 0},
    {"when": "upgrade, other 5xx", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "upgrade, other 4xx", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "upgrade, any other status", "verdict": "fatal", "hint": "", "floorMs": 0},
    {"when": "network error", "verdict": "resume", "hint": "", "floorMs": 0},
    {"when": "goaway", "verdict": "resume", "hint": "reconnectAfterMs", "floorMs": 0},
    {"when": "error shutting_down", "verdict": "resume", "hint": "retryAfterMs", "floorMs": 0}
  ]
} /* contract: end */;

const byWhen = new Map(CONTRACT.rules.map((r) => [r.when, r]));

/** The row for a close code (a failed upgrade and a cut both close 1006 in a browser). */
export function closeRule(code) {
  return byWhen.get(`close ${code}`) ?? byWhen.get('close, any other code');
}

export const GOAWAY = byWhen.get('goaway');
export const SHUTTING_DOWN = byWhen.get('error shutting_down');
export const NETWORK = byWhen.get('network error');

/** The row for a refused upgrade's HTTP status (known under Node's `ws`, never in a browser). */
export function upgradeRule(status) {
  return byWhen.get(`upgrade ${status}`)
    ?? byWhen.get(status >= 500 && status < 600 ? 'upgrade, other 5xx'
      : status >= 400 && status < 500 ? 'upgrade, other 4xx' : 'upgrade, any other status');
}

/** Upper bound of the back-off after `attempt` attempts in a row without an answer. */
export function backoffBoundMs(attempt) {
  return Math.min(CONTRACT.maxBackoffMs, CONTRACT.firstBackoffMs * 2 ** Math.max(0, attempt));
}

/** The wait before the next connect: the server's figure or the row's floor, plus full jitter. */
export function delayMs(rule, hintMs, attempt) {
  return Math.max(rule.floorMs, hintMs || 0) + Math.floor(Math.random() * (backoffBoundMs(attempt) + 1));
}

/**
 * A `Retry-After` header in milliseconds from `nowMs`: delay-seconds or an HTTP date (RFC 9110 10.2.3); 0 when absent
 * or unreadable.
 */
export function retryAfterMs(value, nowMs) {
  if (value == null) return 0;
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? 0 : Math.max(0, at - nowMs);
}
