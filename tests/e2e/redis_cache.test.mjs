// End to end: the cache-aside demo on /redis against the release build served as GitHub Pages
// serves it. Plays the skewed workload, checks the hit ratio and pictures, saves screenshots
// (1440 px and 360 px wide, light and dark) to target/screenshots/redis-cache-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, url, SHOTS, frameWork, frameLine } from './browser.mjs';
import { scrubber, dragTo, opened, simReplay, measureRewind } from './rewind.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

const ratioOf = async (page) => {
  const text = await page.getByTestId('ca-hit-ratio').textContent();
  return Number.parseFloat(text);
};

test('playing the skewed workload gives a hit ratio above 0, with paths, charts and keys', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url('redis?seed=3&speed=10&rate=8&users=40&skew=1.1&ttl=5'));
  const demo = page.getByTestId('cache-aside');
  await demo.waitFor();
  assert.equal(await page.getByTestId('ca-hit-ratio').textContent(), '—');
  await demo.getByTestId('play-toggle').click();
  // Wait (bounded) until enough virtual time ran for hits and expiry refetches.
  await page.waitForFunction(() => {
    const n = Number(document.querySelector('[data-testid="ca-requests"]')?.textContent ?? 0);
    const r = Number(document.querySelector('[data-testid="ca-refetches"]')?.textContent ?? 0);
    return n >= 150 && r >= 3;
  }, null, { timeout: 30_000 });
  await demo.getByTestId('play-toggle').click();
  const ratio = await ratioOf(page);
  assert.ok(ratio > 0, `hit ratio ${ratio}`);
  assert.equal(await page.locator('[data-testid="seq"]').count(), 3, 'three request paths drawn');
  // The scatter draws each colour as one path; `data-count` says how many dots it holds.
  const dots = async (id) => Number(await page.locator(`[data-testid="ca-latency-chart"] svg.ca-scatter [data-testid="${id}"]`).getAttribute('data-count'));
  assert.ok(await dots('ca-dots-hit') > 10);
  assert.ok(await dots('ca-dots-miss') > 3);
  assert.ok(Number(await page.getByTestId('ca-key-count').textContent()) > 0);
  // A typed request while paused runs to its reply.
  await page.getByTestId('ca-user').fill('octocat');
  await page.getByTestId('ca-request').click();
  await page.getByTestId('ca-result').filter({ hasText: /octocat: (HIT|MISS) in \d+ ms/ }).waitFor();
  // The settings are in the URL so a copied link replays the run.
  const q = new URL(page.url()).searchParams;
  assert.equal(q.get('ttl'), '5');
  // Nothing overflows sideways at desktop width.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
  await demo.screenshot({ path: join(SHOTS, 'redis-cache-desktop-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await demo.screenshot({ path: join(SHOTS, 'redis-cache-desktop-dark.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a bad TTL is named; the page fits 360 px wide in light and dark', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(url('redis?seed=5&speed=20&rate=10&users=30&skew=1.2&ttl=3'));
  const demo = page.getByTestId('cache-aside');
  await demo.waitFor();
  await page.getByTestId('ca-ttl').fill('-1');
  await page.getByTestId('ca-apply').click();
  const err = await page.getByTestId('ca-config-errors').textContent();
  assert.match(err, /TTL "-1" is not accepted/);
  await page.getByTestId('ca-ttl').fill('3');
  await page.getByTestId('ca-apply').click();
  await page.getByTestId('ca-config-errors').waitFor({ state: 'detached' });
  await demo.getByTestId('play-toggle').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="ca-requests"]')?.textContent ?? 0) >= 60,
    null, { timeout: 30_000 });
  await demo.getByTestId('play-toggle').click();
  assert.ok((await ratioOf(page)) > 0);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px at 360 px`);
  await demo.screenshot({ path: join(SHOTS, 'redis-cache-mobile-light.png') });
  await demo.scrollIntoViewIfNeeded();
  await page.evaluate(() => document.querySelector('[data-testid="cache-aside"]').scrollIntoView());
  await page.screenshot({ path: join(SHOTS, 'redis-cache-mobile-light-top.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await demo.screenshot({ path: join(SHOTS, 'redis-cache-mobile-dark.png') });
  // Close-ups, to check text stays readable at this width.
  await page.getByTestId('ca-paths').screenshot({ path: join(SHOTS, 'redis-cache-mobile-dark-paths.png') });
  await page.getByTestId('ca-latency-chart').screenshot({ path: join(SHOTS, 'redis-cache-mobile-dark-latency.png') });
  await page.getByTestId('ca-ratio-chart').screenshot({ path: join(SHOTS, 'redis-cache-mobile-dark-ratio.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

for (const [name, query] of [
  ['defaults at 1x', 'redis?seed=1'],
  ['1000x rate=100 users=1000', 'redis?seed=1&speed=1000&rate=100&users=1000&skew=1&ttl=30'],
]) test(`frame times, ${name} (printed, not asserted)`, async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url(query));
  const demo = page.getByTestId('cache-aside');
  await demo.waitFor();
  await demo.getByTestId('play-toggle').click();
  const stats = await frameWork(page, 3000);
  await demo.getByTestId('play-toggle').click();
  const requests = await page.getByTestId('ca-requests').textContent();
  const clock = await demo.getByTestId('clock').textContent();
  console.log(`cache-aside ${name}: ${frameLine(stats)} in 3 s; ${requests} requests, ${clock}`);
  assert.ok(stats.frames > 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('rewind: drag back, a typed request starts a branch, the copied link and sim replay give the same run', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url('redis?seed=4&speed=100&rate=20&users=30&skew=1.1&ttl=2'));
  const demo = page.getByTestId('cache-aside');
  await demo.waitFor();
  await demo.getByTestId('play-toggle').click();
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="ca-requests"]')?.textContent ?? 0) >= 200,
    null, { timeout: 30_000 });
  await demo.getByTestId('play-toggle').click();
  const end = await scrubber(page);
  const endRequests = Number(await page.getByTestId('ca-requests').textContent());
  await dragTo(page, 3000);
  await page.waitForFunction(() => document.querySelector('[data-testid="scrubber"]').dataset.cursorMs === '3000');
  assert.ok(Number(await page.getByTestId('ca-requests').textContent()) < endRequests);
  await page.getByTestId('scrub-rewound').waitFor();
  await page.getByTestId('ca-user').fill('rewind-user');
  await page.getByTestId('ca-request').click();
  await page.getByTestId('scrub-branch').filter({ hasText: /New branch/ }).waitFor();
  await page.getByTestId('ca-result').filter({ hasText: /rewind-user: MISS in \d+ ms/ }).waitFor();
  const here = await scrubber(page);
  assert.ok(here.horizon_ms < end.horizon_ms, 'the old future was cut off');
  await page.waitForFunction(() => new URL(location.href).searchParams.get('a')?.includes('qrewind-user'));
  const link = page.url();
  assert.ok(link.length < 2048, `link of ${link.length} chars`);
  await demo.screenshot({ path: join(SHOTS, 'redis-cache-rewind-desktop.png') });
  await page.setViewportSize({ width: 390, height: 900 });
  await page.getByTestId('scrubber').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, 'redis-cache-rewind-390.png') });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px at 390 px`);

  // The copied link opens the same run at the same moment.
  const other = await openPage(context);
  await other.goto(link);
  await opened(other);
  await other.waitForFunction((ev) => Number(document.querySelector('[data-testid="scrubber"]')?.dataset.cursorEvents) === ev, here.events, { timeout: 30_000 });
  const there = await scrubber(other);
  assert.equal(there.digest, here.digest, 'the link opens the same run');
  assert.equal(there.ms, here.ms);
  // The same run as a file: sim replay prints the same digest.
  const [download] = await Promise.all([other.waitForEvent('download'), other.getByTestId('replay-download').click()]);
  const file = join(SHOTS, 'cache-aside.replay.json');
  await download.saveAs(file);
  const cli = await simReplay(file);
  console.log('cache-aside rewind: sim replay of the downloaded file:', JSON.stringify(cli));
  assert.equal(cli.model, 'cache-aside');
  assert.equal(cli.digest, here.digest, 'sim replay prints the page\'s digest');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(other.errors, []);
  await page.close();
  await other.close();
});

test('cache-aside rewind budgets: seek in a 100,000-event run, step back (figures printed)', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  // 50 requests/s over 1,000 users for 15 minutes: over 100,000 events.
  const t0 = Date.now();
  await page.goto(url('redis?seed=1&rate=50&users=1000&skew=1&ttl=30&t=900000'));
  await opened(page);
  const open_ms = Date.now() - t0;
  const big = await scrubber(page);
  assert.ok(big.events >= 100000, `a 100,000-event run (${big.events})`);
  const timings = await measureRewind(page, big.horizon_ms);
  const report = {
    run_events: big.events, run_virtual_ms: big.horizon_ms, open_wall_ms: open_ms, snapshots: big.snapshots,
    ...timings,
  };
  console.log('cache-aside rewind budgets (release wasm):', JSON.stringify(report));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(SHOTS, 'cache-aside-rewind-budgets.json'), JSON.stringify(report, null, 2));
  assert.ok(timings.all_timed, 'every seek was timed');
  assert.deepEqual(page.errors, []);
  await page.close();
});
