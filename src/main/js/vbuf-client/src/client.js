// The vbuf client: segments in, audio out, over one WebSocket at a time that the reconnect contract reopens.
//
// send() queues a segment and resolves with its answer once: audio (a result) or an error no retry fixes. Segments
// go in the order send() was called, at most `maxInFlight` unanswered on the connection at once (pipelining; the
// server's own default is 2 per session). `overloaded` and `rate_limited` answers are retried after their
// `retryAfterMs`, the later segments waiting behind (media order). A connection that closes before its segments are
// answered is reopened as reconnect.js says (a fatal close stops with an error naming the code), and every
// unanswered segment is sent again there, the first with the carry of the answer before it, so any instance can
// continue the stream gaplessly. An answer to a segment already answered is dropped and counted. end() flushes:
// the queue goes out, then `end`, and the server closes once everything is answered.
import { CONTRACT, GOAWAY, NETWORK, SHUTTING_DOWN, closeRule, delayMs, retryAfterMs, upgradeRule } from './reconnect.js';
import { ErrorCode, FORMAT_PARAM, MessageType, RETRY_SAME_CONNECTION, Subprotocol,
  TOKEN_PROTOCOL_PREFIX } from './protocol.js';
import { webSocketClass } from './websocket.js';

const OPEN = 1;
const DEFAULTS = {
  maxInFlight: 2,
  maxRetries: 20,
  defaultRetryAfterMs: 500,
  replyTimeoutMs: 30_000,
  endTimeoutMs: 30_000,
  leaveTimeoutMs: 2_000,
};

/** A stop: the reconnect contract does not retry it (a fatal close, a refused token, too many attempts). */
export class VbufFatalError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'VbufFatalError';
    this.code = details.code ?? null;     // the close code, if a close ended it
    this.status = details.status ?? null; // the upgrade's HTTP status, if known
    this.reason = details.reason ?? '';
  }
}

class ConnectFailed extends Error {
  constructor(message, rule, hintMs = 0) {
    super(message);
    this.rule = rule;
    this.hintMs = hintMs;
  }
}

export class VbufClient {
  /**
   * @param {string|URL} url  ws(s)://host/v1/segments (a `format` option is added as ?format=)
   * @param {object} [options] see index.d.ts
   */
  constructor(url, options = {}) {
    this.options = { ...DEFAULTS, ...options };
    const u = new URL(String(url));
    if (options.format) u.searchParams.set(FORMAT_PARAM, options.format);
    this.url = u.toString();
    const token = options.token;
    this.tokenProvider = typeof token === 'function' ? token : async () => token ?? null;
    this.offer = options.protocol === '1' ? [Subprotocol.V1] : [Subprotocol.V1_1, Subprotocol.V1];
    this.stats = { sent: 0, answered: 0, retries: 0, reconnects: 0, duplicates: 0, closes: [] };
    this.queue = [];          // segments not yet answered, in send() order
    this.conn = null;         // the open connection, or null
    this.connecting = false;
    this.nextConnect = null;  // {rule, hintMs}: why the next connect waits
    this.tried = 0;           // connections in a row that brought no answer
    this.opened = 0;
    this.ordinal = 0;
    this.carries = new Map(); // ordinal → carry of its answer (the last few)
    this.timer = null;
    this.failed = null;
    this.ending = null;       // {promise, resolve, reject} once end() was called
  }

  /** The sub-protocol version of the open connection ('1.1' or '1'), or null. */
  get version() {
    return this.conn ? this.conn.version : null;
  }

  /** The carry of the last answer in media order: keep it to resume a stream in another client later. */
  get lastCarry() {
    let best = -1;
    for (const k of this.carries.keys()) best = Math.max(best, k);
    return best < 0 ? null : this.carries.get(best);
  }

  /**
   * Queues one segment (its bytes: ArrayBuffer, a typed array or a Node Buffer); resolves with its answer.
   * @returns {Promise<import('../index.js').SegmentAnswer>}
   */
  send(bytes, { id, last = false, carry } = {}) {
    if (this.failed) return Promise.reject(this.failed);
    if (this.ending) return Promise.reject(new Error('send() after end()'));
    const ordinal = this.ordinal++;
    const segId = id ?? `seg-${ordinal}`;
    if (this.queue.some((s) => s.id === segId)) {
      return Promise.reject(new TypeError(`segment id '${segId}' is already waiting for its answer`));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: segId, ordinal, bytes, last, carry: carry ?? null, resolve, reject, state: 'queued',
                        conn: null, attempts: 0, firstSentAt: 0, notBefore: 0, retry: null, retries: 0 });
      this.pump();
    });
  }

  /** Flush-then-close: every queued segment is sent and answered, then the session ends (close 1000). */
  end() {
    if (this.ending) return this.ending.promise;
    let resolve;
    let reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    this.ending = { promise, resolve, reject };
    if (this.failed) reject(this.failed);
    else this.pump();
    return promise;
  }

  /** Abandons the session at once: the connection closes, every unanswered segment is rejected. */
  close() {
    this.fail(new Error('closed by the client'));
  }

  emit(event) {
    if (this.options.onEvent) {
      try {
        this.options.onEvent(event);
      } catch (e) {
        // a listener's fault is not the session's
      }
    }
  }

  /** Decides what happens next: connect, send the next segment, send `end`, or leave a connection. */
  pump() {
    if (this.failed) return;
    clearTimeout(this.timer);
    this.timer = null;
    const c = this.conn;
    const next = this.queue.find((s) => s.state === 'queued');
    if (!next) {
      if (this.ending && this.queue.length === 0 && !c && !this.connecting) {
        this.ending.resolve(this.stats);
      } else if (this.ending && c && !c.endSent && !c.leaving) {
        this.sendEnd(c);
      } else if (c && c.leaving && c.inFlight.length === 0 && !c.endSent) {
        this.awaitClose(c);
      }
      return;
    }
    if (!c) {
      if (!this.connecting) this.connect();
      return;
    }
    if (c.leaving || c.endSent) {
      if (c.inFlight.length === 0 && !c.endSent) this.awaitClose(c);
      return; // no new segment on a connection that is going away; the next one takes it
    }
    if (c.inFlight.length >= this.options.maxInFlight) return;
    const wait = next.notBefore - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.pump(), wait);
      return;
    }
    this.transmit(c, next);
    this.pump();
  }

  transmit(c, s) {
    if (c.version === '1.1') {
      const m = { type: MessageType.SEGMENT, id: s.id };
      const carry = c.sentAny ? null : (s.carry ?? this.carries.get(s.ordinal - 1) ?? null);
      if (carry) m.carry = carry;
      if (s.last) m.last = true;
      c.ws.send(JSON.stringify(m));
    }
    c.ws.send(s.bytes);
    c.sentAny = true;
    s.state = 'sent';
    s.conn = c;
    s.attempts++;
    s.firstSentAt ||= Date.now();
    c.inFlight.push(s);
    c.lastHeard = Date.now();
    this.stats.sent++;
    const retry = s.retry && { ...s.retry, resentAfterMs: Date.now() - s.retry.answeredAt };
    s.retry = null;
    this.emit({ type: 'sent', id: s.id, attempt: s.attempts, retry });
  }

  sendEnd(c) {
    if (c.version === '1.1') {
      c.ws.send(JSON.stringify({ type: MessageType.END }));
      c.endSent = true;
      c.endTimer = setTimeout(() => this.leave(c), this.options.endTimeoutMs);
    } else {
      // v1 has no `end`: everything is answered, so the client closes
      c.endSent = true;
      this.leave(c, 1000, 'done');
    }
  }

  /**
   * A connection that is going away (a goaway, a shutting_down answer) with every answer in: the server closes it
   * (1001) next; if that does not come soon, the client leaves by itself.
   */
  awaitClose(c) {
    c.leaveTimer ??= setTimeout(() => this.leave(c), this.options.leaveTimeoutMs);
  }

  /** Closes a connection that has nothing more to do (a goaway's, a shutting_down's, a finished one). */
  leave(c, code = 1000, reason = 'reconnecting') {
    if (c.closing) return;
    c.closing = true;
    try {
      c.ws.close(code, reason);
    } catch (e) {
      // already closing
    }
    // a close the server does not answer still ends the connection for the client
    c.closeTimer = setTimeout(() => this.closed(c, 1006, 'no close frame back'), 5_000);
  }

  connect() {
    this.connecting = true;
    (async () => {
      for (;;) {
        if (this.tried >= CONTRACT.attempts) {
          const last = this.nextConnect ? this.nextConnect.rule.when : 'network error';
          throw new VbufFatalError(`gave up after ${this.tried} connections in a row brought no answer`
                                   + ` (last: ${last})`);
        }
        const why = this.nextConnect;
        if (why) {
          const waitMs = delayMs(why.rule, why.hintMs, this.tried);
          this.emit({ type: 'reconnecting', when: why.rule.when, waitMs, attempt: this.tried + 1 });
          await new Promise((r) => setTimeout(r, waitMs));
          if (this.failed) return;
        }
        this.tried++;
        try {
          const c = await this.open();
          if (this.failed) {
            c.ws.close(1000, 'closed by the client');
            return;
          }
          this.conn = c;
          if (this.opened++ > 0) this.stats.reconnects++;
          this.nextConnect = null;
          this.emit({ type: 'open', protocol: c.ws.protocol, version: c.version, reconnect: this.opened > 1 });
          return;
        } catch (e) {
          if (e instanceof VbufFatalError) throw e;
          this.nextConnect = { rule: e.rule ?? NETWORK, hintMs: e.hintMs ?? 0 };
          this.emit({ type: 'connect-failed', message: e.message, attempt: this.tried });
        }
      }
    })().then(() => {
      this.connecting = false;
      this.pump();
    }, (e) => {
      this.connecting = false;
      this.fail(e);
    });
  }

  async open() {
    const WebSocketClass = await webSocketClass(this.options.WebSocket);
    const token = await this.tokenProvider();
    const protocols = [...this.offer, ...(token ? [TOKEN_PROTOCOL_PREFIX + token] : [])];
    return new Promise((resolve, reject) => {
      let ws;
      try {
        ws = new WebSocketClass(this.url, protocols);
      } catch (e) {
        reject(new VbufFatalError(`cannot open ${this.url}: ${e.message}`));
        return;
      }
      ws.binaryType = 'arraybuffer';
      // Node's ws hands over a refused upgrade's response: its status and Retry-After (a browser is told neither;
      // the close is 1006); the request is then ended, which ws reports to onerror below
      let refusal = null;
      if (typeof ws.on === 'function') {
        ws.on('unexpected-response', (req, res) => {
          refusal = { status: res.statusCode, retryAfterMs: retryAfterMs(res.headers['retry-after'], Date.now()) };
          res.resume();
          req.destroy(new Error(`the upgrade was refused with HTTP ${res.statusCode}`));
        });
      }
      const c = { ws, version: null, inFlight: [], leaving: null, endSent: false, closing: false, sentAny: false,
                  result: null, lastHeard: Date.now(), done: false, watch: null };
      let opened = false;
      ws.onopen = () => {
        opened = true;
        const p = ws.protocol;
        if (p !== '' && !this.offer.includes(p)) {
          ws.close(1000, 'unexpected sub-protocol');
          reject(new VbufFatalError(`the server selected sub-protocol '${p}', not one of ${this.offer.join(', ')}`));
          return;
        }
        c.version = p === Subprotocol.V1_1 ? '1.1' : '1';
        c.watch = setInterval(() => this.watch(c), Math.min(1_000, this.options.replyTimeoutMs));
        resolve(c);
      };
      ws.onerror = () => {
        if (opened) return; // a close follows
        if (refusal) {
          const rule = upgradeRule(refusal.status);
          const message = `the upgrade was refused with HTTP ${refusal.status}`;
          reject(rule.verdict === 'resume' ? new ConnectFailed(message, rule, refusal.retryAfterMs)
            : new VbufFatalError(`${message}: not resumable (the reconnect contract stops on ${rule.when})`,
              { status: refusal.status }));
        } else {
          reject(new ConnectFailed(`cannot open ${this.url}`, NETWORK));
        }
      };
      ws.onclose = (ev) => {
        if (!opened) {
          reject(new ConnectFailed(`cannot open ${this.url} (closed ${ev.code})`, NETWORK));
          return;
        }
        this.closed(c, ev.code, ev.reason || '');
      };
      ws.onmessage = (ev) => this.message(c, ev.data);
    });
  }

  /** A connection silent for the reply timeout while segments are in flight counts as a network error. */
  watch(c) {
    if (c.done || c.inFlight.length === 0) return;
    if (Date.now() - c.lastHeard > this.options.replyTimeoutMs) {
      this.emit({ type: 'reply-timeout', waitedMs: Date.now() - c.lastHeard });
      c.timedOut = true;
      this.leave(c, 1000, 'no reply in time');
    }
  }

  message(c, data) {
    c.lastHeard = Date.now();
    if (typeof data === 'string') {
      let m;
      try {
        m = JSON.parse(data);
      } catch (e) {
        return; // not one of vbuf's messages
      }
      if (m.type === MessageType.GOAWAY) {
        // no new segment here: the answers due come, then the next segment goes to a new connection
        c.leaving = { rule: GOAWAY, hintMs: m.reconnectAfterMs || 0 };
        this.emit({ type: 'goaway', reason: m.reason, reconnectAfterMs: m.reconnectAfterMs });
        this.pump();
      } else if (m.type === MessageType.RESULT) {
        c.result = m;
      } else if (m.type === MessageType.ERROR) {
        const s = this.take(c, m.id);
        if (s) this.answerError(c, s, m);
        else this.duplicate(m.id);
      }
      return;
    }
    const m = c.result;
    c.result = null;
    if (!m) return; // audio without its result: not vbuf's protocol; nothing to attribute it to
    const s = this.take(c, m.id);
    if (!s) {
      this.duplicate(m.id);
      return;
    }
    const audio = data instanceof ArrayBuffer ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.answered(s);
    if (m.carry) {
      this.carries.set(s.ordinal, m.carry);
      for (const k of this.carries.keys()) if (k < s.ordinal - 8) this.carries.delete(k);
    }
    s.resolve({ ok: true, id: s.id, result: m, audio, attempts: s.attempts, latencyMs: Date.now() - s.firstSentAt });
    this.pump();
  }

  /** The in-flight segment an answer belongs to: by id in v1.1, the oldest in v1 (answers come in order). */
  take(c, id) {
    const i = c.version === '1.1' && id != null ? c.inFlight.findIndex((s) => s.id === id) : 0;
    if (i < 0 || i >= c.inFlight.length) return null;
    return c.inFlight.splice(i, 1)[0];
  }

  answered(s) {
    this.tried = 0; // an answer: the count of attempts in a row starts again
    const i = this.queue.indexOf(s);
    if (i >= 0) this.queue.splice(i, 1);
    this.stats.answered++;
  }

  duplicate(id) {
    this.stats.duplicates++; // an answer to a segment sent twice across a reconnect: passed on once
    this.emit({ type: 'duplicate', id });
  }

  answerError(c, s, m) {
    this.tried = 0;
    if (m.code === ErrorCode.SHUTTING_DOWN) {
      // nothing wrong with the segment: the next connection takes it
      s.state = 'queued';
      c.leaving ??= { rule: SHUTTING_DOWN, hintMs: m.retryAfterMs || 0 };
      this.emit({ type: 'shutting-down', id: s.id, retryAfterMs: m.retryAfterMs });
      this.pump();
      return;
    }
    if (RETRY_SAME_CONNECTION.includes(m.code) && s.retries < this.options.maxRetries) {
      const retryAfterMs = m.retryAfterMs ?? this.options.defaultRetryAfterMs;
      s.state = 'queued';
      s.retries++;
      s.notBefore = Date.now() + retryAfterMs;
      s.retry = { code: m.code, retryAfterMs, answeredAt: Date.now() };
      this.stats.retries++;
      this.emit({ type: 'retry', id: s.id, code: m.code, retryAfterMs });
      this.pump();
      return;
    }
    this.answered(s);
    s.resolve({ ok: false, id: s.id, error: m, attempts: s.attempts, latencyMs: Date.now() - s.firstSentAt });
    this.pump();
  }

  closed(c, code, reason) {
    if (c.done) return;
    c.done = true;
    clearInterval(c.watch);
    clearTimeout(c.endTimer);
    clearTimeout(c.closeTimer);
    clearTimeout(c.leaveTimer);
    if (this.conn === c) this.conn = null;
    this.stats.closes.push({ code, reason });
    this.emit({ type: 'close', code, reason });
    for (const s of c.inFlight) s.state = 'queued'; // sent again on the next connection, in media order
    c.inFlight = [];
    if (this.failed) return;
    if (this.queue.length === 0) {
      // nothing unanswered: a finished session (after `end`, 1000; 1003 from a server that predates it), or an
      // idle one the server closed; the next send() opens a new connection at once
      this.nextConnect = null;
      this.pump();
      return;
    }
    let rule;
    let hintMs = 0;
    if (c.closing && !c.timedOut) {
      ({ rule, hintMs } = c.leaving ?? { rule: closeRule(1000), hintMs: 0 });
    } else if (c.timedOut) {
      rule = NETWORK;
    } else if (c.leaving && (code === 1001 || code === 1000)) {
      ({ rule, hintMs } = c.leaving); // the close a goaway or shutting_down announced
    } else {
      rule = closeRule(code);
    }
    if (rule.verdict !== 'resume') {
      this.fail(new VbufFatalError(`the server closed the session with ${code}${reason ? ` (${reason})` : ''}: not`
                                   + ` resumable (the reconnect contract stops on ${rule.when})`, { code, reason }));
      return;
    }
    this.nextConnect = { rule, hintMs };
    this.pump();
  }

  fail(e) {
    if (this.failed) return;
    this.failed = e;
    clearTimeout(this.timer);
    const c = this.conn;
    this.conn = null;
    if (c) {
      c.done = true;
      clearInterval(c.watch);
      clearTimeout(c.endTimer);
      try {
        c.ws.close(1000, 'closed by the client');
      } catch (ignored) {
        // already closing
      }
    }
    for (const s of this.queue) s.reject(e);
    this.queue = [];
    if (this.ending) this.ending.reject(e);
  }
}
