// Accessibility: axe-core (pinned in package.json, read from node_modules; never a CDN) on every
// page, light and dark, against the Pages build with its strict Content-Security-Policy. The CSP
// forbids inline scripts, so axe's source is evaluated through the DevTools protocol
// (page.evaluate), which the page's CSP does not govern. Every violation is printed (rule, impact,
// how many elements); serious and critical ones fail the test. Also checks that every chart (an
// <svg> that is not a mere icon) has a text alternative and that prefers-reduced-motion stops
// animations and transitions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { launch, openPage, url } from './browser.mjs';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const PAGES = [
  ['home', '', 'page-home'],
  ['locks', 'locks', 'page-locks'],
  ['backoff', 'backoff', 'page-backoff'],
  ['load balancing', 'load-balancing', 'page-load-balancing'],
  ['redis', 'redis', 'page-redis'],
  ['cluster', 'cluster', 'page-cluster'],
  ['messaging', 'messaging?preset=consumer-crash&pattern=reliable-queue', 'page-messaging'],
  ['404', 'no/such/page', 'page-not-found'],
];

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

async function openThemed(page, path, testid, theme) {
  await page.goto(url(''));
  await page.evaluate((t) => localStorage.setItem('dsp.theme', t), theme);
  await page.goto(url(path));
  await page.getByTestId(testid).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), theme);
  // Let the first frames (live pages start running) and any transitions settle.
  await page.waitForTimeout(400);
}

async function runAxe(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
      summary: v.nodes[0]?.failureSummary?.replace(/\s+/g, ' ').slice(0, 200),
    }));
  });
}

for (const theme of ['light', 'dark']) {
  test(`axe: 0 serious or critical violations on every page (${theme})`, async () => {
    const page = await openPage(context);
    const failures = [];
    for (const [name, path, testid] of PAGES) {
      await openThemed(page, path, testid, theme);
      const violations = await runAxe(page);
      for (const v of violations) {
        console.log(`axe ${theme} ${name}: ${v.id} [${v.impact}] ${v.targets.length} element(s): ${v.help}`);
        console.log(`    e.g. ${v.targets.slice(0, 3).join(' | ')} — ${v.summary}`);
        if (v.impact === 'serious' || v.impact === 'critical') failures.push(`${name}: ${v.id} (${v.targets.length})`);
      }
      if (violations.length === 0) console.log(`axe ${theme} ${name}: no violations`);
    }
    await page.evaluate(() => localStorage.removeItem('dsp.theme'));
    assert.deepEqual(page.errors, []);
    await page.close();
    assert.deepEqual(failures, [], `serious or critical axe violations (${theme})`);
  });
}

test('every chart has a text alternative', async () => {
  const page = await openPage(context);
  const missing = [];
  let charts = 0;
  for (const [name, path, testid] of PAGES) {
    await page.goto(url(path));
    await page.getByTestId(testid).waitFor();
    await page.waitForTimeout(300);
    const found = await page.evaluate(() => {
      const out = { count: 0, missing: [] };
      for (const svg of document.querySelectorAll('svg')) {
        // Icons (aria-hidden, or decorative inside a labelled control) are not charts.
        if (svg.closest('[aria-hidden="true"]')) continue;
        const box = svg.getBoundingClientRect();
        if (box.width < 48 || box.height < 48) continue;
        out.count += 1;
        const named = svg.getAttribute('role') === 'img'
          && ((svg.getAttribute('aria-label') ?? '').trim() || svg.getAttribute('aria-labelledby')
            || svg.querySelector(':scope > title')?.textContent.trim());
        if (!named) out.missing.push(svg.dataset.testid ?? svg.closest('[data-testid]')?.dataset.testid ?? svg.outerHTML.slice(0, 80));
      }
      return out;
    });
    charts += found.count;
    for (const m of found.missing) missing.push(`${name}: ${m}`);
  }
  console.log(`charts checked: ${charts}, without a text alternative: ${missing.length}`);
  assert.ok(charts > 0, 'the pages draw charts');
  assert.deepEqual(missing, [], 'every chart is role="img" with an accessible name');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('prefers-reduced-motion: reduce stops animations and transitions', async () => {
  const page = await openPage(context);
  await page.emulateMedia({ reducedMotion: 'reduce' });
  const moving = [];
  for (const [name, path, testid] of PAGES) {
    await page.goto(url(path));
    await page.getByTestId(testid).waitFor();
    await page.waitForTimeout(300);
    const found = await page.evaluate(() => {
      const out = [];
      const secs = (s) => s.split(',').reduce((m, x) => Math.max(m, parseFloat(x) * (x.trim().endsWith('ms') ? 0.001 : 1)), 0);
      for (const el of document.querySelectorAll('*')) {
        const cs = getComputedStyle(el);
        const anim = cs.animationName !== 'none' && secs(cs.animationDuration) > 0.01;
        const trans = secs(cs.transitionDuration) > 0.01 && cs.transitionProperty !== 'none';
        if (anim || trans) out.push(`${el.tagName.toLowerCase()}.${[...el.classList].join('.')} ${anim ? `animation ${cs.animationName}` : `transition ${cs.transitionProperty} ${cs.transitionDuration}`}`);
      }
      return out;
    });
    for (const f of found) moving.push(`${name}: ${f}`);
  }
  // The running locks page animates its state diagram: sample the document's running animations
  // and transitions with and without the preference, so the check is seen to catch real motion.
  const running = {};
  for (const mode of ['no-preference', 'reduce']) {
    await page.emulateMedia({ reducedMotion: mode });
    await page.goto(url('locks?speed=10'));
    await page.getByTestId('page-locks').waitFor();
    await page.getByTestId('play-toggle').click();
    // Panels out of view are not rendered (content-visibility: auto), so they run no animation:
    // bring the state diagram into view.
    await page.getByTestId('state-diagram').first().scrollIntoViewIfNeeded();
    const seen = new Set();
    for (let i = 0; i < 20; i++) {
      const now = await page.evaluate(() => document.getAnimations()
        .filter((a) => Number(a.effect?.getComputedTiming().duration) > 10)
        .map((a) => `${a.animationName ?? a.transitionProperty} ${a.effect.getComputedTiming().duration}ms`));
      for (const a of now) seen.add(a);
      await page.waitForTimeout(100);
    }
    running[mode] = [...seen];
    console.log(`locks running, prefers-reduced-motion: ${mode}: animations over 10 ms: ${running[mode].join(', ') || 'none'}`);
  }
  await page.emulateMedia({ reducedMotion: null });
  assert.ok(running['no-preference'].length > 0, 'without the preference the locks diagram animates (the probe sees motion)');
  assert.deepEqual(running.reduce, [], 'nothing on the running locks page animates under reduce');
  assert.deepEqual([...new Set(moving)], [], 'nothing animates or transitions under prefers-reduced-motion: reduce');
  assert.deepEqual(page.errors, []);
  await page.close();
});
