// A keyboard-only walk through every page the header's nav lists (so a page added there is
// covered): Tab from the top of the page to the end and around, and check that
//   - every interactive control on the page (link, button, input, select, textarea, summary,
//     anything with a tabindex ≥ 0, anything drawn with a pointer cursor) is reached by Tab;
//   - each focused element shows a focus indicator: an outline, or a ring (box-shadow) on it or on
//     its parent that is not there without the focus;
//   - every control that says it opens a dialog (aria-haspopup="dialog") opens it with Enter,
//     focus moves inside, Tab stays inside, and Escape closes it and gives focus back.
// The About dialog is one of these, on every page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, url, launchWithRoutes, waitForApp, panicked } from './browser.mjs';

let context;
let routes;
before(async () => { ({ context, routes } = await launchWithRoutes()); });
after(async () => { await context?.close(); });

// Runs in the page: tags every visible interactive control with a `data-kb` number and returns
// their descriptions. Controls inside an open dialog are left out (none is open here).
function tagControls() {
  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), ' +
    'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"]), [contenteditable="true"]';
  const visible = (el) => {
    if (!el.checkVisibility({ checkVisibilityCSS: true })) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const describe = (el) => {
    const t = el.getAttribute('data-testid');
    const label = el.getAttribute('aria-label') || el.textContent.trim().replace(/\s+/g, ' ').slice(0, 40);
    return `${el.tagName.toLowerCase()}${t ? `[data-testid=${t}]` : ''}${label ? ` "${label}"` : ''}`;
  };
  const controls = new Set([...document.querySelectorAll(FOCUSABLE)].filter((el) => !el.closest('details:not([open]) > :not(summary)')));
  // Anything that looks clickable (a pointer cursor) but is no control and is not inside one.
  const clickable = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (controls.has(el) || el.closest(FOCUSABLE) || el.closest('label')) continue;
    if (getComputedStyle(el).cursor !== 'pointer') continue;
    if (el.parentElement && getComputedStyle(el.parentElement).cursor === 'pointer' && !controls.has(el.parentElement)) continue;
    clickable.push(el);
  }
  const out = [];
  let n = 0;
  for (const el of [...controls, ...clickable]) {
    if (!visible(el)) continue;
    el.setAttribute('data-kb', String(n++));
    out.push({ id: el.getAttribute('data-kb'), what: describe(el), pointerOnly: !controls.has(el) });
  }
  return out;
}

// Runs in the page: what has focus now, and whether it shows it.
function focusState() {
  const el = document.activeElement;
  if (!el || el === document.body) return { id: null, what: 'body' };
  const ring = (e) => {
    if (!e) return '';
    const s = getComputedStyle(e);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0 ? `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` : '';
    return `${outline}|${s.boxShadow}`;
  };
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  let indicator = outline ? `outline ${s.outlineStyle} ${s.outlineWidth}` : null;
  if (!indicator) {
    // A custom ring (e.g. the CLIs' `:focus-within` line): the element's or its parent's
    // outline/box-shadow with the focus, compared with the same without it.
    const focused = [ring(el), ring(el.parentElement)];
    el.blur();
    const blurred = [ring(el), ring(el.parentElement)];
    el.focus({ preventScroll: true });
    if (focused[0] !== blurred[0]) indicator = `own ring ${focused[0]}`;
    else if (focused[1] !== blurred[1]) indicator = `parent ring ${focused[1]}`;
  }
  const t = el.getAttribute('data-testid');
  return {
    id: el.getAttribute('data-kb'),
    what: `${el.tagName.toLowerCase()}${t ? `[data-testid=${t}]` : ''} "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 40)}"`,
    indicator,
    inDialog: !!el.closest('[role="dialog"]'),
  };
}

/** Tabs through the page until focus has gone all the way round; returns what was focused. */
async function tabAround(page, limit) {
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  const seen = [];
  let firstId;
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const s = await page.evaluate(focusState);
    if (s.id !== null && s.id === firstId) break;
    if (firstId === undefined && s.id !== null) firstId = s.id;
    seen.push(s);
  }
  return seen;
}

test('keyboard walk: every control on every page is reached by Tab and shows its focus', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1280, height: 800 });
  const problems = [];
  assert.ok(routes.length >= 2, `the nav lists the pages (${JSON.stringify(routes)})`);
  for (const { name, path } of routes) {
    await page.goto(url(path));
    const testid = await waitForApp(page);
    await page.waitForTimeout(300);
    // A live page keeps running while Tab walks it (as it would for a keyboard user); the
    // controls are tagged once, so a control that appears later is not asked for.
    const controls = await page.evaluate(tagControls);
    const seen = await tabAround(page, controls.length * 2 + 40);
    const reached = new Set(seen.map((s) => s.id).filter((id) => id !== null));
    const missing = controls.filter((c) => !reached.has(c.id));
    const noRing = seen.filter((s) => s.id !== null && !s.indicator);
    console.log(`keyboard ${name} (${testid}): ${controls.length} controls, ${reached.size} reached in ${seen.length} Tab presses; ` +
      `${missing.length} unreachable, ${noRing.length} focused without a visible indicator`);
    for (const m of missing) problems.push(`${name}: not reachable by Tab: ${m.what}${m.pointerOnly ? ' (pointer cursor, not focusable)' : ''}`);
    for (const s of noRing) problems.push(`${name}: no visible focus on ${s.what}`);
    assert.equal(await panicked(page), false);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
  assert.deepEqual(problems, []);
});

test('keyboard walk: every dialog opens with Enter, keeps Tab inside, and Escape closes it', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1280, height: 800 });
  const opened = [];
  for (const { name, path } of routes) {
    await page.goto(url(path));
    await waitForApp(page);
    // One opener per kind (its data-testid, else its text): a table of 100 keys has one kind.
    const openers = await page.evaluate(() => {
      const kinds = new Map();
      document.querySelectorAll('[aria-haspopup="dialog"]').forEach((el, i) => {
        if (!el.checkVisibility() || el.disabled) return;
        const kind = el.getAttribute('data-testid') || el.textContent.trim();
        if (!kinds.has(kind)) { el.setAttribute('data-kb-opener', String(i)); kinds.set(kind, String(i)); }
      });
      return [...kinds].map(([kind, id]) => ({ kind, id }));
    });
    assert.ok(openers.some((o) => o.kind === 'about-open'), `${name}: the About button is there`);
    for (const { kind, id } of openers) {
      const opener = page.locator(`[data-kb-opener="${id}"]`);
      await opener.focus();
      await page.keyboard.press('Enter');
      const dialog = page.getByRole('dialog');
      await dialog.waitFor({ timeout: 5000 });
      let s = await page.evaluate(focusState);
      assert.ok(s.inDialog, `${name} ${kind}: focus moves into the dialog (on ${s.what})`);
      for (let i = 0; i < 6; i++) {
        await page.keyboard.press(i % 2 ? 'Shift+Tab' : 'Tab');
        s = await page.evaluate(focusState);
        assert.ok(s.inDialog, `${name} ${kind}: Tab stays inside the dialog (went to ${s.what})`);
        assert.ok(s.indicator, `${name} ${kind}: focus is visible inside the dialog (${s.what})`);
      }
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached', timeout: 5000 });
      assert.equal(await page.evaluate((id) => document.activeElement?.getAttribute('data-kb-opener') === id, id), true,
        `${name} ${kind}: Escape gives the focus back to the opener`);
      opened.push(`${name}: ${kind}`);
    }
  }
  console.log(`dialogs opened with Enter and closed with Escape: ${opened.join(', ')}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});
