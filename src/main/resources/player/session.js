// One protocol v1.1 session with vbuf that keeps the reconnect contract (reconnect.js, the server's own table):
// exchange() sends one segment (its text message, then its bytes) and resolves with the reply, retrying the same
// segment after `retryAfterMs` when it is answered overloaded or rate_limited. When the connection ends before the
// answer, the contract decides: a fatal close (1002, 1003, 1007-1009, ...) stops with a message saying why; a
// resumable one (a cut, a drain, a full instance, ...) opens a new connection after the contract's wait (back-off with
// full jitter, never sooner than the server asked) and resends the segment there. A goaway, or a segment answered
// shutting_down, means no new segment on this connection: the next one goes to a new connection. Segments go one at a
// time, so answers cannot be misattributed, and the carry of the previous reply travels with each segment: any
// instance can continue the stream gaplessly. The token is asked of the token provider before every connect.
import { CONTRACT, closeRule, delayMs, goawayRule, networkRule, shuttingDownRule } from './reconnect.js';

const RETRYABLE = new Set(['overloaded', 'rate_limited']);
const SHUTTING_DOWN = 'shutting_down';
const MAX_ATTEMPTS = 30; // sends of one segment (retries and resends) before the page gives up on it

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The session cannot go on: a new connection would end the same way (or too many in a row brought no answer). */
export class Fatal extends Error {}

export class SegmentSession {
  /**
   * @param protocol      the manifest's protocol names (subprotocol, tokenPrefix)
   * @param tokenProvider called before every connect; returns (or resolves to) the access token, or null for none
   */
  constructor(url, protocol, state, onChange, onStatus, tokenProvider) {
    this.url = url;
    this.subprotocol = protocol.subprotocol;
    this.tokenPrefix = protocol.tokenPrefix;
    this.tokenProvider = tokenProvider || (() => null);
    this.state = state;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.ws = null;
    this.waiter = null;    // {resolve, reject} of the exchange in flight
    this.result = null;    // the result text message whose audio comes next
    this.opened = 0;
    this.closed = false;
    this.ending = null;    // {rule, hintMs, why}: how the last connection ended, or the last connect failed
    this.tried = 0;        // connect attempts since the last answer
    this.leaving = null;   // a goaway or shutting_down rule: no new segment on this connection
    this.hintMs = 0;       // the wait the server named on this connection
    this.answered = new Set();
  }

  /** Opens a WebSocket, first waiting as the contract says for how the last one ended. */
  async connect() {
    for (;;) {
      if (this.ending) {
        const { rule, hintMs, why } = this.ending;
        if (rule.verdict !== 'resume') {
          throw new Fatal(`${why}: not resumed (the reconnect contract stops on ${rule.when})`);
        }
        if (this.tried >= CONTRACT.attempts) {
          throw new Fatal(`${why}; ${this.tried} attempts in a row brought no answer`);
        }
        const wait = delayMs(rule, hintMs, this.tried);
        this.onStatus(`${why}; reconnecting in ${Math.round(wait)} ms`);
        await sleep(wait);
        this.tried++;
      }
      try {
        const token = await this.tokenProvider();
        this.state.tokenRequests++;
        this.ws = await this.open([this.subprotocol, ...(token ? [this.tokenPrefix + token] : [])]);
      } catch (e) {
        if (e instanceof Fatal) throw e;
        this.state.failedConnects++;
        // a browser is not told why an upgrade failed: a wrong token (401) or origin (403) looks like a server away
        this.ending = { rule: networkRule(), hintMs: 0,
                        why: `${e.message} (a missing or wrong token, or an origin the server does not allow, is`
                             + ' refused before the WebSocket opens)' };
        continue;
      }
      if (this.opened++ > 0) this.state.reconnects++;
      this.ending = null;
      this.leaving = null;
      this.hintMs = 0;
      this.onChange();
      return;
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
        if (ws !== this.ws) return; // not open yet (onerror rejected), or left on purpose
        this.ws = null;
        this.state.closes.push({ code: ev.code, reason: ev.reason, at: this.state.currentTime });
        this.ending = { rule: closeRule(ev.code), hintMs: this.hintMs,
                        why: `closed with ${ev.code}${ev.reason ? ` (${ev.reason})` : ''}` };
        if (this.waiter) this.waiter.reject(new Closed(ev.code));
        this.onChange();
      };
    });
  }

  message(data) {
    const w = this.waiter;
    if (typeof data === 'string') {
      const m = JSON.parse(data);
      if (m.type === 'goaway') {
        this.state.goaways++;
        this.leave(goawayRule(), m.reconnectAfterMs);
      } else if (m.type === 'result') {
        this.result = m;
      } else if (m.type === 'error' && this.answered.has(m.id)) {
        this.state.duplicates++; // never answered twice to the page
      } else if (m.type === 'error' && w) {
        w.resolve({ error: m });
      }
      return;
    }
    const result = this.result;
    this.result = null;
    if (result && this.answered.has(result.id)) {
      this.state.duplicates++;
    } else if (w && result) {
      w.resolve({ result, audio: data });
    }
  }

  /** No new segment on this connection (a goaway, a shutting_down answer): the next one goes to a new one. */
  leave(rule, hintMs) {
    this.leaving = this.leaving || rule;
    this.hintMs = Math.max(this.hintMs, hintMs || 0);
  }

  /** Closes a connection the server asked to leave, once nothing is in flight on it. */
  closeLeft() {
    const ws = this.ws;
    this.ws = null;
    this.ending = { rule: this.leaving, hintMs: this.hintMs, why: `the server asked to reconnect (${this.leaving.when})` };
    ws.close(1000, 'reconnecting');
  }

  /** Sends one segment until it is answered with audio; null if it was answered with an error retrying cannot fix. */
  async exchange(meta, bytes) {
    const s = this.state;
    let overloadedHere = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (this.ws && this.leaving) this.closeLeft();
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) await this.connect();
      const sentAt = performance.now();
      let reply;
      try {
        reply = await new Promise((resolve, reject) => {
          this.waiter = { resolve, reject };
          this.result = null;
          this.ws.send(JSON.stringify(meta));
          this.ws.send(bytes);
          s.sent.push(meta.id);
        });
      } catch (e) {
        if (e instanceof Closed) {
          s.resent++; // its connection ended before the answer: the server may have processed it
          continue;  // resend this segment on a new connection
        }
        throw e;
      } finally {
        this.waiter = null;
      }
      const id = reply.error ? reply.error.id : reply.result.id;
      if (id !== meta.id) throw new Error(`answer for '${id}' while waiting for '${meta.id}'`);
      if (reply.error) {
        if (reply.error.code === SHUTTING_DOWN) {
          s.shuttingDown++;
          this.leave(shuttingDownRule(), reply.error.retryAfterMs);
          continue; // not taken: sent again on the next connection
        }
        if (RETRYABLE.has(reply.error.code)) {
          s.overloaded++;
          s.retries++;
          overloadedHere = true;
          this.onChange();
          const wait = reply.error.retryAfterMs ?? 500;
          const answeredAt = performance.now();
          await sleep(wait);
          s.retryLog.push({ id: meta.id, code: reply.error.code, retryAfterMs: wait,
                            resentAfterMs: performance.now() - answeredAt });
          continue;
        }
        this.tried = 0;
        this.answered.add(id);
        s.errors.push(`${meta.id}: ${reply.error.code}: ${reply.error.message}`);
        return null;
      }
      this.tried = 0;
      this.answered.add(id);
      s.idsReceived.push(id);
      s.replies.push(withoutCarry(reply.result));
      s.latencies.push({ id, ms: performance.now() - sentAt, processingMs: reply.result.processingMs,
                         retried: overloadedHere, attempts: attempt + 1 });
      this.onChange();
      return reply;
    }
    throw new Fatal(`${meta.id}: not answered after ${MAX_ATTEMPTS} attempts`);
  }

  close() {
    this.closed = true;
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000, 'done');
    }
  }
}

class Closed extends Error {
  constructor(code) {
    super(`closed with ${code}`);
    this.code = code;
  }
}

function withoutCarry(r) {
  const { carry, ...rest } = r;
  return { ...rest, carryBytes: carry ? carry.length : 0 };
}
