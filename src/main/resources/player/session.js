// One protocol v1.1 WebSocket to vbuf, reopened when the server closes it (1001 on a drain, an idle timeout, a network
// change): exchange() sends one segment (its text message, then its bytes) and resolves with the reply, retrying the
// same segment after `retryAfterMs` when it is answered overloaded or rate_limited, and resending it on the new
// connection when the old one closed before the answer. Segments go one at a time, so answers cannot be misattributed,
// and the carry of the previous reply travels with each segment: any instance can continue the stream gaplessly.
const RETRYABLE = new Set(['overloaded', 'rate_limited']);
const MAX_ATTEMPTS = 30;

export class SegmentSession {
  constructor(url, protocols, protocol, state, onChange, onStatus) {
    this.url = url;
    this.protocols = protocols;
    this.subprotocol = protocol.subprotocol;
    this.state = state;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.ws = null;
    this.waiter = null;   // {resolve, reject} of the exchange in flight
    this.result = null;   // the result text message whose audio comes next
    this.opened = 0;
    this.closed = false;
  }

  /** Opens the WebSocket (again), with backoff while the server is away. */
  async connect() {
    for (let attempt = 0; ; attempt++) {
      try {
        this.ws = await this.open();
        if (this.opened++ > 0) this.state.reconnects++;
        this.onChange();
        return;
      } catch (e) {
        if (attempt >= MAX_ATTEMPTS) throw e;
        // a browser is not told why an upgrade failed: a wrong token (401) or origin (403) looks like a server away
        this.onStatus(`${e.message} (attempt ${attempt + 1}; a missing or wrong token, or an origin the server does`
                      + ' not allow, is refused before the WebSocket opens)');
        await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 2000)));
      }
    }
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url, this.protocols);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        if (ws.protocol !== this.subprotocol) {
          ws.close();
          reject(new Error(`the server selected sub-protocol '${ws.protocol}', not ${this.subprotocol}`));
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
        if (this.waiter) this.waiter.reject(new Closed(ev.code));
        this.onChange();
      };
    });
  }

  message(data) {
    const w = this.waiter;
    if (typeof data === 'string') {
      const m = JSON.parse(data);
      if (m.type === 'result') {
        this.result = m;
      } else if (m.type === 'error' && w) {
        w.resolve({ error: m });
      }
      return;
    }
    if (w && this.result) {
      const result = this.result;
      this.result = null;
      w.resolve({ result, audio: data });
    }
  }

  /** Sends one segment until it is answered with audio; null if it was answered with an error retrying cannot fix. */
  async exchange(meta, bytes) {
    const s = this.state;
    let overloadedHere = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
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
        if (e instanceof Closed) continue; // resend this segment on a new connection
        throw e;
      } finally {
        this.waiter = null;
      }
      const id = reply.error ? reply.error.id : reply.result.id;
      if (id !== meta.id) throw new Error(`answer for '${id}' while waiting for '${meta.id}'`);
      if (reply.error) {
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
