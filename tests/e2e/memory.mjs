// The live pages at their fastest, and how to read a page's memory. Shared by the budgets'
// short memory check (tests/e2e/budgets.test.mjs) and the long soak run by hand
// (tests/e2e/memory_soak.mjs).
import { url, waitForApp } from './browser.mjs';

const twenty = Array(20).fill(1).join(',');

/**
 * Every page with a run that plays, at its heaviest documented workload and 1000×. `scope` is the
 * test id of the element holding the run's controls; `speed` sets the speed in the page when the
 * URL cannot (the backoff page's live view). A run that ends is replayed (Play at the end replays).
 */
export const LIVE_PAGES = [
  { name: 'locks', path: 'locks?workers=16&speed=1000', scope: 'page-locks', what: '16 workers' },
  { name: 'load-balancing', path: `load-balancing?weights=${twenty}&rate=1000&conc=16&dur=3600000&speed=1000`, scope: 'page-load-balancing', what: '20 servers × 1000 req/s, 1 h runs' },
  { name: 'cache-aside', path: 'redis?seed=1&rate=100&users=1000&skew=1&ttl=30&speed=1000', scope: 'cache-aside', what: '1000 users, 100 req/s' },
  { name: 'backoff-live', path: 'backoff?seed=6&live=1&live_clients=200&live_strategy=exponential', scope: 'live-contention', speed: '1000', what: 'live contention, 200 clients' },
  { name: 'cluster', path: 'cluster?preset=steady&seed=3&speed=1000', scope: 'page-cluster', what: 'steady preset' },
  { name: 'messaging', path: 'messaging?preset=steady&pattern=reliable-queue&producers=10&consumers=10&seed=1&speed=1000', scope: 'page-messaging', what: 'reliable queue, 10 × 10' },
];

/** Call before the first `goto`: keeps a handle on the wasm instance when Trunk's loader starts it. */
export async function watchWasm(page) {
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail?.wasm; });
  });
}

/** Opens a live page, sets its speed and presses Play. Returns the run's scope locator. */
export async function startLive(page, live, base) {
  await page.goto(base ? new URL(live.path, base).toString() : url(live.path));
  await waitForApp(page);
  const scope = page.getByTestId(live.scope);
  await scope.waitFor();
  if (live.speed) {
    await scope.getByTestId('speed').first().evaluate((el, v) => {
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, live.speed);
  }
  await scope.getByTestId('play-toggle').first().click();
  return scope;
}

/** Presses Play again if the run stopped (it ended): returns whether it had to. */
export async function keepPlaying(scope) {
  const toggle = scope.getByTestId('play-toggle').first();
  if ((await toggle.getAttribute('aria-pressed')) === 'true') return false;
  await toggle.click();
  return true;
}

/**
 * The page's memory now: the wasm linear memory (it only grows, so this is the high-water mark),
 * the JS heap in use (CDP's `Runtime.getHeapUsage`), DOM nodes, and the run's clock.
 */
export async function memorySample(page, scope) {
  const cdp = await page.context().newCDPSession(page);
  const heap = await cdp.send('Runtime.getHeapUsage');
  await cdp.send('Performance.enable');
  const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
  await cdp.detach();
  const wasm = await page.evaluate(() => window.__wasm?.memory?.buffer?.byteLength ?? null);
  const clock = (await scope.getByTestId('clock').first().locator('output').textContent().catch(() => '?')).trim();
  return { wasm_bytes: wasm, js_heap_bytes: heap.usedSize, dom_nodes: m.Nodes ?? null, clock };
}

export const mb = (b) => (b == null ? null : +(b / 1048576).toFixed(1));
