// A seeded monkey: random clicks, typing (long strings too), selects, key presses and navigation
// on every page the header's nav lists, about MONKEY_SECONDS (60) in all. It asserts 0 console
// errors, 0 panics (the crash banner) and no long task over 200 ms while a page shows (a task that
// loads the app or mounts a page is that page's first render: printed here, budgeted by
// budgets.test.mjs), and prints the actions per page. The seed (4242 unless `MONKEY_SEED=<n>` says otherwise) is printed and replays a run (the same
// actions on the same elements, as far as the page draws the same things at the same moments:
// live pages run on the wall clock, so a replay is close, not exact).
// Actions that leave the site (external links) or download files are skipped.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, url, launchWithRoutes, waitForApp, panicked, BASE, SHOTS } from './browser.mjs';

// A fixed seed by default, so every CI run takes the same walk; MONKEY_SEED explores others.
const SEED = Number(process.env.MONKEY_SEED ?? 4242);
const SECONDS = Number(process.env.MONKEY_SECONDS ?? 60);
const LONG_TASK_MS = 200;

/** mulberry32: a tiny seeded generator, enough to replay a monkey. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let context;
let routes;
before(async () => { ({ context, routes } = await launchWithRoutes()); });
after(async () => { await context?.close(); });

// Runs in the page: the visible candidates of one kind, tagged `data-monkey` so the runner can
// address them. Links that leave the site and anything that downloads are left out.
function candidates({ kind, base }) {
  const visible = (el) => el.checkVisibility({ checkVisibilityCSS: true }) && el.getBoundingClientRect().width > 0;
  const dialog = document.querySelector('[role="dialog"]');
  // A modal dialog is modal: while one is open, only what is in it can be clicked.
  const scope = dialog ?? document;
  const downloads = /download|export|csv|json|save as/i;
  let list;
  if (kind === 'click') {
    list = [...scope.querySelectorAll('button, a[href], summary, input[type="checkbox"], input[type="radio"], [role="button"], svg[data-testid], tr[data-testid]')]
      .filter((el) => !el.disabled)
      .filter((el) => !(el.tagName === 'A' && (!el.href.startsWith(base) || el.hasAttribute('download'))))
      .filter((el) => !downloads.test(`${el.textContent} ${el.getAttribute('data-testid') ?? ''} ${el.getAttribute('aria-label') ?? ''}`))
      .filter((el) => el.id !== 'crash-banner' && !el.closest('#crash-banner'));
  } else if (kind === 'type') {
    list = [...scope.querySelectorAll('input:not([type]), input[type="text"], input[type="number"], input[type="search"], textarea')]
      .filter((el) => !el.disabled && !el.readOnly);
  } else if (kind === 'select') {
    list = [...scope.querySelectorAll('select')].filter((el) => !el.disabled && el.options.length > 0);
  } else if (kind === 'range') {
    list = [...scope.querySelectorAll('input[type="range"]')].filter((el) => !el.disabled);
  } else if (kind === 'nav') {
    list = [...document.querySelectorAll('.site-nav a, main a[href]')].filter((el) => el.href.startsWith(base));
  }
  list = list.filter(visible);
  document.querySelectorAll('[data-monkey]').forEach((el) => el.removeAttribute('data-monkey'));
  return list.map((el, i) => {
    el.setAttribute('data-monkey', String(i));
    return `${el.tagName.toLowerCase()}${el.getAttribute('data-testid') ? `[${el.getAttribute('data-testid')}]` : ''}`;
  });
}

const KEYS = ['Tab', 'Shift+Tab', 'Enter', 'Escape', ' ', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End', 'PageDown', 'Backspace'];

function text(r) {
  const pick = r();
  if (pick < 0.15) return String(Math.floor(r() * 1e6));
  if (pick < 0.25) return String(-Math.floor(r() * 1000));
  if (pick < 0.32) return '1e309';
  if (pick < 0.4) return '';
  if (pick < 0.5) return 'SET k "v" EX 10';
  if (pick < 0.58) return '"unterminated \\x';
  if (pick < 0.66) return 'ünïcødé 🙂 \u202e rtl';
  if (pick < 0.8) return 'x'.repeat(1 + Math.floor(r() * 200));
  // Long strings: 5 KB to 200 KB.
  return 'long '.repeat(1000 + Math.floor(r() * 40000));
}

/** One random action; returns its kind and a description for the log. */
async function act(page, r) {
  const roll = r();
  const kind = roll < 0.45 ? 'click' : roll < 0.62 ? 'type' : roll < 0.7 ? 'select' : roll < 0.75 ? 'range' : roll < 0.92 ? 'key' : 'nav';
  if (kind === 'key') {
    const key = KEYS[Math.floor(r() * KEYS.length)];
    await page.keyboard.press(key);
    return { kind, what: `key ${key}` };
  }
  if (kind === 'nav') {
    const how = r();
    if (how < 0.15) { await page.goBack({ timeout: 5000 }).catch(() => {}); return { kind, what: 'back' }; }
    if (how < 0.25) { await page.goForward({ timeout: 5000 }).catch(() => {}); return { kind, what: 'forward' }; }
    if (how < 0.35) { await page.reload(); return { kind, what: 'reload' }; }
  }
  const list = await page.evaluate(candidates, { kind: kind === 'nav' ? 'nav' : kind, base: BASE });
  if (list.length === 0) return { kind: 'none', what: `no ${kind} target` };
  const i = Math.floor(r() * list.length);
  const el = page.locator(`[data-monkey="${i}"]`);
  const opts = { timeout: 2000 };
  try {
    if (kind === 'click' || kind === 'nav') {
      await el.click(opts);
    } else if (kind === 'type') {
      const s = text(r);
      await el.click(opts);
      if (r() < 0.5) await el.fill('', opts);
      if (s.length > 200) await page.keyboard.insertText(s); else await page.keyboard.type(s, { delay: 0 });
      if (r() < 0.6) await page.keyboard.press('Enter');
      return { kind, what: `type ${s.length} chars into ${list[i]}` };
    } else if (kind === 'select') {
      const n = await el.evaluate((s) => s.options.length);
      await el.selectOption({ index: Math.floor(r() * n) }, opts);
    } else if (kind === 'range') {
      await el.focus();
      const steps = Math.floor(r() * 30);
      for (let k = 0; k < steps; k++) await page.keyboard.press(r() < 0.5 ? 'ArrowRight' : 'ArrowLeft');
    }
  } catch (e) {
    // An element that moved or went away between choosing and acting: a skipped action.
    if (!/Timeout|detached|not attached|intercepts pointer|outside of the viewport|not visible|not an HTMLElement/.test(String(e))) throw e;
    return { kind: 'none', what: `${kind} on ${list[i]}: skipped (${String(e).split('\n')[0].slice(0, 80)})` };
  }
  return { kind, what: `${kind} ${list[i]}` };
}

test(`monkey: random actions on every page (seed ${SEED}), 0 errors, 0 panics, no long task over ${LONG_TASK_MS} ms`, async () => {
  console.log(`monkey seed ${SEED} (replay: MONKEY_SEED=${SEED}), ${SECONDS} s over ${routes.length} pages`);
  const r = rng(SEED);
  const page = await openPage(context);
  await page.setViewportSize({ width: 1280, height: 800 });
  // Long tasks, per document, with the time the page showed: loading (fetching and compiling the
  // wasm, the first render) is the first-render budget's business, not the monkey's.
  await page.addInitScript(() => {
    window.__longtasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, ms: e.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch { /* no long-task timing: nothing is recorded */ }
    // When each page (the first, and each one a link in the app shows) appeared.
    window.__shown = [];
    new MutationObserver(() => {
      const id = document.querySelector('main [data-testid^="page-"]')?.dataset.testid;
      if (id && id !== window.__page) { window.__page = id; window.__shown.push(performance.now()); }
    }).observe(document, { childList: true, subtree: true });
  });
  const slice = (SECONDS * 1000) / routes.length;
  const counts = {};
  const log = [];
  const longTasks = [];
  const failures = [];
  let shot = false;
  const collectLongTasks = async (where) => {
    // A task that loads the app (before its first page shows) or mounts a page (a page appeared
    // during it) is that page's first render, printed here and budgeted by budgets.test.mjs; every
    // other long task is the monkey's business.
    const lt = await page.evaluate(() => {
      const shown = window.__shown ?? [];
      const out = (window.__longtasks ?? []).map((t) => ({
        ...t,
        render: shown.length === 0 || t.start < shown[0] || shown.some((s) => s >= t.start && s <= t.start + t.ms),
      }));
      window.__longtasks = [];
      return out;
    }).catch(() => []);
    for (const t of lt) {
      longTasks.push({ where, ...t });
      if (t.ms > LONG_TASK_MS && !t.render) failures.push(`${where}: a long task of ${t.ms.toFixed(0)} ms after: ${log.slice(-5).join(' | ')}`);
    }
  };
  for (const { name, path } of routes) {
    await page.goto(url(path));
    await waitForApp(page);
    const end = Date.now() + slice;
    while (Date.now() < end) {
      const here = new URL(page.url()).pathname.slice(new URL(BASE).pathname.length) || '(home)';
      await collectLongTasks(here);
      const a = await act(page, r);
      counts[here] ??= { click: 0, type: 0, select: 0, range: 0, key: 0, nav: 0, none: 0 };
      counts[here][a.kind]++;
      log.push(`${here}: ${a.what}`);
      // The app must still be there after every action (a reload or a back may be loading it).
      await waitForApp(page).catch(() => {});
      if (await panicked(page)) { failures.push(`panic after: ${log.slice(-8).join(' | ')}`); await page.goto(url(path)); }
      if (page.errors.length) { failures.push(`console errors after: ${log.slice(-8).join(' | ')}: ${page.errors.join(' / ')}`); page.errors = []; }
      if (!page.url().startsWith(BASE)) { failures.push(`left the site: ${page.url()}`); await page.goto(url(path)); }
    }
    const before = failures.length;
    await collectLongTasks(name);
    if (failures.length > before || (failures.length && !shot)) {
      shot = true;
      await page.screenshot({ path: join(SHOTS, `monkey-${name.replace(/\W+/g, '-').toLowerCase()}-failure.png`) });
    }
  }
  for (const [where, c] of Object.entries(counts)) {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    console.log(`monkey ${where}: ${total} actions (${Object.entries(c).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ')})`);
  }
  const worst = (ts) => ts.reduce((m, t) => Math.max(m, t.ms), 0).toFixed(0);
  const renders = longTasks.filter((t) => t.render);
  const others = longTasks.filter((t) => !t.render);
  console.log(`monkey long tasks (over 50 ms): ${others.length} while a page showed, longest ${worst(others)} ms (limit ${LONG_TASK_MS} ms); ` +
    `${renders.length} loading or mounting a page, longest ${worst(renders)} ms (first render, not limited here)`);
  await page.close();
  assert.deepEqual(failures, [], `monkey seed ${SEED}: replay with MONKEY_SEED=${SEED}`);
});
