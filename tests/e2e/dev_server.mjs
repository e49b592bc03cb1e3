// The development server (`./scripts/serve.sh`, i.e. `trunk serve`) serves all five wasm bundles: run by
// hand or by scripts/check-serve.sh, not by the suite (its build is a debug build of its own).
//
//   E2E_BASE=http://127.0.0.1:8722/ node --test tests/e2e/dev_server.mjs
//
// Every nav page and an unknown path load by deep link with exactly their own bundle; the nav goes
// from a light page through the Redis pages (each a full load of its own bundle) and back; no console
// errors anywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, url, waitForApp, navRoutes } from './browser.mjs';

let context;
before(async () => { context = await launch(); });
after(async () => { await context?.close(); });

/** The app wasm files the page fetched (the Verify worker's is not fetched on a first load). */
const appWasm = (page) => page.evaluate(() => performance.getEntriesByType('resource')
  .map((e) => new URL(e.name).pathname.split('/').pop()).filter((n) => n.endsWith('_bg.wasm')));

/** The bundle (bin) each Redis page loads; every other path loads the light one. */
const PAGE_BUNDLES = { locks: 'page_locks', redis: 'page_redis', cluster: 'page_cluster', messaging: 'page_messaging' };

test('every nav page and an unknown path load by deep link, each with its own bundle alone', async () => {
  const page = await openPage(context);
  const routes = await navRoutes(page);
  assert.ok(routes.length >= 7, `the nav lists the pages: ${JSON.stringify(routes)}`);
  for (const { name, path } of [...routes, { name: '404', path: 'no/such/page' }]) {
    await page.goto(url(path));
    const id = await waitForApp(page);
    const expected = path === '' ? 'page-home' : path === 'no/such/page' ? 'page-not-found' : `page-${path}`;
    assert.equal(id, expected, `${name}: ${path} shows its page`);
    const wasm = await appWasm(page);
    const bin = PAGE_BUNDLES[path] ?? 'ds-playground';
    assert.equal(wasm.length, 1, `${name}: one wasm (${wasm.join(', ')})`);
    assert.match(wasm[0], new RegExp(`^${bin}.*_bg\\.wasm$`), `${name}: its own bundle`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the nav goes from a light page to a Redis page and back, keeping the remembered query', async () => {
  const page = await openPage(context);
  await page.goto(url('backoff?seed=5'));
  await page.getByTestId('page-backoff').waitFor();
  await page.locator('nav').getByRole('link', { name: 'Home' }).click();
  await page.getByTestId('page-home').waitFor();
  await page.locator('nav').getByRole('link', { name: 'Redis' }).click();
  await page.getByTestId('page-redis').waitFor();
  assert.match((await appWasm(page)).join(), /^page_redis.*_bg\.wasm$/);
  await page.locator('nav').getByRole('link', { name: 'Locks' }).click();
  await page.getByTestId('page-locks').waitFor();
  assert.match((await appWasm(page)).join(), /^page_locks.*_bg\.wasm$/);
  await page.locator('nav').getByRole('link', { name: 'Messaging' }).click();
  await page.getByTestId('page-messaging').waitFor();
  assert.match((await appWasm(page)).join(), /^page_messaging.*_bg\.wasm$/);
  await page.locator('nav').getByRole('link', { name: 'Backoff' }).click();
  await page.getByTestId('page-backoff').waitFor();
  assert.equal(new URL(page.url()).searchParams.get('seed'), '5', "backoff's query came back across the bundles");
  assert.match((await appWasm(page)).join(), /^ds-playground.*_bg\.wasm$/);
  await page.goBack();
  await page.getByTestId('page-messaging').waitFor();
  assert.deepEqual(page.errors, []);
  await page.close();
});
