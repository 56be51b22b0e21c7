// The player's two small canvas charts. No library: a few lines and bars.
const VIDEO = '#2b6cb0';
const AUDIO = '#dd6b20';
const GRID = '#e3e6eb';
const TEXT = '#4a5366';

function prepare(canvas) {
  const g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.font = '11px system-ui, sans-serif';
  return g;
}

/** Seconds buffered ahead of the playhead over the last minute: video and audio ready, with their current bars. */
export function drawBuffer(canvas, samples, targetSec) {
  const g = prepare(canvas);
  const w = canvas.width - 70;
  const h = canvas.height - 18;
  const top = Math.max(targetSec + 6, ...samples.map((s) => Math.max(s.video, s.audio)));
  const y = (v) => h - (v / top) * (h - 6);
  g.strokeStyle = GRID;
  g.fillStyle = TEXT;
  for (let v = 0; v <= top; v += 4) {
    g.beginPath(); g.moveTo(28, y(v)); g.lineTo(w, y(v)); g.stroke();
    g.fillText(`${v}`, 4, y(v) + 4);
  }
  if (samples.length === 0) return;
  const t1 = samples.at(-1).t;
  const t0 = Math.max(samples[0].t, t1 - 60);
  const x = (t) => 28 + ((t - t0) / Math.max(1, t1 - t0)) * (w - 28);
  for (const [key, color] of [['video', VIDEO], ['audio', AUDIO]]) {
    g.strokeStyle = color;
    g.lineWidth = 1.5;
    g.beginPath();
    let first = true;
    for (const s of samples) {
      if (s.t < t0) continue;
      if (first) g.moveTo(x(s.t), y(s[key])); else g.lineTo(x(s.t), y(s[key]));
      first = false;
    }
    g.stroke();
  }
  g.lineWidth = 1;
  const last = samples.at(-1);
  [['video', VIDEO, 0], ['audio', AUDIO, 1]].forEach(([key, color, i]) => {
    g.fillStyle = color;
    const bx = w + 10 + i * 28;
    g.fillRect(bx, y(last[key]), 20, h - y(last[key]));
    g.fillStyle = TEXT;
    g.fillText(last[key].toFixed(1), bx, h + 13);
  });
}

/** One bar per answered segment: its round trip (sent to audio back), red where it had to be retried. */
export function drawLatency(canvas, latencies, segments) {
  const g = prepare(canvas);
  const h = canvas.height - 18;
  const n = Math.max(segments, latencies.length, 1);
  const top = Math.max(100, ...latencies.map((l) => l.ms)) * 1.15;
  const bw = (canvas.width - 40) / n;
  g.strokeStyle = GRID;
  g.fillStyle = TEXT;
  const step = top > 2000 ? 1000 : top > 400 ? 200 : 50;
  for (let v = 0; v <= top; v += step) {
    const yy = h - (v / top) * (h - 6);
    g.beginPath(); g.moveTo(36, yy); g.lineTo(canvas.width, yy); g.stroke();
    g.fillText(`${v}`, 2, yy + 4);
  }
  latencies.forEach((l, i) => {
    const bh = (l.ms / top) * (h - 6);
    g.fillStyle = l.retried ? '#c53030' : '#38a169';
    g.fillRect(38 + i * bw, h - bh, Math.max(2, bw - 3), bh);
    if (bw > 26) {
      g.fillStyle = TEXT;
      g.fillText(`${Math.round(l.ms)}`, 38 + i * bw, h - bh - 3);
    }
  });
  g.fillStyle = TEXT;
  g.fillText(`${latencies.length} of ${segments} segments`, 40, h + 13);
}
