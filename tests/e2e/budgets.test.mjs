// Budgets, printed beside their goals and never asserted (this machine is shared; its load, not
// the page, decides timings from run to run — the host's load average is printed with them):
//   - first render, cold (HTTP cache off, a fresh page, localhost) for every page the nav lists:
//     navigation start to the page component in the DOM and to the end of the frame that painted it;
//   - first-load bytes: what the Pages build serves for a first visit (wasm + js + css), gzip -9;
//   - per-frame work (not the frame interval) at 16 workers on /locks, 20 servers on
//     /load-balancing and cache-aside with 1000 users on /redis, each at 100× and 1000×;
//   - memory: every live page played at 1000× for a few seconds (about 50 s in all), the wasm memory
//     and JS heap before and after (the 10-minute soak is tests/e2e/memory_soak.mjs, run by hand).
// The figures are also saved to target/screenshots/budgets.json.
//
// Before/after in one run: with E2E_COMPARE_BASE set to a second served build (e.g. main's), every
// frame-work figure is measured on both builds in turn, under the same load, and printed side by side.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  launch, openPage, url, SHOTS, navRoutes, waitForApp, frameWork, frameLine, firstRender, firstLoadBytes,
} from './browser.mjs';
import { LIVE_PAGES, watchWasm, startLive, memorySample, mb } from './memory.mjs';

const COMPARE = process.env.E2E_COMPARE_BASE;
const GOALS = { first_render_ms: 500, frame_work_p95_ms: 8, first_load_gzip_kb: 600 };
const report = { goals: GOALS, first_render: [], first_load: [], frame_work: [], memory: [] };

let context;
before(async () => { context = await launch(); });
after(async () => {
  await context?.close();
  writeFileSync(join(SHOTS, 'budgets.json'), JSON.stringify(report, null, 2));
});

const load = () => loadavg()[0].toFixed(1);
const mark = (v, goal) => (v <= goal ? 'within' : 'OVER');

test('budget: first render, cold, of every page (printed beside the goal)', async () => {
  const page = await openPage(context);
  const routes = await navRoutes(page);
  await page.close();
  for (const { name, path } of [...routes, { name: '404', path: 'no/such/page' }]) {
    // The first visit of each page in a fresh page with the HTTP cache off; twice, the best is kept
    // (the first also pays for Chromium's own warm-up on a busy machine).
    const runs = [await firstRender(context, path), await firstRender(context, path)];
    for (const r of runs) assert.deepEqual(r.errors, [], `${name}: no console errors while loading`);
    const best = runs.reduce((a, b) => (b.painted_ms < a.painted_ms ? b : a));
    report.first_render.push({ page: name, path, ...best, errors: undefined, load_1m: +load() });
    console.log(`budget first render ${name.padEnd(15)} painted ${best.painted_ms.toFixed(0).padStart(5)} ms ` +
      `(mounted ${best.mounted_ms.toFixed(0)} ms, loading state painted ${best.fcp_ms?.toFixed(0) ?? '?'} ms) ` +
      `goal ≤ ${GOALS.first_render_ms} ms: ${mark(best.painted_ms, GOALS.first_render_ms)}; load ${load()}`);
  }
});

test('budget: first-load bytes of every landing page as the Pages build serves them, one wasm bundle each (printed beside the goal)', async () => {
  const page = await openPage(context);
  const routes = await navRoutes(page);
  await page.close();
  const kb = (n) => (n / 1000).toFixed(1);
  report.first_load = [];
  for (const { name, path } of routes) {
    const b = await firstLoadBytes(context, path);
    const app = ['wasm', 'js', 'css'].reduce((t, k) => t + (b.by_kind[k]?.gzip ?? 0), 0);
    const wasm = b.files.filter((f) => f.kind === 'wasm');
    report.first_load.push({ page: name, ...b, app_gzip: app });
    for (const f of b.files) console.log(`budget first load ${name}: ${f.kind.padEnd(5)} ${f.path}: ${kb(f.raw)} KB raw, ${kb(f.gzip)} KB gzip`);
    console.log(`budget first load ${name.padEnd(15)} wasm + js + css: ${kb(app).padStart(7)} KB gzip (wasm ${kb(b.by_kind.wasm?.gzip ?? 0)} ` +
      `${wasm.map((f) => f.path.split('/').pop().replace(/-[0-9a-f]+_bg\.wasm$/, '')).join(', ')}, js ${kb(b.by_kind.js?.gzip ?? 0)}, ` +
      `css ${kb(b.by_kind.css?.gzip ?? 0)}; the document ${kb(b.by_kind.html?.gzip ?? 0)} more) goal ≤ ${GOALS.first_load_gzip_kb} KB: ` +
      `${mark(app / 1000, GOALS.first_load_gzip_kb)}`);
    assert.equal(wasm.length, 1, `${name}: exactly one wasm bundle is downloaded (got ${wasm.map((f) => f.path).join(', ')})`);
    assert.ok(b.by_kind.js?.gzip > 0 && b.by_kind.css?.gzip > 0, `${name}: the loader and the styles were fetched`);
  }
  const home = report.first_load.find((r) => r.path === '');
  console.log(`budget first load (headline) home: ${kb(home.app_gzip)} KB gzip, goal ≤ ${GOALS.first_load_gzip_kb} KB: ` +
    `${mark(home.app_gzip / 1000, GOALS.first_load_gzip_kb)}`);
});

// The live pages at their heaviest. `play` is the play button's scope (the cache-aside demo has
// its own), `ready` a selector that shows the workload is there.
const twenty = Array(20).fill(1).join(',');
const LIVE = [
  { name: 'locks, 16 workers', path: 'locks?workers=16&speed=', play: 'page-locks' },
  { name: 'load balancing, 20 servers × 1000 req/s', path: `load-balancing?weights=${twenty}&rate=1000&conc=16&dur=3600000&speed=`, play: 'page-load-balancing' },
  { name: 'cache-aside, 1000 users', path: 'redis?seed=1&rate=100&users=1000&skew=1&ttl=30&speed=', play: 'cache-aside' },
];

async function measure(page, live, speed, base) {
  await page.goto(base ? new URL(`${live.path}${speed}`, base).toString() : url(`${live.path}${speed}`));
  await waitForApp(page);
  const scope = page.getByTestId(live.play);
  await scope.getByTestId('play-toggle').first().click();
  await page.waitForTimeout(500); // warm up
  const f = await frameWork(page, 3000);
  const clock = await scope.getByTestId('clock').first().locator('output').textContent();
  await scope.getByTestId('play-toggle').first().click();
  return { ...f, clock: clock.trim() };
}

for (const live of LIVE) {
  test(`budget: frame work, ${live.name}, at 100× and 1000× (printed beside the goal)`, async () => {
    const page = await openPage(context);
    await page.setViewportSize({ width: 1440, height: 900 });
    for (const speed of [100, 1000]) {
      const f = await measure(page, live, speed);
      report.frame_work.push({ page: live.name, speed, ...f, load_1m: +load() });
      console.log(`budget frame work ${live.name} at ${speed}×: ${frameLine(f)}; goal p95 ≤ ${GOALS.frame_work_p95_ms} ms: ` +
        `${mark(f.work_p95, GOALS.frame_work_p95_ms)}; clock ${f.clock}; load ${load()}`);
      assert.ok(f.frames > 0);
      if (COMPARE) {
        const c = await measure(page, live, speed, COMPARE);
        report.frame_work.push({ page: live.name, speed, base: COMPARE, ...c, load_1m: +load() });
        console.log(`budget frame work ${live.name} at ${speed}× on ${COMPARE}: ${frameLine(c)}; clock ${c.clock}; load ${load()}`);
        console.log(`budget frame work ${live.name} at ${speed}×: p95 ${f.work_p95.toFixed(1)} ms here vs ${c.work_p95.toFixed(1)} ms there; ` +
          `CPU ${f.cpu_per_frame.toFixed(1)} vs ${c.cpu_per_frame.toFixed(1)} ms/frame`);
      }
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

// Short: a growing page shows here; whether it levels off takes the soak (memory_soak.mjs).
test('budget: memory of every live page after 8 s at its fastest (printed)', async () => {
  const seconds = Number(process.env.E2E_MEMORY_SECONDS ?? 8);
  for (const live of LIVE_PAGES) {
    const page = await openPage(context);
    await watchWasm(page);
    await page.setViewportSize({ width: 1440, height: 900 });
    const scope = await startLive(page, live);
    const start = await memorySample(page, scope);
    await page.waitForTimeout(seconds * 1000);
    const end = await memorySample(page, scope);
    report.memory.push({ page: live.name, seconds, start, end, load_1m: +load() });
    console.log(`budget memory ${live.name.padEnd(15)} (${live.what}) after ${seconds} s at its fastest: wasm ${mb(start.wasm_bytes)} → ` +
      `${mb(end.wasm_bytes)} MB, JS heap ${mb(start.js_heap_bytes)} → ${mb(end.js_heap_bytes)} MB, ${end.dom_nodes} DOM nodes; ` +
      `clock ${start.clock} → ${end.clock}; load ${load()}`);
    assert.ok(end.wasm_bytes > 0, `${live.name}: the wasm memory was read`);
    assert.deepEqual(page.errors, [], `${live.name}: no console errors`);
    await page.close();
  }
});
