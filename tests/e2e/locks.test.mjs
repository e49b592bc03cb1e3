// End to end: the /locks page in the release Pages build. Loads presets from the URL, plays them
// fast, checks the hatched lease-overlap band and the fencing verdict, measures frame times with 16
// workers at 100× and the wasm memory of a long run at 1000× (figures printed, never asserted),
// checks the 390 px stats strip, and saves screenshots (1440 and 390 px wide, light and dark).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, openPage, url, SHOTS, frameWork } from './browser.mjs';
import { scrubber, dragTo, opened, simReplay, measureRewind } from './rewind.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

async function shoot(page, name, width, scheme, fullPage = true) {
  await page.setViewportSize({ width, height: 900 });
  await page.emulateMedia({ colorScheme: scheme });
  await page.evaluate(() => window.scrollTo(0, 0)); // sticky parts belong at the top of a full-page shot
  await page.waitForTimeout(150); // let layout settle after the resize
  if (fullPage) {
    // Worker cards use content-visibility: auto (off-screen cards are not rendered), so make the
    // viewport as tall as the page instead of capturing beyond it; twice, as heights settle.
    for (let i = 0; i < 2; i++) {
      const height = await page.evaluate(() => document.documentElement.scrollHeight);
      await page.setViewportSize({ width, height });
      await page.waitForTimeout(150);
    }
  }
  await page.screenshot({ path: join(SHOTS, `locks-${name}-${width}-${scheme}.png`) });
  await page.setViewportSize({ width, height: 900 });
}

async function text(page, testid) {
  return (await page.getByTestId(testid).first().textContent()).trim();
}

test('gc-pause from the URL, played fast, shows the red violation in the timeline', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks?preset=gc-pause&speed=1000'));
  await page.getByTestId('page-locks').waitFor();
  assert.equal(await page.getByTestId('preset-select').inputValue(), 'gc-pause');
  assert.equal(await page.getByTestId('timeline-violation').count(), 0);
  await page.getByTestId('play-toggle').click();
  // Let the paused worker wake up and write, then stop.
  await page.waitForFunction(() => document.querySelector('[data-testid="summary-stale-accepted"]')?.textContent !== '0', null, { timeout: 20000 });
  await page.getByTestId('play-toggle').click();
  // At 1000× "now" has moved past it: show the whole run.
  await page.getByTestId('tl-fit').click();
  await page.getByTestId('timeline-violation').first().waitFor({ timeout: 5000 });
  assert.notEqual(await text(page, 'summary-violations'), '0');
  assert.ok(await page.locator('.lk-stat--bad [data-testid="summary-violations"]').count() === 1, 'violations are red');
  const band = page.getByTestId('timeline-violation').first().locator('rect').first();
  const fill = await band.evaluate((el) => getComputedStyle(el).fill);
  assert.match(fill, /rgb\((180, 35, 24|255, 138, 128)\)/, `the band is the danger red, got ${fill}`);
  for (const scheme of ['light', 'dark']) {
    await shoot(page, 'gc-pause', 1440, scheme);
    // Close-ups at full resolution: the timeline and a worker card.
    await page.getByTestId('timeline').screenshot({ path: join(SHOTS, `locks-timeline-1440-${scheme}.png`) });
    await page.getByTestId('worker-0').screenshot({ path: join(SHOTS, `locks-card-1440-${scheme}.png`) });
    await page.getByTestId('redis-panel').screenshot({ path: join(SHOTS, `locks-redis-1440-${scheme}.png`) });
    await shoot(page, 'gc-pause', 390, scheme);
    await shoot(page, 'gc-pause-top', 390, scheme, false);
  }
  // The 390 px layout does not overflow the page horizontally (the timeline scrolls in its box).
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 1, `no horizontal page overflow at 390 px (got ${overflow}px)`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('with fencing the stale write is rejected, and the details dialog shows the worker log', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks?preset=gc-pause&fencing=1&speed=1000'));
  await page.getByTestId('page-locks').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="summary-stale-rejected"]')?.textContent !== '0', null, { timeout: 20000 });
  await page.getByTestId('play-toggle').click();
  assert.equal(await text(page, 'summary-stale-accepted'), '0');
  await page.getByTestId('worker-0-details').click();
  const dialog = page.getByTestId('worker-modal');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Trying to acquire lock \{ workerId: '/);
  await shoot(page, 'details', 1440, 'light', false);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a bad URL parameter gets a notice naming it', async () => {
  const page = await openPage(context);
  await page.goto(url('locks?workers=40&preset=gc-pause'));
  await page.getByTestId('param-notices').waitFor();
  assert.match(await page.getByTestId('param-notices').textContent(), /`workers`: "40".*1 to 16/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('16 workers at 100× stay responsive: frame times while playing', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks?workers=16&speed=100'));
  await page.getByTestId('page-locks').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.waitForTimeout(500); // warm up: the 16 workers start and contend
  const clock0 = await text(page, 'clock');
  // Frame work and intervals (browser.mjs, the one measuring code for every page).
  const stats = await frameWork(page, 2000);
  const clock1 = await text(page, 'clock');
  const behind = await page.getByTestId('behind').count() ? await text(page, 'behind') : null;
  // A click while playing is handled promptly: measured in the page, from the click to the
  // frame where the card shows its result.
  const click_ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    document.querySelector('[data-testid="worker-3-partition"]').click();
    (function poll() {
      if (document.querySelector('[data-testid="worker-3-heal"]')) resolve(performance.now() - t0);
      else requestAnimationFrame(poll);
    })();
  }));
  await page.getByTestId('play-toggle').click();
  const { loadavg } = await import('node:os');
  const report = { ...stats, clock_before: clock0, clock_after: clock1, behind, click_to_render_ms: click_ms, host_load_average_1m: loadavg()[0] };
  console.log('locks 16 workers @100x:', JSON.stringify(report));
  writeFileSync(join(SHOTS, 'locks-frames.json'), JSON.stringify(report, null, 2));
  await shoot(page, 'sixteen', 1440, 'light');
  // Speed is a benchmark: the figures are printed and saved to locks-frames.json, never asserted
  // (on an idle machine the frame interval was a steady 60 fps: p95 ~21 ms). The click did render.
  assert.ok(Number.isFinite(click_ms), 'the partition click rendered its result');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('every preset loads from the URL, plays and pauses without errors', async () => {
  const page = await openPage(context);
  for (const id of ['handover', 'crash', 'gc-pause', 'renew-race', 'stop-while-waiting', 'redis-restart', 'redlock-master-down', 'clock-drift']) {
    await page.goto(url(`locks?preset=${id}&speed=1000`));
    await page.getByTestId('page-locks').waitFor();
    assert.equal(await page.getByTestId('preset-select').inputValue(), id);
    await page.getByTestId('play-toggle').click();
    await page.waitForFunction(() => document.querySelector('[data-testid="clock"] output')?.textContent >= '0:01:00', null, { timeout: 20000 });
    await page.getByTestId('play-toggle').click();
    const redis = await page.locator('[data-testid^="lane-redis-"]').count();
    assert.equal(redis, id === 'redlock-master-down' ? 5 : 1, `${id}: one lane per Redis instance`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('390 px: all eight counters of the stats strip are on screen, none cut off', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url('locks?preset=gc-pause&speed=1000'));
  await page.getByTestId('page-locks').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="summary-violations"]')?.textContent !== '0', null, { timeout: 20000 });
  await page.getByTestId('play-toggle').click();
  const tiles = await page.locator('.lk-summary .lk-stat').evaluateAll((els) => els.map((el) => {
    const r = el.getBoundingClientRect();
    const label = el.querySelector('.lk-stat__label');
    return { text: el.textContent.trim(), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
      clipped: label.scrollWidth > label.clientWidth + 1 || el.scrollWidth > el.clientWidth + 1 };
  }));
  assert.equal(tiles.length, 8);
  for (const t of tiles) {
    assert.ok(t.left >= 0 && t.right <= 390 && t.top >= 0 && t.bottom <= 844, `on screen: ${JSON.stringify(t)}`);
    assert.ok(!t.clipped, `not cut off: ${JSON.stringify(t)}`);
  }
  await page.screenshot({ path: join(SHOTS, 'locks-strip-390-light.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an invalid URL value is replaced in the address bar by the value the page uses', async () => {
  const page = await openPage(context);
  await page.goto(url('locks?preset=gc-pause&workers=40&ttl=soon&release=plain'));
  await page.getByTestId('param-notices').waitFor();
  await page.waitForFunction(() => !location.search.includes('workers=40'), null, { timeout: 5000 });
  const search = await page.evaluate(() => location.search);
  assert.doesNotMatch(search, /workers=40|ttl=soon|release=plain/);
  assert.match(search, /preset=gc-pause/);
  // A reload of the rewritten link shows no notice: it carries only accepted values.
  await page.reload();
  await page.getByTestId('page-locks').waitFor();
  assert.equal(await page.getByTestId('param-notices').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('16 workers at 1000×: wasm memory reaches a steady state (figures printed)', async () => {
  const page = await openPage(context);
  // Keep a handle on the wasm instance's memory when Trunk's loader starts the app.
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail?.wasm; });
  });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks?workers=16&speed=1000'));
  await page.getByTestId('page-locks').waitFor();
  const memory = () => page.evaluate(() => ({
    wasm_bytes: window.__wasm?.memory?.buffer?.byteLength ?? null,
    js_heap_bytes: performance.memory?.usedJSHeapSize ?? null,
    clock: document.querySelector('[data-testid="clock"] output')?.textContent,
  }));
  const samples = [{ wall_s: 0, ...(await memory()) }];
  await page.getByTestId('play-toggle').click();
  const wall = Number(process.env.E2E_MEMORY_SECONDS ?? 60);
  for (let t = 10; t <= wall; t += 10) {
    await page.waitForTimeout(10000);
    samples.push({ wall_s: t, ...(await memory()) });
  }
  await page.getByTestId('play-toggle').click();
  const mb = (b) => (b == null ? null : +(b / 1048576).toFixed(1));
  const report = samples.map((s) => ({ wall_s: s.wall_s, virtual: s.clock, wasm_mb: mb(s.wasm_bytes), js_heap_mb: mb(s.js_heap_bytes) }));
  console.log('locks 16 workers @1000x memory:', JSON.stringify(report));
  writeFileSync(join(SHOTS, 'locks-memory.json'), JSON.stringify(report, null, 2));
  assert.ok(samples.at(-1).wasm_bytes != null, 'the wasm memory was read');
  assert.deepEqual(page.errors, []);
  await page.close();
});

// ---- Rewind ------------------------------------------------------------------------------------

const EPOCH = 1767225600000;

test('rewind: a copied link with a cursor opens the same run at that moment (and sim replay agrees)', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url(`locks?preset=gc-pause&speed=1000&epoch=${EPOCH}`));
  await page.getByTestId('page-locks').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="summary-stale-accepted"]')?.textContent !== '0', null, { timeout: 20000 });
  await page.getByTestId('play-toggle').click();
  // A fault while rewound: back to 24 s, crash worker 1 — a new branch, in the URL.
  await dragTo(page, 24000);
  await page.getByTestId('worker-1-crash').click();
  await page.getByTestId('scrub-branch').waitFor();
  await page.getByTestId('scrub-forward').click();
  await page.getByTestId('scrub-forward').click();
  const here = await scrubber(page);
  await page.waitForFunction(() => /[?&]ev=/.test(location.search) && /[?&]a=/.test(location.search));
  const link = page.url();
  const summary = await text(page, 'summary-verdict');
  const redis = await text(page, 'redis-panel');
  const workers = await text(page, 'workers');
  console.log('rewind: link with 1 action and a cursor:', link.length, 'bytes:', link);
  assert.ok(new URL(link).search.length <= 2048, `the query is at most 2 KB (${new URL(link).search.length})`);
  await page.screenshot({ path: join(SHOTS, 'locks-rewind-branch-1440-light.png') });

  const other = await openPage(context);
  await other.setViewportSize({ width: 1440, height: 900 });
  await other.goto(link);
  await opened(other);
  const there = await scrubber(other);
  assert.equal(there.events, here.events, 'the same event index');
  assert.equal(there.ms, here.ms, 'the same virtual time');
  assert.equal(there.digest, here.digest, 'the same trace digest');
  assert.equal(await text(other, 'summary-verdict'), summary);
  assert.equal(await text(other, 'redis-panel'), redis);
  assert.equal(await text(other, 'workers'), workers);

  // The same run as a file: Download replay, then `sim replay` prints the same digest.
  const [download] = await Promise.all([other.waitForEvent('download'), other.getByTestId('replay-download').click()]);
  const file = join(SHOTS, 'locks-gc-pause.replay.json');
  await download.saveAs(file);
  const replay = JSON.parse((await import('node:fs')).readFileSync(file, 'utf8'));
  assert.equal(replay.model, 'lock');
  assert.equal(replay.actions.length, 1);
  assert.deepEqual(replay.cursor, { events: here.events, at_ms: here.ms });
  const cli = await simReplay(file);
  console.log('rewind: sim replay of the downloaded file:', JSON.stringify(cli));
  assert.equal(cli.digest, here.digest, 'sim replay prints the page\'s digest');
  assert.equal(cli.events, here.events);

  // Open replay: a bad file is named and changes nothing; the good one opens at its cursor.
  const { writeFileSync: write } = await import('node:fs');
  const bad = join(SHOTS, 'not-a-replay.json');
  write(bad, '{"hello": "world"}');
  await page.getByTestId('replay-file').setInputFiles(bad);
  await page.getByTestId('replay-error').waitFor();
  assert.match(await text(page, 'replay-error'), /not a replay/);
  assert.equal((await scrubber(page)).digest, here.digest, 'the current run is unchanged');
  await dragTo(page, 0);
  await page.getByTestId('replay-file').setInputFiles(file);
  await page.waitForFunction((d) => document.querySelector('[data-testid="scrubber"]')?.dataset.digest === d, here.digest, { timeout: 30000 });
  assert.equal(await page.getByTestId('replay-error').count(), 0);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(other.errors, []);
  await page.close();
  await other.close();
});

test('rewind budgets: seek in a 100,000-event run, step back, snapshot memory (figures printed)', async () => {
  const page = await openPage(context);
  await page.addInitScript(() => {
    addEventListener('TrunkApplicationStarted', (e) => { window.__wasm = e.detail?.wasm; });
  });
  await page.setViewportSize({ width: 1440, height: 900 });
  const wasmMb = () => page.evaluate(() => (window.__wasm?.memory?.buffer?.byteLength ?? 0) / 1048576);
  // 16 workers for ten minutes: the snapshot memory figure.
  await page.goto(url(`locks?workers=16&epoch=${EPOCH}&t=600000`));
  const mb0 = await wasmMb();
  await opened(page);
  const ten = await scrubber(page);
  const mb10 = await wasmMb();
  // 16 workers for three hours: over 100,000 events.
  const t0 = Date.now();
  await page.goto(url(`locks?workers=16&epoch=${EPOCH}&t=10800000`));
  await opened(page);
  const open_ms = Date.now() - t0;
  const big = await scrubber(page);
  assert.ok(big.events >= 100000, `a 100,000-event run (${big.events})`);
  const timings = await measureRewind(page, big.horizon_ms);
  const report = {
    run_events: big.events, run_virtual_ms: big.horizon_ms, open_wall_ms: open_ms, snapshots: big.snapshots,
    ...timings,
    ten_minute_16_worker_run: { events: ten.events, snapshots: ten.snapshots, wasm_mb_before: +mb0.toFixed(1), wasm_mb_after: +mb10.toFixed(1) },
  };
  console.log('rewind budgets (release wasm):', JSON.stringify(report));
  writeFileSync(join(SHOTS, 'locks-rewind-budgets.json'), JSON.stringify(report, null, 2));
  assert.ok(timings.all_timed, 'every seek was timed');
  assert.deepEqual(page.errors, []);
  await page.close();
});
