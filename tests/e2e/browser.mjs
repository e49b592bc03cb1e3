// Launches Debian's Chromium through playwright-core (never a downloaded browser) with the flags
// this closed network needs, and collects console errors per page.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE = process.env.E2E_BASE ?? 'http://127.0.0.1:8000/playground/';
export const SHOTS = process.env.E2E_SHOTS ?? 'target/screenshots';
mkdirSync(SHOTS, { recursive: true });

export async function launch() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'dsp-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  return context;
}

/** Opens a page that records console errors and uncaught exceptions. */
export async function openPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('console', (msg) => {
    // A deep link served from 404.html has status 404 by design (as on GitHub Pages).
    if (msg.type() === 'error' && !/status of 404/.test(msg.text())) page.errors.push(msg.text());
  });
  page.on('pageerror', (err) => page.errors.push(String(err)));
  return page;
}

export function url(path = '') {
  return new URL(path, BASE).toString();
}

// ---- Shared by the keyboard walk, the monkey test, the budgets and the pages' own frame tests ----

/**
 * The playgrounds, as the header's nav lists them (never a hard-coded list, so a page added to
 * the nav is covered): `[{ name, path }]`, `path` relative to BASE ('' for home).
 */
export async function navRoutes(page) {
  await page.goto(url(''));
  await page.locator('.site-nav a').first().waitFor();
  const base = new URL(BASE);
  const links = await page.evaluate(() =>
    [...document.querySelectorAll('.site-nav a')].map((a) => ({ name: a.textContent.trim(), href: a.href })));
  return links.map(({ name, href }) => {
    const u = new URL(href);
    return { name, path: u.pathname.slice(base.pathname.length) };
  });
}

/** A browser and the routes its nav lists: `{ context, routes }`. */
export async function launchWithRoutes() {
  const context = await launch();
  const page = await openPage(context);
  const routes = await navRoutes(page);
  await page.close();
  return { context, routes };
}

/** Waits until the route's page component is mounted; returns its `data-testid`. */
export async function waitForApp(page) {
  const el = page.locator('main [data-testid^="page-"]').first();
  await el.waitFor();
  return el.getAttribute('data-testid');
}

/** Whether the crash banner (drawn by the panic hook) is on the page. */
export async function panicked(page) {
  return (await page.locator('[data-testid="crash-banner"]').count()) > 0;
}

/**
 * Per-frame *work* for `ms` of wall time: from the frame's requestAnimationFrame time to a message
 * posted from that frame's callback, which runs only after the frame's scripts, Yew's renders,
 * style, layout and paint are done. This is the main thread's busy time for the frame (an upper
 * bound: a message can also wait behind other tasks), not the interval between frames (also
 * returned); and the main thread's CPU time per frame. Figures in ms.
 */
export async function frameWork(page, ms) {
  // Chromium's own counters over the same frames: the main thread's CPU time (`ThreadTime`) and
  // the time in script, style and layout. On a shared machine the wall-clock work above also
  // counts the time the thread waited for a core; the CPU time per frame does not.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const before = await metrics();
  const f = await framesInPage(page, ms);
  const after = await metrics();
  await cdp.detach();
  const per = (k) => ((after[k] - before[k]) * 1000) / f.frames;
  return { ...f, cpu_per_frame: per('ThreadTime'), script_per_frame: per('ScriptDuration'), style_per_frame: per('RecalcStyleDuration'), layout_per_frame: per('LayoutDuration') };
}

function framesInPage(page, ms) {
  return page.evaluate((ms) => new Promise((resolve) => {
    const intervals = [];
    const work = [];
    let last = performance.now();
    const end = last + ms;
    function tick(t) {
      const now = performance.now();
      intervals.push(now - last);
      last = now;
      const ch = new MessageChannel();
      ch.port1.onmessage = () => work.push(performance.now() - t);
      ch.port2.postMessage(0);
      if (now < end) requestAnimationFrame(tick); else {
        setTimeout(() => {
          const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
          resolve({
            frames: intervals.length,
            interval_p50: pct(intervals, 0.5), interval_p95: pct(intervals, 0.95),
            work_p50: pct(work, 0.5), work_p95: pct(work, 0.95), work_max: Math.max(...work),
          });
        }, 50);
      }
    }
    requestAnimationFrame(tick);
  }), ms);
}

/** One line for a `frameWork` result. */
export function frameLine(f) {
  return `${f.frames} frames; work p50 ${f.work_p50.toFixed(1)} ms, p95 ${f.work_p95.toFixed(1)} ms, max ${f.work_max.toFixed(1)} ms; ` +
    `main-thread CPU ${f.cpu_per_frame.toFixed(1)} ms/frame (script ${f.script_per_frame.toFixed(1)}, style ${f.style_per_frame.toFixed(1)}, ` +
    `layout ${f.layout_per_frame.toFixed(1)}); interval p50 ${f.interval_p50.toFixed(1)} ms, p95 ${f.interval_p95.toFixed(1)} ms`;
}

/**
 * First render, cold (HTTP cache disabled, a fresh page): navigation start to the page
 * component in the DOM (`mounted_ms`) and to the end of the frame that painted it
 * (`painted_ms`); also the browser's first contentful paint (index.html's static loading state).
 */
export async function firstRender(context, path) {
  const page = await openPage(context);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await page.addInitScript(() => {
    const seen = () => document.querySelector('main [data-testid^="page-"]');
    const mo = new MutationObserver(() => {
      if (!seen()) return;
      mo.disconnect();
      const mounted = performance.now();
      requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = () => { window.__firstRender = { mounted, painted: performance.now() }; };
        ch.port2.postMessage(0);
      });
    });
    mo.observe(document, { childList: true, subtree: true });
  });
  await page.goto(url(path));
  await page.waitForFunction(() => window.__firstRender, null, { timeout: 60000 });
  const r = await page.evaluate(() => ({
    ...window.__firstRender,
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
  }));
  await cdp.detach();
  const errors = page.errors;
  await page.close();
  return { mounted_ms: r.mounted, painted_ms: r.painted, fcp_ms: r.fcp, errors };
}

/**
 * First-load bytes of one landing page as served: the document and every script, stylesheet and
 * wasm the browser fetched until the page's component mounted (the loader picks one of the two wasm
 * bundles by path, so this is what a visitor of `path` downloads), each fetched again from the
 * server and gzip -9'd here; the favicon is left out. Returns
 * `{ path, files: [{ path, kind, raw, gzip }], total: { raw, gzip }, by_kind }`.
 */
export async function firstLoadBytes(context, path = '') {
  const { gzipSync } = await import('node:zlib');
  const page = await openPage(context);
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.goto(url(path));
  await waitForApp(page);
  await cdp.detach();
  const errors = page.errors;
  await page.close();
  if (errors.length) throw new Error(`${path || 'home'}: console errors while loading: ${errors.join('; ')}`);
  const kind = (p) => (p.endsWith('.wasm') ? 'wasm' : p.endsWith('.js') ? 'js' : p.endsWith('.css') ? 'css' : p.endsWith('.svg') ? 'icon' : 'html');
  const files = [];
  for (const r of new Set(fetched)) {
    const u = new URL(r);
    if (u.origin !== new URL(BASE).origin || kind(u.pathname) === 'icon') continue;
    const res = await fetch(r);
    if (!res.ok && kind(u.pathname) !== 'html') throw new Error(`${r}: HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    files.push({ path: u.pathname, kind: kind(u.pathname), raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
  }
  const by_kind = {};
  for (const f of files) {
    by_kind[f.kind] ??= { raw: 0, gzip: 0 };
    by_kind[f.kind].raw += f.raw;
    by_kind[f.kind].gzip += f.gzip;
  }
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip }), { raw: 0, gzip: 0 });
  return { path, files, total, by_kind };
}

/**
 * A CPU profile of `ms` of the page as it runs (Chromium's sampling profiler over CDP), summed by
 * function: `{ total_ms, self: [[name, ms]], inclusive: [[name, ms]] }`, biggest first. Wasm
 * functions have names only in a build that kept its name section (e.g. Cargo's output through
 * `wasm-bindgen --target web`, without wasm-opt, swapped into a copy of the Pages build).
 */
export async function cpuProfile(page, ms, intervalUs = 200) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
  await page.waitForTimeout(ms);
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.detach();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}`.trim();
  const perNode = new Map();
  profile.samples.forEach((id, i) => perNode.set(id, (perNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const self = new Map();
  const inclusive = new Map();
  for (const [id, t] of perNode) {
    self.set(label(byId.get(id)), (self.get(label(byId.get(id))) ?? 0) + t);
    const seen = new Set();
    for (let p = id; p; p = parent.get(p)) {
      const name = label(byId.get(p));
      if (!seen.has(name)) { seen.add(name); inclusive.set(name, (inclusive.get(name) ?? 0) + t); }
    }
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { total_ms: [...perNode.values()].reduce((a, b) => a + b, 0), self: sorted(self), inclusive: sorted(inclusive) };
}

/** A full-page screenshot that shows every panel: `.panel` has `content-visibility: auto`, so panels
 * outside the viewport are not rendered and a capture beyond it shows them blank. For the shot they
 * render as they do once scrolled to (set through the CSSOM, which the page's CSP allows), then the
 * page goes back to skipping them. */
export async function fullPageShot(page, path) {
  const set = (v) => page.evaluate((v) => { for (const p of document.querySelectorAll('.panel')) p.style.contentVisibility = v; }, v);
  await set('visible');
  await page.waitForTimeout(100);
  await page.screenshot({ path, fullPage: true });
  await set('');
}
