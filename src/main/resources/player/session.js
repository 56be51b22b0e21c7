// One protocol v1.1 WebSocket to vbuf, reopened by the reconnect contract (reconnect.js): exchange() sends one segment
// (its text message, then its bytes) and resolves with the reply, retrying the same segment after `retryAfterMs` when
// it is answered overloaded or rate_limited, and resending it on a new connection when the old one closed before the
// answer, after a goaway, or when it was answered shutting_down. A fatal close stops the stream with a message naming
// the code. Segments go one at a time, so answers cannot be misattributed, and the carry of the previous reply travels
// with each segment: any instance can continue the stream gaplessly. An answer to a segment already answered (sent
// twice across a reconnect) is dropped and counted in state.duplicates.
import { CONTRACT, GOAWAY, NETWORK, SHUTTING_DOWN, closeRule, delayMs } from './reconnect.js';

const RETRYABLE = new Set(['overloaded', 'rate_limited']);
const MAX_ATTEMPTS = 30;

export class SegmentSession {
  /**
   * `protocols`: the sub-protocols to offer, or a token-provider hook: an async function asked before every connect
   * for them (so a reconnect after a token expired offers a fresh one).
   */
  constructor(url, protocols, protocol, state, onChange, onStatus) {
    this.url = url;
    this.protocols = typeof protocols === 'function' ? protocols : async () => protocols;
    this.subprotocol = protocol.subprotocol;
    this.state = state;
    state.duplicates ??= 0;
    state.reconnects ??= 0;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.ws = null;
    this.waiter = null;   // {resolve, reject, id} of the exchange in flight
    this.result = null;   // the result text message whose audio comes next
    this.opened = 0;
    this.tried = 0;       // attempts in a row that brought no answer
    this.leaving = null;  // {rule, hintMs}: a goaway or shutting_down; the next exchange goes to a new connection
    this.closed = false;
  }

  /** Waits as the contract says, then opens the WebSocket (again); gives up after CONTRACT.attempts in a row. */
  async connect(rule, hintMs) {
    for (;;) {
      if (this.tried >= CONTRACT.attempts) {
        throw new Error(`gave up after ${this.tried} connections in a row brought no answer (last: ${rule.when})`);
      }
      if (this.opened > 0 || this.tried > 0) {
        const wait = delayMs(rule, hintMs, this.tried);
        this.onStatus(`${rule.when}: reconnecting in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
      this.tried++;
      try {
        const protocols = await this.protocols();
        this.ws = await this.open(protocols);
        if (this.opened++ > 0) this.state.reconnects++;
        this.onChange();
        return;
      } catch (e) {
        if (e instanceof Fatal) throw e;
        // a browser is not told why an upgrade failed: a wrong token (401) or origin (403) looks like a server away
        this.onStatus(`${e.message} (attempt ${this.tried}; a missing or wrong token, or an origin the server does`
                      + ' not allow, is refused before the WebSocket opens)');
        rule = NETWORK;
        hintMs = 0;
      }
    }
  }

  open(protocols) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, protocols);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        if (ws.protocol !== this.subprotocol) {
          ws.close();
          reject(new Fatal(`the server selected sub-protocol '${ws.protocol}', not ${this.subprotocol}`));
          return;
        }
        resolve(ws);
      };
      ws.onerror = () => reject(new Error(`cannot open ${this.url}`));
      ws.onmessage = (ev) => this.message(ev.data);
      ws.onclose = (ev) => {
        if (ws !== this.ws) return;
        this.ws = null;
        this.state.closes.push({ code: ev.code, reason: ev.reason, at: this.state.currentTime });
        if (this.waiter) this.waiter.reject(new Closed(ev.code, ev.reason));
        this.onChange();
      };
    });
  }

  message(data) {
    const w = this.waiter;
    if (typeof data === 'string') {
      const m = JSON.parse(data);
      if (m.type === 'goaway') {
        // no new segment on this connection: the answer due comes, then the next segment goes to a new one
        this.leaving = { rule: GOAWAY, hintMs: m.reconnectAfterMs || 0 };
      } else if (m.type === 'result') {
        this.result = m;
      } else if (m.type === 'error') {
        if (w && m.id === w.id) w.resolve({ error: m });
        else this.duplicate();
      }
      return;
    }
    if (this.result) {
      const result = this.result;
      this.result = null;
      if (w && result.id === w.id) w.resolve({ result, audio: data });
      else this.duplicate();
    }
  }

  duplicate() {
    this.state.duplicates++; // an answer to a segment sent twice across a reconnect: passed on once
    this.onChange();
  }

  /** Sends one segment until it is answered with audio; null if it was answered with an error retrying cannot fix. */
  async exchange(meta, bytes) {
    const s = this.state;
    let overloadedHere = false;
    let why = { rule: NETWORK, hintMs: 0 };
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.leaving && this.ws) {
        why = this.leaving;
        const ws = this.ws;
        this.ws = null;
        ws.close(1000, 'reconnecting');
      }
      this.leaving = null;
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) await this.connect(why.rule, why.hintMs);
      const sentAt = performance.now();
      let reply;
      try {
        reply = await new Promise((resolve, reject) => {
          this.waiter = { resolve, reject, id: meta.id };
          this.result = null;
          this.ws.send(JSON.stringify(meta));
          this.ws.send(bytes);
          s.sent.push(meta.id);
        });
      } catch (e) {
        if (!(e instanceof Closed)) throw e;
        const rule = closeRule(e.code);
        if (rule.verdict !== 'resume') {
          throw new Fatal(`the server closed the session with ${e.code}${e.reason ? ` (${e.reason})` : ''}:`
                          + ` not resumable (the reconnect contract stops on ${rule.when})`);
        }
        why = { rule, hintMs: 0 };
        continue; // resend this segment on a new connection
      } finally {
        this.waiter = null;
      }
      this.tried = 0; // an answer: the count of attempts in a row starts again
      const id = reply.error ? reply.error.id : reply.result.id;
      if (reply.error) {
        if (reply.error.code === 'shutting_down') {
          // nothing wrong with the segment: the next connection takes it
          this.leaving = { rule: SHUTTING_DOWN, hintMs: reply.error.retryAfterMs || 0 };
          continue;
        }
        if (RETRYABLE.has(reply.error.code)) {
          s.overloaded++;
          s.retries++;
          overloadedHere = true;
          this.onChange();
          const wait = reply.error.retryAfterMs ?? 500;
          const answeredAt = performance.now();
          await new Promise((r) => setTimeout(r, wait));
          s.retryLog.push({ id: meta.id, code: reply.error.code, retryAfterMs: wait,
                            resentAfterMs: performance.now() - answeredAt });
          continue;
        }
        s.errors.push(`${meta.id}: ${reply.error.code}: ${reply.error.message}`);
        return null;
      }
      s.idsReceived.push(id);
      s.replies.push(withoutCarry(reply.result));
      s.latencies.push({ id, ms: performance.now() - sentAt, processingMs: reply.result.processingMs,
                         retried: overloadedHere, attempts: attempt + 1 });
      this.onChange();
      return reply;
    }
    throw new Error(`${meta.id}: not answered after ${MAX_ATTEMPTS} attempts`);
  }

  /** After the last segment: `end`, so the server answers what is pending and closes 1000 (1003 from an older one). */
  close() {
    this.closed = true;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      try {
        ws.send(JSON.stringify({ type: 'end' }));
      } catch (e) {
        // already closing
      }
      setTimeout(() => { if (ws.readyState !== WebSocket.CLOSED) ws.close(1000, 'done'); }, 5000);
    }
  }
}

class Closed extends Error {
  constructor(code, reason) {
    super(`closed with ${code}`);
    this.code = code;
    this.reason = reason;
  }
}

/** A stop the contract does not retry; its message names the cause. */
class Fatal extends Error {
}

function withoutCarry(r) {
  const { carry, ...rest } = r;
  return { ...rest, carryBytes: carry ? carry.length : 0 };
}
