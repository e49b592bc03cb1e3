// End to end against the release build served as GitHub Pages serves it (scripts/test.sh starts
// scripts/pages_server.py at /playground/ with 404.html as the fallback).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, url, SHOTS, fullPageShot, navRoutes, waitForApp } from './browser.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

test('a deep link to /playground/locks renders the Locks page', async () => {
  const page = await openPage(context);
  const resp = await page.goto(url('locks?seed=42'));
  assert.equal(resp.status(), 404, 'served from 404.html, as GitHub Pages does');
  await page.getByTestId('page-locks').waitFor();
  assert.equal(await page.locator('nav [aria-current="page"]').textContent(), 'Locks');
  assert.equal(new URL(page.url()).search, '?seed=42', 'the query string survives the fallback');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('nav clicks, back and forward work, and the query string survives', async () => {
  const page = await openPage(context);
  await page.goto(url(''));
  await page.getByTestId('page-home').waitFor();
  await page.locator('nav').getByRole('link', { name: 'Backoff' }).click();
  await page.getByTestId('page-backoff').waitFor();
  assert.equal(new URL(page.url()).pathname, '/playground/backoff');
  await page.locator('nav').getByRole('link', { name: 'Redis' }).click();
  await page.getByTestId('page-redis').waitFor();
  await page.goBack();
  await page.getByTestId('page-backoff').waitFor();
  await page.goBack();
  await page.getByTestId('page-home').waitFor();
  await page.goForward();
  await page.getByTestId('page-backoff').waitFor();
  // A page's query comes back when you return to it through the nav.
  await page.goto(url('locks?seed=7&speed=10'));
  await page.getByTestId('page-locks').waitFor();
  await page.locator('nav').getByRole('link', { name: 'Home' }).click();
  await page.getByTestId('page-home').waitFor();
  await page.locator('nav').getByRole('link', { name: 'Locks' }).click();
  await page.getByTestId('page-locks').waitFor();
  assert.equal(new URL(page.url()).search, '?seed=7&speed=10');
  await page.goBack();
  await page.getByTestId('page-home').waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the wasm bundles: a link within one is a router push, a link into another a full load that keeps the theme and the remembered queries', async () => {
  const page = await openPage(context);
  const appWasm = () => page.evaluate(() => performance.getEntriesByType('resource')
    .map((e) => new URL(e.name).pathname.split('/').pop()).filter((n) => n.endsWith('_bg.wasm')));
  await page.goto(url('backoff?seed=5'));
  await page.getByTestId('page-backoff').waitFor();
  assert.match((await appWasm()).join(), /^ds-playground-[0-9a-f]+_bg\.wasm$/, 'the light bundle alone');
  await page.evaluate(() => { window.__sameDocument = true; });
  // Within the light bundle: the same document.
  await page.locator('nav').getByRole('link', { name: 'Load balancing' }).click();
  await page.getByTestId('page-load-balancing').waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'a router push, not a page load');
  const theme = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByTestId('theme-toggle').click();
  const toggled = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.notEqual(toggled, theme);
  // Into the cluster page's bundle: a new document, with the nav's active link and the saved theme.
  await page.locator('nav').getByRole('link', { name: 'Cluster' }).click();
  await page.getByTestId('page-cluster').waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), undefined, 'a full page load');
  assert.match((await appWasm()).join(), /^page_cluster-[0-9a-f]+_bg\.wasm$/, "the cluster page's bundle alone");
  assert.equal(await page.locator('nav [aria-current="page"]').textContent(), 'Cluster');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), toggled, 'the theme carries over');
  // From one Redis page's bundle into another's: a full load again, with the theme.
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator('nav').getByRole('link', { name: 'Messaging' }).click();
  await page.getByTestId('page-messaging').waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), undefined, 'a full page load');
  assert.match((await appWasm()).join(), /^page_messaging-[0-9a-f]+_bg\.wasm$/, "the messaging page's bundle alone");
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), toggled, 'the theme carries over');
  // Back into the light bundle through the nav: Backoff's query (its seed, and the defaults the page
  // wrote beside it) comes back.
  await page.locator('nav').getByRole('link', { name: 'Backoff' }).click();
  await page.getByTestId('page-backoff').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('seed'), '5');
  await page.getByTestId('theme-toggle').click(); // leave it as found for the other tests
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('an unknown path shows the app 404 page with a link home', async () => {
  const page = await openPage(context);
  await page.goto(url('no/such/page'));
  await page.getByTestId('page-not-found').waitFor();
  await page.getByTestId('page-not-found').getByRole('link').click();
  await page.getByTestId('page-home').waitFor();
  assert.equal(new URL(page.url()).pathname, '/playground/');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the About modal opens, and closes by an outside click and by Escape', async () => {
  const page = await openPage(context);
  await page.goto(url(''));
  await page.getByTestId('about-open').click();
  const dialog = page.getByRole('dialog', { name: 'About this playground' });
  await dialog.waitFor();
  await dialog.click(); // inside: stays open
  assert.equal(await dialog.isVisible(), true);
  await page.mouse.click(5, 790); // on the backdrop, outside the dialog
  await dialog.waitFor({ state: 'detached' });
  await page.getByTestId('about-open').click();
  await dialog.waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'about-open');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the theme toggle switches and is remembered', async () => {
  const page = await openPage(context);
  await page.goto(url(''));
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await page.getByTestId('theme-toggle').click();
  const afterToggle = await page.evaluate(() => document.documentElement.dataset.theme);
  assert.notEqual(afterToggle, before);
  await page.reload();
  await page.getByTestId('page-home').waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), afterToggle);
  await page.getByTestId('theme-toggle').click(); // leave it as found for the other tests
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the strict Content-Security-Policy is in force and the app still runs', async () => {
  const page = await openPage(context);
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await page.goto(url(''));
  await page.getByTestId('page-home').waitFor();
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.deepEqual(violations, []);
  await page.close();
});

test('a panic is reported in the console and shown as a banner with a reload button', async () => {
  const page = await openPage(context);
  await page.goto(url(''));
  await page.getByTestId('page-home').waitFor();
  await page.evaluate(() => { try { window.wasmBindings.playground_debug_panic('deliberate test panic'); } catch (_) {} });
  const banner = page.getByTestId('crash-banner');
  await banner.waitFor();
  assert.match(await banner.textContent(), /Something went wrong.*Reload/);
  assert.ok(page.errors.some((e) => e.includes('deliberate test panic')), `console shows the message: ${page.errors}`);
  await banner.getByRole('button', { name: 'Reload' }).click();
  await page.getByTestId('page-home').waitFor();
  await page.close();
});

test('screenshots of Home and Locks at desktop and 360 px', async () => {
  const page = await openPage(context);
  for (const [name, path, testid] of [['home', '', 'page-home'], ['locks', 'locks', 'page-locks']]) {
    for (const [label, width, height] of [['desktop', 1440, 900], ['360', 360, 780]]) {
      await page.setViewportSize({ width, height });
      await page.goto(url(path));
      await page.getByTestId(testid).waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${name} at ${width}px must not scroll sideways (overflow ${overflow}px)`);
      await fullPageShot(page, join(SHOTS, `${name}-${label}.png`));
    }
  }
  // Dark mode follows the system until the user picks a theme.
  await page.evaluate(() => localStorage.removeItem('dsp.theme'));
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(url(''));
  await page.getByTestId('page-home').waitFor();
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, 'rgb(15, 20, 32)', 'the dark palette applies');
  await fullPageShot(page, join(SHOTS, 'home-desktop-dark.png'));
  await page.emulateMedia({ colorScheme: 'light' });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('while the wasm downloads the page shows a loading state, and it goes once the app mounts', async () => {
  const page = await openPage(context);
  // Hold the wasm back, as a slow link would, until the loading state has been seen.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route(/_bg\.wasm$/, async (route) => { await held; await route.continue(); });
  await page.goto(url(''), { waitUntil: 'domcontentloaded' });
  const boot = page.getByTestId('boot');
  await boot.waitFor();
  assert.match(await boot.textContent(), /Loading the simulations/);
  await page.screenshot({ path: join(SHOTS, 'boot-loading.png') });
  release();
  await page.getByTestId('page-home').waitFor();
  assert.equal(await boot.count(), 0, 'the loading state is removed when the app mounts');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the controls bar keeps its height (no layout shift) when "running at N× of M× asked" appears while playing', async () => {
  const page = await openPage(context);
  for (const width of [1440, 1100, 900, 600, 360]) {
    await page.setViewportSize({ width, height: 900 });
    // Twenty servers at 1,000 requests/s, at 1000×: far more than a frame's share of work, so the
    // notice shows (sixteen lock workers at 1000× keep up on an idle machine since the frame budget
    // alternates simulating and drawing).
    await page.goto(url(`load-balancing?weights=${Array(20).fill(1).join(',')}&rate=1000&conc=16&dur=3600000&speed=1000`));
    await page.getByTestId('page-load-balancing').waitFor();
    const bar = page.getByTestId('controls-bar');
    const box = async () => bar.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { height: Math.round(r.height), below: Math.round(el.nextElementSibling.getBoundingClientRect().top) };
    });
    const paused = await box();
    await page.getByTestId('play-toggle').first().click();
    await page.getByTestId('behind').waitFor({ timeout: 15000 });
    const playing = await box();
    const notice = await page.getByTestId('behind').textContent();
    await page.getByTestId('play-toggle').first().click();
    assert.match(notice, /^running at \d+(\.\d)?× of 1000× asked$/);
    assert.deepEqual(playing, paused, `at ${width} px wide the bar and what follows it stay put while "${notice}" shows`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

// index.html links the shell's styles for every page and keeps each page's own in a template, from
// which the loader adds those of the bundle it loads (Trunk.toml). A page's look must not depend on a
// stylesheet it no longer loads: after a moment of play, no rule of any stylesheet it did not load may
// match an element on it (pseudo-classes and pseudo-elements dropped, so a rule for a hover or a
// ::before counts too).
test('each page downloads only its bundle\'s stylesheets, and no rule of the others matches anything on it', async () => {
  const probe = await openPage(context);
  const routes = await navRoutes(probe);
  await probe.close();
  for (const { name, path } of [...routes, { name: '404', path: 'no/such/page' }]) {
    const page = await openPage(context);
    const fetched = [];
    page.on('request', (r) => { if (r.url().endsWith('.css')) fetched.push(new URL(r.url()).pathname.split('/').pop()); });
    await page.goto(url(path));
    await waitForApp(page);
    const play = page.getByTestId('play-toggle').first();
    if (await play.count()) { await play.click(); await page.waitForTimeout(1500); await play.click(); }
    const downloaded = [...new Set(fetched)].sort(); // before the check fetches the others itself
    const r = await page.evaluate(async () => {
      const file = (href) => href.split('/').pop();
      const loaded = [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => file(l.href));
      const others = [...document.getElementById('bundle-styles').content.querySelectorAll('link')]
        .map((l) => l.href).filter((h) => !loaded.includes(file(h)));
      const strip = (sel) => sel.replace(/::?[a-zA-Z-]+(\((?:[^()]|\([^()]*\))*\))?/g,
        (m) => (/^:(not|is|where|has)\(/.test(m) ? m : '')).trim();
      const split = (text) => { // at the commas outside parentheses
        const out = []; let depth = 0; let start = 0;
        for (let i = 0; i < text.length; i++) {
          if (text[i] === '(') depth++; else if (text[i] === ')') depth--;
          else if (text[i] === ',' && depth === 0) { out.push(text.slice(start, i)); start = i + 1; }
        }
        return [...out, text.slice(start)];
      };
      const matches = [];
      for (const href of others) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(await (await fetch(href)).text());
        const walk = (rules) => {
          for (const rule of rules) {
            if (rule.selectorText) {
              for (const sel of split(rule.selectorText)) {
                const s = strip(sel);
                if (s && s !== '*' && document.querySelector(s)) matches.push(`${file(href)}: ${sel.trim()}`);
              }
            } else if (rule.cssRules) walk(rule.cssRules);
          }
        };
        walk(sheet.cssRules);
      }
      return { loaded, others: others.map(file), matches };
    });
    const bare = (f) => f.replace(/-[0-9a-f]+\.css$/, '');
    console.log(`styles ${name}: loads ${r.loaded.map(bare).join(', ')}; not ${r.others.map(bare).join(', ')}`);
    assert.deepEqual(r.matches, [], `${name}: rules of stylesheets the page does not load match elements on it`);
    assert.ok(r.loaded.some((f) => bare(f) === 'main'), `${name}: the shell's styles are loaded`);
    assert.ok(r.others.length >= 4, `${name}: the other pages' styles are not loaded (${r.loaded})`);
    assert.deepEqual(downloaded, [...new Set(r.loaded)].sort(), `${name}: the stylesheets fetched are the ones linked`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});
