// End to end: the /cluster page against the release Pages build. Kills a master, plays, and sees
// the replica promoted and the slot bar recoloured; uses the redis-cli in cluster mode; measures
// frame times while playing; saves screenshots (desktop 1440 px and 390 px wide, light and dark)
// to target/screenshots/cluster-*.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, url, SHOTS, fullPageShot, frameWork, frameLine } from './browser.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

const owners = (page) => page.locator('[data-testid="slot-run"]').evaluateAll((rs) => rs.map((r) => r.getAttribute('data-owner')));

test('killing a master: its replica is promoted and the slot bar is recoloured', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url('cluster?preset=steady&seed=3&speed=20'));
  await page.getByTestId('page-cluster').waitFor();
  assert.equal(await page.getByTestId('param-notices').count(), 0);
  assert.deepEqual(await owners(page), ['0', '1', '2']);
  assert.equal(await page.getByTestId('node-0-role').textContent(), 'master');
  // The redis-cli follows a redirect and its prompt follows the node.
  assert.equal(await page.getByTestId('cluster-cli-prompt').textContent(), '127.0.0.1:7000>');
  await page.getByTestId('cluster-cli-input').fill('SET foo bar');
  await page.getByTestId('cluster-cli-input').press('Enter');
  await page.getByTestId('cluster-cli-output').last().filter({ hasText: 'OK' }).waitFor();
  assert.equal(await page.getByTestId('cluster-cli-output').last().textContent(), '-> Redirected to slot [12182] located at 127.0.0.1:7002\nOK');
  assert.equal(await page.getByTestId('cluster-cli-prompt').textContent(), '127.0.0.1:7002>');
  // Key placement.
  await page.getByTestId('placement-key').fill('{user1000}.following');
  assert.match(await page.getByTestId('placement-slot').textContent(), /^3443 /);
  assert.equal(await page.getByTestId('placement-owner').textContent(), '127.0.0.1:7000');
  // Kill the first master and play until its replica owns the slots.
  await page.getByTestId('node-0-kill').click();
  assert.equal(await page.getByTestId('node-0-health').textContent(), 'killed');
  const t0 = Date.now();
  await page.getByTestId('play-toggle').click();
  await page.getByTestId('phase-promoted').waitFor({ timeout: 60_000 });
  const wall = Date.now() - t0;
  await page.getByTestId('play-toggle').click();
  const after = await owners(page);
  assert.equal(after.length, 3);
  assert.notEqual(after[0], '0', 'the first range has a new owner');
  const promoted = after[0];
  assert.equal(await page.getByTestId(`node-${promoted}-role`).textContent(), 'master');
  assert.equal(await page.getByTestId(`node-${promoted}-epoch`).textContent(), '7');
  const summary = await page.getByTestId('failover-summary').textContent();
  console.log(`cluster page: ${summary} (${wall} ms of wall time at 20×)`);
  assert.match(summary, /owned its slots \d+\.\d s later/);
  assert.ok(await page.locator('[data-testid="event-log"] li').count() > 3);
  assert.match(await page.getByTestId('count-errors').textContent(), /^\d+$/);
  // The picture of the wire: the killed master drawn as such, the others still gossiping.
  assert.equal(await page.getByTestId('wire-node-0').getAttribute('data-health'), 'killed');
  assert.ok(await page.locator('[data-testid="wire"] path[data-kind="ping"]').count() > 0, 'gossip drawn');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px`);
  await fullPageShot(page, join(SHOTS, 'cluster-desktop-light.png'));
  await page.getByTestId('cluster-live').screenshot({ path: join(SHOTS, 'cluster-live-light.png') });
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await fullPageShot(page, join(SHOTS, 'cluster-desktop-dark.png'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('presets from the URL, frame times while playing, and the page at 390 px', async () => {
  const page = await openPage(context);
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(url('cluster?preset=reshard&seed=2&speed=10'));
  await page.getByTestId('page-cluster').waitFor();
  assert.equal(await page.getByTestId('preset-reshard').getAttribute('aria-pressed'), 'true');
  await page.getByTestId('play-toggle').click();
  await page.waitForTimeout(800);
  const stats = await frameWork(page, 3000);
  console.log(`cluster page playing the reshard preset at 10×: ${frameLine(stats)} (3 s)`);
  await page.getByTestId('reshard-status').waitFor({ timeout: 60_000 });
  await page.getByTestId('play-toggle').click();
  // A bad setting is named and nothing restarts.
  await page.getByTestId('setting-timeout').fill('5');
  await page.getByTestId('settings-apply').click();
  assert.match(await page.getByTestId('settings-errors').textContent(), /node timeout 5 ms is not accepted: enter 500 to 60000 ms/);
  // A 390 px phone.
  await page.setViewportSize({ width: 390, height: 900 });
  await page.goto(url('cluster?preset=partition-minority&seed=1&speed=50'));
  await page.getByTestId('page-cluster').waitFor();
  await page.getByTestId('play-toggle').click();
  await page.waitForFunction(() => /[1-9]/.test(document.querySelector('[data-testid="count-lost"]')?.textContent ?? '0'), null, { timeout: 60_000 });
  await page.getByTestId('play-toggle').click();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `horizontal overflow ${overflow}px at 390 px`);
  await fullPageShot(page, join(SHOTS, 'cluster-390-light.png'));
  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  await fullPageShot(page, join(SHOTS, 'cluster-390-dark.png'));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the Lua interpreter is fetched on the first script, not at first load, and EVAL runs on the cluster', async () => {
  const page = await openPage(context);
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(url('cluster?preset=steady&seed=3'));
  await page.getByTestId('cluster-cli-input').waitFor();
  const lua = () => requested.filter((u) => /\/lua_module-[0-9a-f]+(\.js|_bg\.wasm)$/.test(u));
  const cli = async (line, expect) => {
    const before = await page.getByTestId('cluster-cli-output').count();
    await page.getByTestId('cluster-cli-input').fill(line);
    await page.getByTestId('cluster-cli-input').press('Enter');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="cluster-cli-output"]').length > n, before);
    await page.getByTestId('cluster-cli-output').last().filter({ hasText: expect }).waitFor();
    return page.getByTestId('cluster-cli-output').last().textContent();
  };
  await cli('GET lazy', '(nil)');
  assert.deepEqual(lua(), [], 'no Lua module file is requested before the first script');
  const started = Date.now();
  assert.match(await cli(`EVAL "return redis.call('INCR', KEYS[1])" 1 lazy`, '(integer) 1'), /\(integer\) 1$/);
  console.log(`cluster: the first EVAL on a cold load answered ${Date.now() - started} ms after Enter (Lua module fetched and instantiated)`);
  assert.match(await cli(`EVAL "return redis.call('INCR', KEYS[1])" 1 lazy`, '(integer) 2'), /\(integer\) 2$/);
  assert.match(await cli(`EVAL "return redis.call('NOSUCH')" 0`, 'error'),
    /\(error\) ERR Unknown Redis command called from script script: [0-9a-f]{40}, on @user_script:1\.$/);
  assert.ok(lua().some((u) => u.endsWith('.js')) && lua().some((u) => u.endsWith('_bg.wasm')),
    `the Lua module's glue and wasm were fetched once a script ran: ${lua().join(', ')}`);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a link whose logged redis-cli lines run scripts loads the Lua interpreter before it replays them', async () => {
  const first = await openPage(context);
  await first.goto(url('cluster?preset=steady&seed=3'));
  await first.getByTestId('cluster-cli-input').waitFor();
  for (const [line, expect] of [[`EVAL "return redis.call('INCR', KEYS[1])" 1 linked`, '(integer) 1'], [`EVAL "return redis.call('INCR', KEYS[1])" 1 linked`, '(integer) 2']]) {
    await first.getByTestId('cluster-cli-input').fill(line);
    await first.getByTestId('cluster-cli-input').press('Enter');
    await first.getByTestId('cluster-cli-output').last().filter({ hasText: expect }).waitFor();
  }
  await first.waitForFunction(() => new URL(location.href).searchParams.has('a'));
  const link = first.url();
  await first.close();

  const page = await openPage(context);
  const requested = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(link);
  await page.getByTestId('cluster-cli-input').waitFor();
  await page.getByTestId('cluster-cli-output').last().filter({ hasText: '(integer) 2' }).waitFor();
  const outputs = await page.getByTestId('cluster-cli-output').allTextContents();
  assert.ok(outputs.some((o) => /\(integer\) 1$/.test(o)) && /\(integer\) 2$/.test(outputs.at(-1)), outputs.join(' | '));
  assert.ok(requested.some((u) => /\/lua_module-[0-9a-f]+_bg\.wasm$/.test(u)), 'the link fetched the Lua module');
  assert.deepEqual(page.errors, []);
  await page.close();
});
