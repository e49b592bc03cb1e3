// End to end: the Verify panel on /locks in the release Pages build (served at /playground/). The
// lock checker runs in the Trunk-built Web Worker: the reference lock with one GC pause gives the
// 21-step GC-pause counterexample as a numbered trace; "Replay on the timeline" opens it as the
// page's run with the lease overlap marked red; a long check streams progress and Cancel stops it
// while the page keeps drawing. The worker's states/s and the native `sim check lock` states/s on
// the same check are printed (never asserted). Screenshots at 1440 and 390 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, openPage, url, SHOTS } from './browser.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

async function text(page, testid) {
  return (await page.getByTestId(testid).first().textContent()).trim();
}

async function setField(page, name, value) {
  const input = page.getByTestId(`verify-${name}`);
  await input.fill(value);
  await input.press('Tab'); // the field applies on change
}

async function setFaults(page, wanted) {
  for (const f of ['pause', 'crash', 'delay', 'redis-restart', 'drift']) {
    const box = page.getByTestId(`verify-fault-${f}`);
    if ((await box.isChecked()) !== wanted.includes(f)) await box.click();
  }
}

async function shootPanel(page, name) {
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150);
    await page.getByTestId('verify-panel').screenshot({ path: join(SHOTS, `verify-${name}-${width}-light.png`) });
  }
  await page.setViewportSize({ width: 1440, height: 900 });
}

/** Animation frames drawn during `ms` of wall time (the main thread is free while the worker runs). */
async function framesDuring(page, ms) {
  return page.evaluate((ms) => new Promise((done) => {
    let n = 0; const t0 = performance.now();
    const tick = () => { n += 1; if (performance.now() - t0 < ms) requestAnimationFrame(tick); else done(n); };
    requestAnimationFrame(tick);
  }), ms);
}

test('Verify: the reference lock with one GC pause gives the GC-pause counterexample, replayed on the timeline', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks'));
  await page.getByTestId('verify-panel').waitFor();
  // A bad bound is named with what is accepted, and Run refuses it.
  await setField(page, 'depth', '999');
  assert.match(await text(page, 'verify-errors'), /Depth "999" is not accepted; expected a whole number of steps from 1 to 150/);
  await setField(page, 'depth', '40');
  assert.equal(await page.getByTestId('verify-errors').count(), 0);
  await page.getByTestId('verify-variant').selectOption('reference');
  await setFaults(page, ['pause']);
  const t0 = Date.now();
  await page.getByTestId('verify-run').click();
  await page.getByTestId('verify-result').waitFor({ timeout: 60000 });
  console.log(`verify e2e: gc-pause counterexample in the page in ${Date.now() - t0} ms (click to answer, worker start included)`);
  const me = await text(page, 'verify-outcome-mutual-exclusion');
  assert.match(me, /counterexample in 21 steps: two workers believe they hold the lock/);
  const steps = page.getByTestId('verify-trace').locator('li');
  assert.equal(await steps.count(), 21);
  assert.match(await page.getByTestId('verify-trace').textContent(), /worker-0 freezes \(GC pause\)/);
  assert.ok(await page.locator('.vf-step--violation').count() >= 1, 'the violating step is marked');
  assert.match(await text(page, 'verify-replay-how'), /marks the violation at/);
  await shootPanel(page, 'gc-pause');

  await page.getByTestId('verify-replay').click();
  // The counterexample opens as the page's run, at the violation, with the overlap on the timeline.
  await page.getByTestId('timeline-violation').first().waitFor({ timeout: 20000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="opening"]'), null, { timeout: 20000 });
  assert.notEqual(await text(page, 'summary-violations'), '0');
  const band = page.getByTestId('timeline-violation').first().locator('rect').first();
  const fill = await band.evaluate((el) => getComputedStyle(el).fill);
  assert.match(fill, /rgb\((180, 35, 24|255, 138, 128)\)/, `the band is the danger red, got ${fill}`);
  // The run is the replay: its action log (the pause) is in the URL, so the link reopens it.
  await page.waitForFunction(() => /[?&]a=/.test(location.search), null, { timeout: 5000 });
  // Step back and forth through the violation on the usual scrubber.
  await page.getByTestId('scrub-back').click();
  await page.getByTestId('scrub-forward').click();
  for (const width of [1440, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(SHOTS, `verify-replayed-${width}-light.png`), fullPage: false });
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('Verify: a long check streams progress without freezing the page, Cancel stops it; worker vs native states/s', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url('locks'));
  await page.getByTestId('verify-panel').waitFor();
  await page.getByTestId('verify-variant').selectOption('fenced');
  await setField(page, 'workers', '3');
  await setField(page, 'budget', '2');
  await setField(page, 'depth', '80');
  await setFaults(page, ['pause', 'crash', 'delay']);

  // Run it to the end: the worker's rate.
  await page.getByTestId('verify-run').click();
  await page.waitForFunction(() => /states\/s/.test(document.querySelector('[data-testid="verify-progress-text"]')?.textContent ?? ''), null, { timeout: 60000 });
  const frames = await framesDuring(page, 1000);
  console.log(`verify e2e: ${frames} animation frames drawn in 1 s while the worker searched`);
  await page.getByTestId('verify-result').waitFor({ timeout: 180000 });
  const figures = await text(page, 'verify-figures');
  assert.match(await text(page, 'verify-outcome-stale-write'), /no counterexample up to depth \d+, [\d,]+ states/);
  const num = (s) => Number(s.replace(/,/g, ''));
  const m = figures.match(/^([\d,]+) states \(([\d,]+) distinct\).*?([\d,]+) states\/s/);
  assert.ok(m, figures);
  const wasm = { states: num(m[1]), unique: num(m[2]), rate: num(m[3]) };
  await shootPanel(page, 'fenced-done');

  // The same check natively, in the same run (release build of `sim`).
  const sim = process.env.SIM_RELEASE ?? join(ROOT, 'target', 'release', 'sim');
  if (!existsSync(sim)) execFileSync('cargo', ['build', '--release', '--bin', 'sim'], { cwd: ROOT, stdio: 'inherit' });
  const out = JSON.parse(execFileSync(sim, ['check', 'lock', '--variant', 'fenced', '--workers', '3', '--faults', 'pause,crash,delay',
    '--budget', '2', '--depth', '80', '--property', 'stale-write', '--json'], { encoding: 'utf8' }));
  const nativeRate = out.states / Math.max(out.ms, 1) * 1000;
  console.log(`verify e2e: lock checker (fenced, 3 workers, budget 2, depth 80): wasm worker ${wasm.rate} states/s (${wasm.states} states, ${wasm.unique} distinct); native ${Math.round(nativeRate)} states/s (${out.states} states, ${out.unique_states} distinct, ${out.ms} ms); wasm/native ${(wasm.rate / nativeRate * 100).toFixed(0)} %`);

  // Again, larger (budget 3: about 5 million states, seconds even natively, so it cannot end
  // before the click on a fast machine), and Cancel it mid-way.
  await setField(page, 'budget', '3');
  await page.getByTestId('verify-run').click();
  await page.waitForFunction(() => /states\/s/.test(document.querySelector('[data-testid="verify-progress-text"]')?.textContent ?? ''), null, { timeout: 60000 });
  await shootPanel(page, 'running');
  await page.getByTestId('verify-cancel').click();
  assert.match(await text(page, 'verify-status'), /^Cancelled after [\d,]+ states/);
  assert.equal(await page.getByTestId('verify-run').isEnabled(), true);
  // Nothing arrives from the terminated worker.
  await page.waitForTimeout(500);
  assert.match(await text(page, 'verify-status'), /^Cancelled/);
  assert.equal(await page.getByTestId('verify-result').count(), 0);
  assert.deepEqual(page.errors, []);
  await page.close();
});
