// vbuf's reference player: video from the demo rendition into one SourceBuffer, each segment sent to vbuf over a
// protocol v1.1 WebSocket by the JavaScript client package (@vbuf/client, served under vbuf-client/), the audio it
// answers appended to a second SourceBuffer where the reply places it. Plain ES modules, no build step. Query parameters: format=fmp4|webm, token=<jwt> (taken out of the address bar at
// once), autoplay=1, ahead=<seconds buffered ahead>, capture=1 (record the page's audio output for the boundary test).
// A page that embeds the player can set window.vbufTokenProvider (a function returning, or resolving to, a token)
// before this module runs: it is asked before every connect, so a reconnect late in a film brings a fresh token.
import { drawBuffer, drawLatency } from './charts.js';
import { VbufClient } from './vbuf-client/index.js';

const params = new URLSearchParams(location.search);
const AHEAD_SEC = Number(params.get('ahead') || 12);   // stop fetching when both tracks are this far ahead
const DRY_SEC = 0.02;                                    // audio ready ahead below this while playing = ran dry
const $ = (id) => document.getElementById(id);

/** Everything the page knows, for the panels and for tests (window.vbufPlayer). */
const state = {
  format: null, status: 'idle', manifest: null,
  segments: 0, videoAppended: 0, audioAppended: 0, sent: [], idsReceived: [], replies: [],
  latencies: [], overloaded: 0, retries: 0, retryLog: [], reconnects: 0, closes: [], failedConnects: 0,
  resent: 0, duplicates: 0, goaways: 0, shuttingDown: 0, tokenRequests: 0,
  underruns: 0, waiting: 0, errors: [], bufferSamples: [],
  buffered: { video: [], audio: [] }, offsetSec: null, currentTime: 0, playing: false, ended: false,
  startedAt: null, playStart: null, allAppended: false, capture: null,
};
window.vbufPlayer = state;

function fail(where, e) {
  const message = `${where}: ${e && e.message ? e.message : e}`;
  state.errors.push(message);
  console.error(message);
  render();
}

function setStatus(s) {
  state.status = s;
  $('status').textContent = s;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET with retries: a network error or a 5xx (e.g. the demo still being prepared, a restarting server) is retried. */
async function fetchBytes(url, what) {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await fetch(url, { cache: 'no-store' });
    } catch (e) {
      res = null;
      if (attempt >= 40) throw new Error(`${what}: ${e.message}`);
    }
    if (res && res.ok) return res;
    if (res) {
      let reason = await res.text();
      try { reason = JSON.parse(reason).message || reason; } catch (e) { /* not JSON */ }
      if (res.status < 500 || attempt >= 40) throw new Error(`${what}: HTTP ${res.status} ${reason}`);
      setStatus(`${what}: HTTP ${res.status} (${reason}); trying again`);
    }
    await sleep(Math.min(250 * 2 ** attempt, 2000));
  }
}

function ranges(tr) {
  const out = [];
  for (let i = 0; i < tr.length; i++) out.push([tr.start(i), tr.end(i)]);
  return out;
}

/** Seconds buffered ahead of t in the range that holds t (0 if t is in none). */
function ahead(list, t) {
  for (const [s, e] of list) if (t >= s - 0.001 && t <= e) return e - t;
  return 0;
}

function append(sb, bytes) {
  return new Promise((resolve, reject) => {
    const done = () => { cleanup(); resolve(); };
    const error = () => { cleanup(); reject(new Error('SourceBuffer error event')); };
    const cleanup = () => { sb.removeEventListener('updateend', done); sb.removeEventListener('error', error); };
    sb.addEventListener('updateend', done);
    sb.addEventListener('error', error);
    try {
      sb.appendBuffer(bytes);
    } catch (e) {
      cleanup();
      reject(e);
    }
  });
}

/** Where the reply says its audio sits: fmp4 at its own timestamps; webm trimmed by the append window. */
async function appendAudio(sb, result, audio) {
  if (state.format === 'webm') {
    sb.timestampOffset = 0;
    sb.appendWindowEnd = Infinity;          // the window must stay start < end while it moves forward
    sb.appendWindowStart = result.startSec;
    sb.appendWindowEnd = result.endSec;
  } else {
    // fmp4: tfdt is the input's time; a misplacement may be asked for to prove the boundary check can fail
    sb.timestampOffset = params.get('fault') === 'shift' && result.index % 2 === 1 ? 0.004 : 0;
  }
  await append(sb, audio);
}

async function play(format, token) {
  state.format = format;
  state.startedAt = performance.now();
  setStatus('loading the demo…');
  const manifest = await (await fetchBytes('demo/manifest.json', 'demo manifest')).json();
  state.manifest = manifest;
  state.segments = manifest.segments.length;
  const audioTrack = manifest.audio.find((a) => a.format === format);
  if (!audioTrack) throw new Error(`unknown format ${format}`);
  for (const type of [manifest.videoMimeType, audioTrack.mimeType]) {
    if (!MediaSource.isTypeSupported(type)) throw new Error(`this browser cannot play ${type}`);
  }

  const video = $('video');
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
  // both SourceBuffers before the first append (a second one added later is refused)
  const vsb = ms.addSourceBuffer(manifest.videoMimeType);
  const asb = ms.addSourceBuffer(audioTrack.mimeType);
  vsb.mode = 'segments';
  asb.mode = 'segments';
  for (const [name, sb] of [['video', vsb], ['audio', asb]]) {
    sb.addEventListener('error', () => fail(`${name} SourceBuffer`, 'error event'));
  }
  video.addEventListener('error', () => fail('media element', video.error && `${video.error.code} ${video.error.message}`));
  video.addEventListener('waiting', () => { if (state.playing && !state.allAppended) state.waiting++; });
  video.addEventListener('ended', () => { state.ended = true; state.playing = false; });
  const snapshot = () => {
    state.buffered.video = ranges(vsb.buffered);
    state.buffered.audio = ranges(asb.buffered);
    state.currentTime = video.currentTime;
  };
  monitor(video, snapshot);

  const p = manifest.protocol;
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${p.path}`;
  // the token, the browser way, asked before every connect: a page may set window.vbufTokenProvider (an async
  // function answering a fresh token) for streams that outlive one
  const tokenProvider = window.vbufTokenProvider ?? (async () => token || null);
  const counted = () => { state.tokenRequests++; return tokenProvider(); };
  const client = new VbufClient(url, { format, token: counted, onEvent: clientEvent });
  for (const seg of manifest.segments) {
    // keep at most AHEAD_SEC buffered in front of the playhead, on both tracks
    while (state.playStart !== null
           && ahead(state.buffered.video, video.currentTime) > AHEAD_SEC
           && ahead(state.buffered.audio, video.currentTime) > AHEAD_SEC) {
      await sleep(100);
    }
    setStatus(`segment ${seg.index + 1} of ${manifest.segments.length}`);
    const [tsRes, videoRes] = await Promise.all([fetchBytes(seg.ts, `segment ${seg.id}`),
                                                 fetchBytes(seg.video, `video ${seg.id}`)]);
    const [ts, mp4] = await Promise.all([tsRes.arrayBuffer(), videoRes.arrayBuffer()]);
    await append(vsb, mp4);
    state.videoAppended++;
    snapshot();
    const last = seg.index === manifest.segments.length - 1;
    // the client sends the carry of the previous answer itself whenever a new connection takes the stream
    const answer = await client.send(ts, { id: seg.id, last });
    if (!answer.ok) {
      // answered with an error that retrying does not fix
      state.errors.push(`${seg.id}: ${answer.error.code}: ${answer.error.message}`);
      render();
      continue;
    }
    state.idsReceived.push(answer.id);
    state.replies.push(withoutCarry(answer.result));
    state.latencies.push({ id: answer.id, ms: answer.latencyMs, processingMs: answer.result.processingMs,
                           retried: answer.attempts > 1, attempts: answer.attempts });
    render();
    const result = { ...answer.result, index: seg.index };
    await appendAudio(asb, result, answer.audio);
    state.audioAppended++;
    snapshot();
    if (state.playStart === null) {
      video.currentTime = Math.max(state.buffered.video[0][0], state.buffered.audio[0][0]);
      state.playStart = video.currentTime;
      if (params.get('capture') === '1') {
        const { startCapture } = await import('./capture.js');
        state.capture = await startCapture(video, state);
      }
      await video.play();
      state.playing = true;
    }
  }
  state.allAppended = true;
  // flush-then-close: `end`, and the server closes 1000 once everything is answered
  client.end().catch((e) => fail('end', e));
  await new Promise((r) => (vsb.updating || asb.updating ? setTimeout(r, 50) : r()));
  snapshot();
  ms.endOfStream();
  setStatus('all segments appended');
}

/** What the client does, into the page's state (the panels, and window.vbufPlayer for the tests). */
function clientEvent(e) {
  if (e.type === 'sent') {
    state.sent.push(e.id);
    if (e.attempt > 1 && !e.retry) state.resent++; // sent again on a new connection, not an overload retry
    if (e.retry) state.retryLog.push({ id: e.id, code: e.retry.code, retryAfterMs: e.retry.retryAfterMs,
                                       resentAfterMs: e.retry.resentAfterMs });
  } else if (e.type === 'retry') {
    state.overloaded++;
    state.retries++;
  } else if (e.type === 'close') {
    state.closes.push({ code: e.code, reason: e.reason, at: state.currentTime });
  } else if (e.type === 'open' && e.reconnect) {
    state.reconnects++;
  } else if (e.type === 'duplicate') {
    state.duplicates++;
  } else if (e.type === 'goaway') {
    state.goaways++;
  } else if (e.type === 'shutting-down') {
    state.shuttingDown++;
  } else if (e.type === 'reconnecting') {
    setStatus(`${e.when}: reconnecting in ${e.waitMs} ms`);
  } else if (e.type === 'connect-failed') {
    state.failedConnects++;
    // a browser is not told why an upgrade failed: a wrong token (401) or origin (403) looks like a server away
    setStatus(`${e.message} (attempt ${e.attempt}; a missing or wrong token, or an origin the server does not allow,`
              + ' is refused before the WebSocket opens)');
  }
  render();
}

function withoutCarry(r) {
  const { carry, ...rest } = r;
  return { ...rest, carryBytes: carry ? carry.length : 0 };
}

/** Samples both buffers every 100 ms: the buffer chart, the offset, and whether the audio ran dry. */
function monitor(video, snapshot) {
  setInterval(() => {
    snapshot();
    const t = video.currentTime;
    const v = ahead(state.buffered.video, t);
    const a = ahead(state.buffered.audio, t);
    const nearEnd = state.allAppended && a < 0.5 && v < 0.5;
    if (state.playing && !video.paused && !nearEnd && a < DRY_SEC) state.underruns++;
    state.bufferSamples.push({ t: (performance.now() - state.startedAt) / 1000, video: v, audio: a });
    if (state.bufferSamples.length > 1200) state.bufferSamples.shift();
    const ve = state.buffered.video.at(-1);
    const ae = state.buffered.audio.at(-1);
    state.offsetSec = ve && ae ? ae[1] - ve[1] : null;
    state.startOffsetSec = ve && ae ? state.buffered.audio[0][0] - state.buffered.video[0][0] : null;
    render();
  }, 100);
}

let pending = false;
function render() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    drawBuffer($('buffer-chart'), state.bufferSamples, AHEAD_SEC);
    drawLatency($('latency-chart'), state.latencies, state.segments);
    $('s-segments').textContent = `${state.videoAppended} video, ${state.audioAppended} audio of ${state.segments}`
      + ` · playhead ${state.currentTime.toFixed(2)} s`;
    $('s-offset').textContent = state.offsetSec === null ? '–'
      : `buffered ends ${(state.offsetSec * 1000).toFixed(1)} ms apart · starts ${(state.startOffsetSec * 1000).toFixed(1)} ms`;
    $('s-retries').textContent = `${state.overloaded} overloaded · ${state.retries} retries`;
    $('s-reconnects').textContent = `${state.reconnects}` + (state.closes.length
      ? ` (closes: ${state.closes.map((c) => c.code).join(', ')})` : '')
      + (state.goaways ? ` · ${state.goaways} goaway` : '')
      + ` · ${state.resent} resent · ${state.duplicates} duplicate answers`;
    $('s-underruns').textContent = `${state.underruns} × 100 ms samples`;
    $('s-ids').textContent = state.idsReceived.join(' ');
    $('s-errors').textContent = state.errors.length ? state.errors.join('; ') : 'none';
    $('s-errors').className = state.errors.length ? 'bad' : '';
  });
}

const form = $('controls');
const formatParam = params.get('format');
if (formatParam) $('format').value = formatParam;
if (params.has('token')) {
  // the token stays in memory only: out of the address bar (and so out of history and bookmarks) at once
  $('token').value = params.get('token');
  params.delete('token');
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
}
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  $('start').disabled = true;
  play($('format').value, $('token').value.trim()).catch((e) => { fail('player', e); setStatus(`stopped: ${e.message}`); });
});
render();
if (params.get('autoplay') === '1') form.requestSubmit();
