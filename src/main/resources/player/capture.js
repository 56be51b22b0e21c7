// Records what the page plays (the media element through Web Audio and an AudioWorklet, first channel) and measures
// each join between two segments' audio in two ways:
//  - error against the source: the generated demo's audio is a known chirp (the manifest gives it). Around each join
//    the recording is aligned, to the sample, with the chirp on the stretch before the join (NEAR_MS to FAR_MS
//    before it); the largest |recorded - chirp| within JOIN_MS of the join and after it is then compared with the
//    encode's own error: the largest error on the stretches before the joins, where there is no join. A gap, an
//    overlap, a click or audio out of place makes the error at or after the join jump (the recording no longer
//    follows the chirp there); a gapless join stays at the codec's level.
//  - step: the largest second difference |x[n+1] - 2x[n] + x[n-1]| within JOIN_MS of the join against the same
//    statistic NEAR_MS to FAR_MS either side (no reference needed: a click or a jump raises it).
// The same measurements halfway between joins ("controls") show how far they go with no join at all.
const JOIN_MS = 10;
const NEAR_MS = 60;
const FAR_MS = 300;
const SEARCH_MS = 80;   // how far the alignment with the chirp is searched around the expected place

export async function startCapture(video, state) {
  const ctx = new AudioContext({ sampleRate: 48000 });
  await ctx.audioWorklet.addModule('capture-worklet.js');
  const source = ctx.createMediaElementSource(video);
  const node = new AudioWorkletNode(ctx, 'vbuf-capture', { outputChannelCount: [2] });
  source.connect(node).connect(ctx.destination);
  const chunks = [];
  const marks = [];   // [context time, media time] while playing: maps recorded frames to the media timeline
  node.port.onmessage = (e) => chunks.push(e.data);
  setInterval(() => {
    if (!video.paused && ctx.state === 'running') marks.push([ctx.currentTime, video.currentTime]);
  }, 50);
  if (ctx.state !== 'running') await ctx.resume();
  return {
    sampleRate: ctx.sampleRate,
    analyse: () => analyse(chunks, marks, ctx.sampleRate, state),
  };
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * q))] : NaN;
}

function analyse(chunks, marks, rate, state) {
  if (chunks.length === 0) return { error: 'nothing recorded' };
  const first = chunks[0].frame;
  const lastChunk = chunks.at(-1);
  const x = new Float32Array(lastChunk.frame + lastChunk.data.length - first);
  for (const c of chunks) x.set(c.data, c.frame - first);
  const offsets = marks.slice(Math.min(20, Math.floor(marks.length / 2))).map(([c, m]) => m - c);
  const offset = quantile(offsets, 0.5);
  const index = (mediaSec) => Math.round((mediaSec - offset) * rate) - first;
  const n = (ms) => Math.round((ms * rate) / 1000);
  const chirp = state.manifest && state.manifest.chirp ? state.manifest.chirp[0] : null;
  const origin = state.replies[0].startSec;     // the chirp's t = 0, on the media timeline (before its priming)
  const wave = (t) => chirp.amplitude * Math.sin(2 * Math.PI * (chirp.startHz * t + chirp.sweep * t * t));

  const maxD2 = (a, b) => {
    let m = 0;
    for (let i = Math.max(1, a); i < Math.min(x.length - 1, b); i++) {
      const d = Math.abs(x[i + 1] - 2 * x[i] + x[i - 1]);
      if (d > m) m = d;
    }
    return m;
  };
  const maxErr = (a, b, t0) => {
    let m = 0;
    for (let i = Math.max(0, a); i < Math.min(x.length, b); i++) {
      const d = Math.abs(x[i] - wave(t0 + i / rate));
      if (d > m) m = d;
    }
    return m;
  };
  /** The chirp time of recorded frame 0 that best matches frames [a, b): coarse then fine search. */
  const align = (a, b, guess) => {
    let best = [Infinity, guess];
    const fit = (t0, step) => {
      let e = 0;
      for (let i = a; i < b; i += step) e += (x[i] - wave(t0 + i / rate)) ** 2;
      return e;
    };
    for (let k = -n(SEARCH_MS); k <= n(SEARCH_MS); k++) {
      const e = fit(guess + k / rate, 8);
      if (e < best[0]) best = [e, guess + k / rate];
    }
    const coarse = best[1];
    best = [Infinity, coarse];
    for (let k = -8; k <= 8; k++) {
      const e = fit(coarse + k / rate, 1);
      if (e < best[0]) best = [e, coarse + k / rate];
    }
    return best[1];
  };

  const measure = (id, atSec) => {
    const j = index(atSec);
    if (j - n(FAR_MS) < 1 || j + n(FAR_MS) >= x.length - 1) return null; // not (wholly) recorded
    const around = maxD2(j - n(JOIN_MS), j + n(JOIN_MS));
    const away = Math.max(maxD2(j - n(FAR_MS), j - n(NEAR_MS)), maxD2(j + n(NEAR_MS), j + n(FAR_MS)));
    const m = { id, atSec, stepAround: around, stepAway: away, stepRatio: away > 0 ? around / away : Infinity };
    if (chirp) {
      // recorded frame i is media time (i + first) / rate + offset, chirp time that minus origin (and the codec's delay)
      const t0 = align(j - n(FAR_MS), j - n(NEAR_MS), first / rate + offset - origin);
      m.errorBefore = maxErr(j - n(FAR_MS), j - n(NEAR_MS), t0);
      m.errorAt = maxErr(j - n(JOIN_MS), j + n(JOIN_MS), t0);
      m.errorAfter = maxErr(j + n(NEAR_MS), j + n(FAR_MS), t0);
    }
    return m;
  };
  const joins = [];
  const controls = [];
  const replies = state.replies;
  for (let k = 1; k < replies.length; k++) {
    const j = measure(replies[k].id, replies[k].startSec);
    if (j) joins.push(j);
    const c = measure(`${replies[k - 1].id} middle`, (replies[k - 1].startSec + replies[k - 1].endSec) / 2);
    if (c) controls.push(c);
  }
  const all = [...joins, ...controls];
  const level = chirp ? Math.max(0, ...all.map((m) => m.errorBefore)) : null;
  for (const m of all) if (chirp) m.errorRatio = Math.max(m.errorAt, m.errorAfter) / level;
  return {
    recordedSec: x.length / rate,
    mappingSpreadMs: (quantile(offsets, 0.9) - quantile(offsets, 0.1)) * 1000,
    encodeErrorLevel: level,
    joins, controls,
    maxJoinErrorRatio: chirp ? Math.max(0, ...joins.map((m) => m.errorRatio)) : null,
    maxControlErrorRatio: chirp ? Math.max(0, ...controls.map((m) => m.errorRatio)) : null,
    maxJoinStepRatio: Math.max(0, ...joins.map((m) => m.stepRatio)),
    maxControlStepRatio: Math.max(0, ...controls.map((m) => m.stepRatio)),
  };
}
