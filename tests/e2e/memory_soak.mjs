// Memory soak, run by hand (not part of the e2e suite: 10 minutes a page is too long for CI):
// every live page plays at its fastest for N minutes while its memory is sampled every 30 s —
// the wasm linear memory (which never shrinks: the high-water mark of the Rust heap), the JS heap
// in use and the DOM's node count — and a table is printed per page, then a summary.
//
//   E2E_BASE=http://127.0.0.1:8713/playground/ node tests/e2e/memory_soak.mjs [--minutes 10]
//       [--every 30] [--pages locks,cache-aside] [--parallel]
//
// Pages run one after another by default; `--parallel` runs each in its own browser at once
// (N minutes in all instead of 6 × N; the runs then share the machine's cores, so each one's
// virtual clock advances less). The figures are also written to target/screenshots/memory-soak.json.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { launch, openPage, SHOTS } from './browser.mjs';
import { LIVE_PAGES, watchWasm, startLive, keepPlaying, memorySample, mb } from './memory.mjs';

function args() {
  const a = process.argv.slice(2);
  const get = (k, d) => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : d;
  };
  const minutes = Number(get('--minutes', 10));
  const every = Number(get('--every', 30));
  const names = get('--pages', LIVE_PAGES.map((p) => p.name).join(',')).split(',');
  const unknown = names.filter((n) => !LIVE_PAGES.some((p) => p.name === n));
  if (!(minutes > 0) || !(every > 0) || unknown.length) {
    console.error(`memory_soak: --minutes and --every take positive numbers; --pages takes names from ${LIVE_PAGES.map((p) => p.name).join(', ')}` +
      (unknown.length ? ` (not: ${unknown.join(', ')})` : ''));
    process.exit(2);
  }
  return { minutes, every, pages: LIVE_PAGES.filter((p) => names.includes(p.name)), parallel: a.includes('--parallel') };
}

async function soak(live, { minutes, every }) {
  const context = await launch();
  const page = await openPage(context);
  await watchWasm(page);
  await page.setViewportSize({ width: 1440, height: 900 });
  const scope = await startLive(page, live);
  const samples = [];
  let replays = 0;
  const t0 = Date.now();
  const take = async () => {
    const s = await memorySample(page, scope);
    samples.push({ wall_s: Math.round((Date.now() - t0) / 1000), ...s, replays, load_1m: +loadavg()[0].toFixed(1) });
  };
  await take();
  for (let t = every; t <= minutes * 60; t += every) {
    await page.waitForTimeout(Math.max(0, t0 + t * 1000 - Date.now()));
    await take();
    if (await keepPlaying(scope)) replays += 1;
  }
  const errors = page.errors;
  await context.close();
  return { page: live.name, what: live.what, path: live.path, samples, errors };
}

function print(r) {
  console.log(`\n${r.page} (${r.what}) — ${r.path}`);
  console.log('  wall s | virtual clock | wasm MB | JS heap MB | DOM nodes | replays | load');
  for (const s of r.samples) {
    console.log(`  ${String(s.wall_s).padStart(6)} | ${String(s.clock).padStart(13)} | ${String(mb(s.wasm_bytes)).padStart(7)} | ` +
      `${String(mb(s.js_heap_bytes)).padStart(10)} | ${String(s.dom_nodes).padStart(9)} | ${String(s.replays).padStart(7)} | ${s.load_1m}`);
  }
  if (r.errors.length) console.log(`  console errors: ${JSON.stringify(r.errors)}`);
}

const opts = args();
console.log(`memory soak: ${opts.pages.length} page(s), ${opts.minutes} min each at their fastest, a sample every ${opts.every} s` +
  `${opts.parallel ? ', in parallel' : ''}`);
const results = opts.parallel
  ? await Promise.all(opts.pages.map((p) => soak(p, opts)))
  : await opts.pages.reduce(async (acc, p) => { const done = await acc; const r = await soak(p, opts); print(r); return [...done, r]; }, Promise.resolve([]));
if (opts.parallel) results.forEach(print);
console.log('\nsummary (wasm MB at 1 min → half-way → end; JS heap MB at the end):');
for (const r of results) {
  const at = (s) => r.samples.reduce((best, x) => (Math.abs(x.wall_s - s) < Math.abs(best.wall_s - s) ? x : best));
  const end = r.samples.at(-1);
  console.log(`  ${r.page.padEnd(15)} wasm ${mb(at(60).wasm_bytes)} → ${mb(at(end.wall_s / 2).wasm_bytes)} → ${mb(end.wasm_bytes)} MB; ` +
    `JS heap ${mb(end.js_heap_bytes)} MB; ${end.dom_nodes} nodes; clock ${end.clock}; ${end.replays} replays; ${r.errors.length} console errors`);
}
writeFileSync(join(SHOTS, 'memory-soak.json'), JSON.stringify({ minutes: opts.minutes, every_s: opts.every, parallel: opts.parallel, results }, null, 2));
process.exit(results.some((r) => r.errors.length) ? 1 : 0);
