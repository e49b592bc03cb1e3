// End to end: the /messaging page against the release Pages build. Every preset loads from its
// URL and plays without console errors; the frame work of 10 producers × 10 consumers at 100× is
// printed (per-frame work time, not the frame interval); screenshots at 1440 px and 390 px, light
// and dark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, url, SHOTS, frameWork, frameLine } from './browser.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

const PRESETS = [
  ['steady', 'stream-group'],
  ['peak-cut', 'request-response'],
  ['consumer-crash', 'simple-queue'],
  ['offline-subscriber', 'pubsub'],
  ['visibility-timeout', 'task-queue'],
  ['retry-storm', 'task-queue'],
  ['broker-restart', 'reliable-queue'],
  ['partition', 'simple-queue'],
  ['poison-message', 'stream-group'],
];

async function setTheme(page, theme) {
  await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
}

test('every preset loads from its URL and plays without console errors', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  for (const [preset, pattern] of PRESETS) {
    await page.goto(url(`messaging?preset=${preset}&pattern=${pattern}&seed=1&speed=100`));
    await page.getByTestId('page-messaging').waitFor();
    assert.equal(await page.getByTestId('param-notices').count(), 0, preset);
    await page.getByTestId('play-toggle').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="count-produced"]')?.textContent) > 20,
      null, { timeout: 20000 });
    await page.getByTestId('play-toggle').click();
    // dispatchEvent, not click(): click() waits for the node to be stable, and under load the
    // controls row was seen replaced between two of Playwright's checks (the run's last frame
    // redraws it), which made this test flaky; the handler and what it shows are what is tested.
    await page.getByTestId('msg-finish').dispatchEvent('click');
    await page.getByTestId('msg-finished').waitFor({ timeout: 60000 });
    const lost = await page.getByTestId('count-lost').textContent();
    const dup = await page.getByTestId('count-duplicated').textContent();
    console.log(`${preset} / ${pattern}: produced ${await page.getByTestId('count-produced').textContent()}, lost ${lost}, duplicated ${dup}`);
    if (preset === 'consumer-crash') assert.ok(Number(lost) > 0, 'the simple queue loses the held messages');
  }
  // TCP vs UDP.
  await page.goto(url('messaging?preset=tcp-vs-udp&loss=0.1&seed=1'));
  await page.getByTestId('msg-transport-table').waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('tcp-delivered').textContent(), '1000');
  await page.screenshot({ path: join(SHOTS, 'messaging-tcp-vs-udp.png'), fullPage: true });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('frame work at 10 producers × 10 consumers, paused and at 100× (figures printed)', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 900 });
  for (const speed of [0, 100]) {
    await page.goto(url(`messaging?preset=steady&pattern=reliable-queue&producers=10&consumers=10&seed=1&speed=${speed || 1}`));
    await page.getByTestId('page-messaging').waitFor();
    assert.equal(await page.getByTestId('param-notices').count(), 0);
    assert.equal(await page.locator('[data-testid^="msg-consumer-"]').count(), 10);
    if (speed) await page.getByTestId('play-toggle').click();
    await page.waitForTimeout(300);
    const f = await frameWork(page, 3000);
    const { dots, behind, clock } = await page.evaluate(() => ({
      dots: document.querySelectorAll('[data-testid="msg-flow"] .msg-dots circle').length,
      behind: document.querySelector('[data-testid="behind"]')?.textContent ?? '',
      clock: document.querySelector('[data-testid="clock"] output')?.textContent ?? '',
    }));
    console.log(`frame work, 10 producers × 10 consumers ${speed ? `playing at ${speed}×` : 'paused (baseline)'}: ${frameLine(f)}; clock ${clock}; ${dots} dots; ${behind || 'keeping up'}`);
    assert.ok(dots <= 150, 'the dot cap holds');
    if (speed) await page.getByTestId('play-toggle').click();
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('screenshots: desktop and 390 px, light and dark, mid-run with a crash', async () => {
  for (const [w, h, name] of [[1440, 900, 'desktop'], [390, 844, 'phone']]) {
    const page = await openPage(context);
    await page.setViewportSize({ width: w, height: h });
    await page.goto(url('messaging?preset=consumer-crash&pattern=reliable-queue&seed=1&speed=10'));
    await page.getByTestId('page-messaging').waitFor();
    await page.getByTestId('play-toggle').click();
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="count-produced"]')?.textContent) > 40, null, { timeout: 20000 });
    await page.getByTestId('msg-crash-1').click();
    await page.waitForTimeout(400);
    await page.getByTestId('play-toggle').click();
    await page.locator('[data-testid="msg-recent"] button').first().click();
    await page.getByTestId('msg-cli-input').fill('XINFO GROUPS stream');
    await page.getByTestId('msg-cli-input').press('Enter');
    await page.getByTestId('msg-cli-input').fill('LLEN queue');
    await page.getByTestId('msg-cli-input').press('Enter');
    await page.screenshot({ path: join(SHOTS, `messaging-${name}-light.png`), fullPage: true });
    await setTheme(page, 'dark');
    await page.screenshot({ path: join(SHOTS, `messaging-${name}-dark.png`), fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 1, `${name}: no horizontal overflow (${overflow}px)`);
    assert.deepEqual(page.errors, []);
    await page.close();
  }
});
