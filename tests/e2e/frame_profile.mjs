// Where one frame's main-thread time goes on the three heaviest live pages (the budgets test's
// `frame work` pages), from a Chromium performance trace: the app's animation-frame callback
// (the simulation's share, `use_playback`'s "sim" user-timing measure), the microtasks after it
// (Yew's render: the diff and the DOM calls it makes), style, layout, pre-paint and paint.
// Run by hand against a served build:
//
//   E2E_BASE=http://127.0.0.1:8772/playground/ node tests/e2e/frame_profile.mjs [speed ...]
//
// Prints, per page and speed, the mean and p95 per frame of each phase and of their sum; with
// FRAME_CPU=1 the phases are the main thread's CPU time (trace `tdur`) rather than wall time.
import { loadavg } from 'node:os';
import { launch, openPage, url, waitForApp } from './browser.mjs';

const twenty = Array(20).fill(1).join(',');
const LIVE = [
  { name: 'locks, 16 workers', path: 'locks?workers=16&speed=', play: 'page-locks' },
  { name: 'load balancing, 20 servers', path: `load-balancing?weights=${twenty}&rate=1000&conc=16&dur=3600000&speed=`, play: 'page-load-balancing' },
  { name: 'cache-aside, 1000 users', path: 'redis?seed=1&rate=100&users=1000&skew=1&ttl=30&speed=', play: 'cache-aside' },
];
const CPU = process.env.FRAME_CPU === '1';
const speeds = process.argv.slice(2).map(Number).filter((n) => n > 0);

const PHASES = {
  raf: ['FireAnimationFrame'],
  microtasks: ['RunMicrotasks'],
  style: ['UpdateLayoutTree', 'RecalculateStyles'],
  layout: ['Layout'],
  prepaint: ['PrePaint'],
  paint: ['Paint', 'PaintImage', 'Layerize', 'Commit'],
  gc: ['MinorGC', 'MajorGC', 'V8.GC_SCAVENGER', 'BlinkGC.AtomicPhase'],
};

async function trace(page, ms) {
  const cdp = await page.context().newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  const done = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8'] },
  });
  await page.waitForTimeout(ms);
  await cdp.send('Tracing.end');
  await done;
  await cdp.detach();
  return events;
}

function analyse(events) {
  // The renderer's main thread: where the animation frames fire.
  const raf = events.find((e) => e.name === 'FireAnimationFrame');
  if (!raf) return null;
  const main = events.filter((e) => e.pid === raf.pid && e.tid === raf.tid && e.ph === 'X');
  const frames = main.filter((e) => e.name === 'FireAnimationFrame').map((e) => e.ts).sort((a, b) => a - b);
  // Each frame: from one animation-frame callback to the next; a phase's time is the sum of its
  // top-level events in that span.
  const per = frames.slice(0, -1).map(() => Object.fromEntries(Object.keys(PHASES).map((k) => [k, 0])));
  const phaseOf = Object.fromEntries(Object.entries(PHASES).flatMap(([k, names]) => names.map((n) => [n, k])));
  const sims = events.filter((e) => e.name === 'sim' && e.cat.includes('user_timing'));
  for (const e of main) {
    const k = phaseOf[e.name];
    if (!k) continue;
    let i = frames.findLastIndex((t) => t <= e.ts);
    if (i < 0 || i >= per.length) continue;
    // FRAME_CPU=1: the main thread's CPU time (`tdur`) instead of wall time, which on a loaded
    // machine also counts the waits for a core.
    per[i][k] += ((CPU ? e.tdur : e.dur) ?? e.dur ?? 0) / 1000;
  }
  const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0; };
  const out = {};
  for (const k of Object.keys(PHASES)) {
    const xs = per.map((f) => f[k]);
    out[k] = { mean: xs.reduce((a, b) => a + b, 0) / (xs.length || 1), p95: pct(xs, 0.95) };
  }
  const sum = per.map((f) => f.raf + f.microtasks + f.style + f.layout + f.prepaint + f.paint + f.gc);
  out.total = { mean: sum.reduce((a, b) => a + b, 0) / (sum.length || 1), p95: pct(sum, 0.95) };
  out.frames = per.length;
  if (process.env.FRAME_ROWS) out.rows = per.slice(0, Number(process.env.FRAME_ROWS));
  out.sim_marks = sims.length;
  return out;
}

const context = await launch();
const page = await openPage(context);
await page.setViewportSize({ width: 1440, height: 900 });
for (const live of LIVE) {
  for (const speed of speeds.length ? speeds : [100, 1000]) {
    await page.goto(url(`${live.path}${speed}`));
    await waitForApp(page);
    const scope = page.getByTestId(live.play);
    await scope.getByTestId('play-toggle').first().click();
    await page.waitForTimeout(500);
    const r = analyse(await trace(page, 2000));
    await scope.getByTestId('play-toggle').first().click();
    const dom = await page.evaluate(() => document.getElementsByTagName('*').length);
    if (!r) { console.log(`${live.name} at ${speed}×: no animation frames traced`); continue; }
    for (const row of r.rows ?? []) console.log(Object.entries(row).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(" "));
    const f = (k) => `${k} ${r[k].mean.toFixed(1)}/${r[k].p95.toFixed(1)}`;
    console.log(`${live.name} at ${speed}×: ${r.frames} frames, ms per frame mean/p95: ` +
      `${['raf', 'microtasks', 'style', 'layout', 'prepaint', 'paint', 'gc', 'total'].map(f).join(', ')}; ` +
      `${dom} DOM elements; load ${loadavg()[0].toFixed(1)}`);
  }
}
if (page.errors.length) console.log(`console errors: ${page.errors.join('; ')}`);
await context.close();
