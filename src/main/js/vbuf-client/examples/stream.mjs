#!/usr/bin/env node
// Streams segment files to vbuf and writes the audio it answers, in order, to one file.
//   node examples/stream.mjs URL SEGMENT... [--format aac|fmp4|webm|pcm] [--out FILE]
// URL: ws(s)://host/v1/segments. A token, when the server needs one, comes from VBUF_TOKEN (read before every
// connect). The replies are concatenated: for aac and pcm that is the stream's audio, gapless (the server trims;
// aac from AAC input is a stream copy); for fmp4 and webm see docs/client.md, "Per-format placement and MSE".
// Under Node 20 this needs the `ws` package (npm install ws).
import { open, readFile } from 'node:fs/promises';

import { DEFAULT_FORMAT, Format, VbufClient } from '@vbuf/client';

function usage(message) {
  process.stderr.write(`stream.mjs: ${message}\n`
    + 'usage: node examples/stream.mjs URL SEGMENT... [--format aac|fmp4|webm|pcm] [--out FILE]\n');
  process.exit(2);
}

function parse(argv) {
  const o = { format: DEFAULT_FORMAT, out: null, url: null, segments: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--format' || a === '--out') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      o[a.slice(2)] = argv[++i];
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else if (o.url === null) {
      o.url = a;
    } else {
      o.segments.push(a);
    }
  }
  if (!o.url) usage('no URL');
  if (o.segments.length === 0) usage('no segment files');
  if (!Object.values(Format).includes(o.format)) usage(`unknown format ${o.format}`);
  return o;
}

const o = parse(process.argv.slice(2));
const out = o.out ? await open(o.out, 'w') : null;
const client = new VbufClient(o.url, {
  format: o.format,
  token: async () => process.env.VBUF_TOKEN || null,
  onEvent: (e) => {
    if (e.type === 'retry') process.stderr.write(`${e.id}: ${e.code}, again in ${e.retryAfterMs} ms\n`);
    if (e.type === 'reconnecting') process.stderr.write(`${e.when}: reconnecting in ${e.waitMs} ms\n`);
  },
});

let failed = 0;
let audioMs = 0;
let bytes = 0;
const started = Date.now();
try {
  // a few files read ahead, not all of them: the client sends them in order, at most maxInFlight at once
  const pending = [];
  const take = async () => {
    const a = await pending.shift();
    if (a.ok) {
      audioMs += a.result.audioMs;
      bytes += a.audio.length;
      if (out) await out.write(a.audio);
    } else {
      failed++;
      process.stderr.write(`${a.id}: ${a.error.code}: ${a.error.message}\n`);
    }
  };
  for (let i = 0; i < o.segments.length; i++) {
    const segment = await readFile(o.segments[i]);
    pending.push(client.send(segment, { id: `${i}:${o.segments[i]}`, last: i === o.segments.length - 1 }));
    if (pending.length >= 4) await take();
  }
  while (pending.length > 0) await take();
  const stats = await client.end();
  process.stderr.write(`${o.segments.length - failed} of ${o.segments.length} segments answered, ${bytes} bytes`
    + ` (${audioMs} ms) of ${o.format} in ${Date.now() - started} ms; ${stats.retries} retries,`
    + ` ${stats.reconnects} reconnects${o.out ? `; written to ${o.out}` : ''}\n`);
} catch (e) {
  process.stderr.write(`stream.mjs: ${e.message}\n`);
  failed = Math.max(failed, 1);
} finally {
  await out?.close();
}
process.exit(failed > 0 ? 1 : 0);
