// Drives the reference player in the system's Chromium (headless, through playwright-core) for PlayerBrowserTest.
// Usage: NODE_PATH=<dir with node_modules> node drive.cjs '<options as JSON>'
//   options: url (the page, with its query), chromium (executable), screenshot (PNG to write), minPlaySec (seconds of
//   playback to wait for), untilAllAppended (also wait until every segment is appended), timeoutSec.
//   Or: loads (a list of page addresses) and chromium: each page opened once, in a fresh browser context, until its
//   module graph ran (window.vbufPlayer exists); prints [{url, ran, errors}] with every page error, console error and
//   failed request of each load.
// Prints "progress <seconds played>" lines on stderr while it plays, and the page's window.vbufPlayer (with the audio
// capture's analysis, when the page records one) as JSON on stdout at the end.
const fs = require("fs");
const os = require("os");
const path = require("path");
const { chromium } = require("playwright-core");

const ARGS = ["--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required",
              "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
              "--disable-quic"];

async function loads(o) {
  const browser = await chromium.launch({ executablePath: o.chromium, headless: true, args: ARGS });
  const out = [];
  try {
    for (const url of o.loads) {
      const context = await browser.newContext();
      const errors = [];
      try {
        const page = await context.newPage();
        page.on("pageerror", (e) => errors.push(`pageerror: ${e}`));
        page.on("console", (m) => { if (m.type() === "error") errors.push(`console: ${m.text()}`); });
        page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
        await page.goto(url, { waitUntil: "load" });
        const ran = await page.waitForFunction(() => window.vbufPlayer !== undefined, null, { timeout: 10000 })
          .then(() => true, () => false);
        out.push({ url, ran, errors });
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify(out));
}

async function main() {
  const o = JSON.parse(process.argv[2]);
  if (o.loads) return loads(o);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "vbuf-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: o.chromium,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: ARGS,
  });
  const pageErrors = [];
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (m) => process.stderr.write(`console ${m.type()}: ${m.text()}\n`));
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    await page.goto(o.url);
    const deadline = Date.now() + o.timeoutSec * 1000;
    for (;;) {
      const s = await page.evaluate(() => {
        const p = window.vbufPlayer;
        return { played: p.playStart === null ? 0 : p.currentTime - p.playStart, all: p.allAppended,
                 ended: p.ended, errors: p.errors.length, status: p.status };
      });
      process.stderr.write(`progress ${s.played.toFixed(2)} ${s.status}\n`);
      if (s.errors > 0 || pageErrors.length > 0 || s.ended) break;
      if (s.played >= o.minPlaySec && (s.all || !o.untilAllAppended)) break;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await page.screenshot({ path: o.screenshot });
    const result = await page.evaluate(() => {
      const p = window.vbufPlayer;
      const out = JSON.parse(JSON.stringify({ ...p, capture: null, manifest: null }));
      out.playedSec = p.playStart === null ? 0 : p.currentTime - p.playStart;
      if (p.capture) out.capture = p.capture.analyse();
      const v = document.getElementById("video");
      out.mediaError = v.error ? `${v.error.code} ${v.error.message}` : null;
      out.paused = v.paused;
      return out;
    });
    result.pageErrors = pageErrors;
    process.stdout.write(JSON.stringify(result));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + "\n");
  process.exit(1);
});
