// Where the main thread's time goes, by function, while a live page plays: Chromium's sampling
// profiler (CDP `Profiler`) over a few seconds of play, each sample charged to its innermost
// function (self) and to every function on its stack (total, counted once per sample). Run by hand
// against a served build; for wasm function names, serve a bundle built without wasm-opt (which
// drops the name section), e.g. with `scripts/rebundle.sh <site> <bin> --names`:
//
//   E2E_BASE=http://127.0.0.1:8772/playground/ node tests/e2e/cpu_profile.mjs <page> <speed> [top]
//
// <page> is locks, lb or cache (the budgets test's frame-work pages). Prints the top functions by
// self and by total time, as a share of the sampled time, and the non-JS categories (GC, program,
// idle) Chromium reports.
import { launch, openPage, url, waitForApp } from './browser.mjs';

const twenty = Array(20).fill(1).join(',');
const LIVE = {
  locks: { path: 'locks?workers=16&speed=', play: 'page-locks' },
  lb: { path: `load-balancing?weights=${twenty}&rate=1000&conc=16&dur=3600000&speed=`, play: 'page-load-balancing' },
  cache: { path: 'redis?seed=1&rate=100&users=1000&skew=1&ttl=30&speed=', play: 'cache-aside' },
};
const [which = 'locks', speed = '1000', top = '40'] = process.argv.slice(2);
const live = LIVE[which];
if (!live) throw new Error(`unknown page ${which}: expected one of ${Object.keys(LIVE).join(', ')}`);

const context = await launch();
const page = await openPage(context);
await page.setViewportSize({ width: 1440, height: 900 });
await page.goto(url(`${live.path}${speed}`));
await waitForApp(page);
const cdp = await context.newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await page.getByTestId(live.play).getByTestId('play-toggle').first().click();
await page.waitForTimeout(500);
await cdp.send('Profiler.start');
await page.waitForTimeout(Number(process.env.PROFILE_MS ?? 4000));
const { profile } = await cdp.send('Profiler.stop');
await page.getByTestId(live.play).getByTestId('play-toggle').first().click();

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const name = (n) => {
  const f = n.callFrame;
  const file = f.url ? f.url.split('/').pop().replace(/-[0-9a-f]{16}/, '') : '';
  return `${f.functionName || '(anonymous)'}${file && !file.endsWith('.wasm') ? ` [${file}]` : ''}`;
};
const self = new Map();
const total = new Map();
let all = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  all += dt;
  const n = byId.get(id);
  self.set(name(n), (self.get(name(n)) ?? 0) + dt);
  const seen = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const k = name(byId.get(cur));
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + dt);
  }
});
const show = (title, m) => {
  console.log(`\n${title} (of ${(all / 1000).toFixed(0)} ms sampled)`);
  [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(top)).forEach(([k, v]) =>
    console.log(`${((100 * v) / all).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k.slice(0, 160)}`));
};
console.log(`${which} at ${speed}×`);
show('self time', self);
show('total time', total);
if (page.errors.length) console.log(`console errors: ${page.errors.join('; ')}`);
await context.close();
