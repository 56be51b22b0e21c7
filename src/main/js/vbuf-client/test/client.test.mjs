// The client against real vbuf servers (node --test). JsClientLiveTest starts them and sets:
//   VBUF_TEST_URL             a server with its defaults
//   VBUF_TEST_URL_RATE        one whose session rate a quick start exceeds (rate_limited with retryAfterMs)
//   VBUF_TEST_URL_OVERLOADED  one with a single FFmpeg slot and no queue (a second segment at once: overloaded)
//   VBUF_TEST_URL_CUT         a proxy in front of the first that cuts every connection, no close frame (1006)
//   VBUF_TEST_URL_SMALL_FRAME one whose frame limit is below a segment (the session is closed 1009: fatal)
//   VBUF_TEST_URL_AUTH        one with a secret key; VBUF_TEST_TOKEN a token it accepts
//   VBUF_TEST_URL_FULL        one that serves a single session (upgrades beyond it: 503 with Retry-After)
//   VBUF_TEST_RETRY_AFTER_MS  the Retry-After that server sends, in ms
//   VBUF_TEST_SEGMENTS        a directory of consecutive MPEG-TS segments seg-0.ts, seg-1.ts, …
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { CloseCode, ErrorCode, Format, VbufClient, VbufFatalError } from '../index.js';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (JsClientLiveTest sets it)`);
  return v;
};
const dir = env('VBUF_TEST_SEGMENTS');
const SEGMENTS = readdirSync(dir).filter((f) => /^seg-\d+\.ts$/.test(f))
  .sort((a, b) => Number(a.match(/\d+/)[0]) - Number(b.match(/\d+/)[0]))
  .map((f) => readFileSync(join(dir, f)));

// every client made here, closed at the end whatever a test left open (so node exits)
const clients = [];
after(() => clients.forEach((c) => c.close()));
function make(url, options) {
  const c = new VbufClient(url, options);
  clients.push(c);
  return c;
}

function events(client) {
  const seen = [];
  client.options.onEvent = (e) => seen.push(e);
  return seen;
}

test('v1.1: three segments answered in order, placed, the carry handed on, then end', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL'), { format: Format.AAC, token: async () => null });
  const answers = await Promise.all(SEGMENTS.slice(0, 3).map((s, i) => client.send(s, { last: i === 2 })));
  assert.equal(client.version, '1.1');
  assert.deepEqual(answers.map((a) => a.ok), [true, true, true]);
  assert.deepEqual(answers.map((a) => a.id), ['seg-0', 'seg-1', 'seg-2']);
  for (const a of answers) {
    assert.equal(a.result.type, 'result');
    assert.equal(a.result.format, Format.AAC);
    assert.equal(a.audio.length, a.result.bytes, 'the audio is the announced bytes');
    assert.ok(a.result.audioMs > 1500, `about 2 s of audio: ${a.result.audioMs}`);
  }
  assert.equal(answers[0].result.endSec.toFixed(6), answers[1].result.startSec.toFixed(6), 'replies meet exactly');
  assert.equal(answers[1].result.endSec.toFixed(6), answers[2].result.startSec.toFixed(6));
  assert.equal(client.lastCarry, answers[2].result.carry);
  const stats = await client.end();
  assert.deepEqual(stats.closes.map((c) => c.code), [CloseCode.NORMAL], 'end: the server closed 1000');
  assert.equal(stats.reconnects, 0);
  assert.equal(stats.duplicates, 0);
});

test('the token provider is asked before every connect, and v1 is spoken where only v1 is offered', { timeout: 60_000 }, async () => {
  let asked = 0;
  const token = () => {
    asked++;
    return null;
  };
  const client = make(env('VBUF_TEST_URL'), { format: Format.PCM, protocol: '1', token });
  const a = await client.send(SEGMENTS[0]);
  assert.equal(client.version, '1');
  assert.ok(a.ok);
  assert.equal(a.result.id, undefined, 'a v1 reply has no id');
  assert.equal(a.result.startSec, undefined, 'nor a placement');
  assert.equal(a.audio.length % 2, 0);
  await client.end();
  assert.equal(asked, 1);
});

test('rate_limited: the same segment is sent again after retryAfterMs and answered', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL_RATE'), { format: Format.AAC });
  const seen = events(client);
  const answers = await Promise.all(SEGMENTS.slice(0, 3).map((s) => client.send(s)));
  assert.deepEqual(answers.map((a) => a.ok), [true, true, true]);
  const retries = seen.filter((e) => e.type === 'retry');
  assert.ok(retries.length >= 1, 'answered rate_limited at least once');
  assert.ok(retries.every((r) => r.code === ErrorCode.RATE_LIMITED && r.retryAfterMs > 0));
  const resent = seen.filter((e) => e.type === 'sent' && e.retry);
  assert.equal(resent.length, retries.length);
  for (const r of resent) assert.ok(r.retry.resentAfterMs >= r.retry.retryAfterMs - 1, JSON.stringify(r));
  assert.equal(client.stats.retries, retries.length);
  await client.end();
});

test('overloaded: a segment the server could not start is retried until it is answered', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL_OVERLOADED'), { format: Format.AAC, maxInFlight: 2 });
  const seen = events(client);
  const answers = await Promise.all(SEGMENTS.slice(0, 4).map((s) => client.send(s)));
  assert.deepEqual(answers.map((a) => a.ok), [true, true, true, true]);
  const retries = seen.filter((e) => e.type === 'retry');
  assert.ok(retries.length >= 1, 'answered overloaded at least once');
  assert.ok(retries.every((r) => r.code === ErrorCode.OVERLOADED));
  await client.end();
});

test('connections cut without a close frame: resumed, every segment answered once, in order', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL_CUT'), { format: Format.PCM });
  const seen = events(client);
  const answers = [];
  for (let i = 0; i < SEGMENTS.length; i++) {
    answers.push(client.send(SEGMENTS[i], { id: `cut-${i}`, last: i === SEGMENTS.length - 1 }));
    await new Promise((r) => setTimeout(r, 400)); // paced, so cuts fall between and during segments
  }
  const got = await Promise.all(answers);
  assert.deepEqual(got.map((a) => a.id), SEGMENTS.map((_, i) => `cut-${i}`));
  assert.ok(got.every((a) => a.ok), 'nothing unanswered');
  assert.ok(client.stats.reconnects >= 1, `reconnected: ${JSON.stringify(client.stats)}`);
  assert.ok(client.stats.closes.some((c) => c.code === CloseCode.ABNORMAL), 'a cut is seen as 1006');
  const opens = seen.filter((e) => e.type === 'open');
  assert.equal(opens.length, client.stats.reconnects + 1);
  // resumed with the carry: every segment after the first decoded warm, across the cuts too
  const cold = got.slice(1).filter((a) => a.result.gapless !== 'warm').map((a) => `${a.id}: ${a.result.gapless}`
                                                                                  + ` ${a.result.coldReason ?? ''}`);
  assert.deepEqual(cold, []);
  await client.end();
});

test('a fatal close (1009: a frame over the server\'s limit) rejects with the code, and is not retried', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL_SMALL_FRAME'), { format: Format.AAC });
  const seen = events(client);
  await assert.rejects(client.send(SEGMENTS[0]), (e) => {
    assert.ok(e instanceof VbufFatalError, String(e));
    assert.equal(e.code, CloseCode.MESSAGE_TOO_BIG);
    assert.match(e.message, /1009/);
    return true;
  });
  assert.equal(seen.filter((e) => e.type === 'open').length, 1, 'no reconnect after a fatal close');
  await assert.rejects(client.send(SEGMENTS[1]), VbufFatalError);
});

test('a token from the provider opens the session; a refused one stops with its HTTP status', { timeout: 60_000 }, async () => {
  const tokens = [env('VBUF_TEST_TOKEN')];
  const client = make(env('VBUF_TEST_URL_AUTH'), { format: Format.AAC, token: async () => tokens.shift() });
  assert.ok((await client.send(SEGMENTS[0])).ok);
  await client.end();
  assert.equal(tokens.length, 0, 'asked before the connect');

  const refused = make(env('VBUF_TEST_URL_AUTH'), { format: Format.AAC, token: 'not-a-token' });
  await assert.rejects(refused.send(SEGMENTS[0]), (e) => {
    assert.ok(e instanceof VbufFatalError, String(e));
    assert.equal(e.status, 401);
    return true;
  });
});

test('a full server\'s 503 is resumed no sooner than its Retry-After, and the segment answered', { timeout: 60_000 }, async () => {
  const url = env('VBUF_TEST_URL_FULL');
  const holder = make(url, { format: Format.AAC });
  assert.equal((await holder.send(SEGMENTS[0])).ok, true); // the one session slot, held open
  const client = make(url, { format: Format.AAC });
  const seen = events(client);
  const asked = Number(env('VBUF_TEST_RETRY_AFTER_MS'));
  let released = false;
  const prev = client.options.onEvent;
  client.options.onEvent = (e) => {
    prev(e);
    if (e.type === 'reconnecting' && !released) { // refused once: give the slot back while the client waits
      released = true;
      holder.close();
    }
  };
  const answer = await client.send(SEGMENTS[1]);
  assert.equal(answer.ok, true);
  const waits = seen.filter((e) => e.type === 'reconnecting');
  assert.ok(waits.length >= 1, JSON.stringify(seen));
  assert.equal(waits[0].when, 'upgrade 503');
  assert.ok(waits[0].waitMs >= asked, `waited ${waits[0].waitMs} ms, the server asked for ${asked}`);
  assert.ok(seen.some((e) => e.type === 'connect-failed' && /HTTP 503/.test(e.message)), JSON.stringify(seen));
  await client.end();
});

test('an error no retry fixes is answered once, and the session goes on', { timeout: 60_000 }, async () => {
  const client = make(env('VBUF_TEST_URL'), { format: Format.AAC });
  const [bad, good] = await Promise.all([client.send(new TextEncoder().encode('not a video segment')),
                                         client.send(SEGMENTS[0])]);
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, ErrorCode.INVALID_MEDIA);
  assert.equal(bad.attempts, 1);
  assert.equal(good.ok, true);
  await client.end();
});
