// The reconnect contract (docs/protocol.md, "Reconnect contract"): for every way a connection can end, whether the
// session is resumed on a new connection or stopped, and the least wait. A copy of the server's protocol/Reconnect,
// whose json() it must equal: ReconnectContractTest reads the JSON between the two markers below and fails if they
// differ, so change Reconnect.java and paste its json() here.
export const CONTRACT = /* contract */ {
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
} /* end contract */;

const rule = (when) => CONTRACT.rules.find((r) => r.when === when);

/** The row for a WebSocket close code (a browser reports a cut, and a refused upgrade, as 1006). */
export function closeRule(code) {
  return rule(`close ${code}`) || rule('close, any other code');
}

/** The row for a connect that failed before the WebSocket opened. */
export function networkRule() {
  return rule('network error');
}

/** The row for a goaway, or for a segment answered shutting_down. */
export function goawayRule() {
  return rule('goaway');
}

export function shuttingDownRule() {
  return rule('error shutting_down');
}

/**
 * The wait before the next connect: the larger of the row's floor and the server's figure (ms, 0 for none), plus a
 * uniform draw from 0 to min(maxBackoffMs, firstBackoffMs * 2^attempt) (full jitter).
 */
export function delayMs(r, hintMs, attempt) {
  const bound = Math.min(CONTRACT.maxBackoffMs, CONTRACT.firstBackoffMs * 2 ** Math.min(attempt, 20));
  return Math.max(r.floorMs, hintMs || 0) + Math.random() * bound;
}
