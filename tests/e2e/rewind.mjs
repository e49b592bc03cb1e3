// Helpers for the rewind end-to-end tests of every rewindable page: the scrubber's state (from its
// data attributes), a drag, waiting for a link's cursor, and `sim replay` on a downloaded file.

/** The scrubber's cursor, horizon, digest, last seek time and snapshot count. */
export async function scrubber(page) {
  return page.getByTestId('scrubber').evaluate((el) => ({
    ms: Number(el.dataset.cursorMs), events: Number(el.dataset.cursorEvents),
    horizon_ms: Number(el.dataset.horizonMs), horizon_events: Number(el.dataset.horizonEvents),
    digest: el.dataset.digest, seek_ms: el.dataset.seekMs === '' ? null : Number(el.dataset.seekMs),
    snapshots: Number(el.dataset.snapshots),
  }));
}

/** Drags the scrubber's range to `ms`, as a drag does (an input event). */
export async function dragTo(page, ms) {
  await page.getByTestId('scrub-range').evaluate((el, v) => {
    el.value = String(v);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, ms);
}

export async function opened(page) {
  await page.getByTestId('scrubber').waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="opening"]'), null, { timeout: 60000 });
}

/** `sim replay FILE --json` (the debug binary `cargo test` built, else `cargo run`). */
export async function simReplay(file) {
  const { existsSync } = await import('node:fs');
  const { execFileSync } = await import('node:child_process');
  const bin = ['target/debug/sim', 'target/release/sim'].find((b) => existsSync(b));
  const out = bin
    ? execFileSync(bin, ['--json', 'replay', file], { encoding: 'utf8' })
    : execFileSync('cargo', ['run', '--quiet', '--bin', 'sim', '--', '--json', 'replay', file], { encoding: 'utf8' });
  return JSON.parse(out);
}

/** Seeks to fractions of the horizon and steps back ten times, reading the wall ms each took from
 * the scrubber (the page times its own seek): the budgets' figures, never asserted on time. */
export async function measureRewind(page, horizonMs) {
  const seeks = [];
  for (const frac of [0.5, 0.1, 0.9, 0.3, 0.7, 0.05, 0.95, 0.5]) {
    const ms = Math.round(horizonMs * frac);
    await dragTo(page, ms);
    await page.waitForFunction((m) => Number(document.querySelector('[data-testid="scrubber"]').dataset.cursorMs) === m, ms);
    seeks.push((await scrubber(page)).seek_ms);
  }
  const backs = [];
  for (let i = 0; i < 10; i++) {
    const before = (await scrubber(page)).events;
    await page.getByTestId('scrub-back').click();
    await page.waitForFunction((b) => Number(document.querySelector('[data-testid="scrubber"]').dataset.cursorEvents) === b - 1, before);
    backs.push((await scrubber(page)).seek_ms);
  }
  const stat = (xs) => { const s = [...xs].sort((a, b) => a - b); return { p50: s[Math.floor(s.length / 2)], max: s.at(-1) }; };
  return {
    seek_ms: seeks, seek: stat(seeks), seek_goal_ms: 100,
    step_back_ms: backs, step_back: stat(backs), step_back_goal_ms: 16,
    all_timed: seeks.every(Number.isFinite) && backs.every(Number.isFinite),
  };
}

/** Clicks "Download replay", saves the file as `file` and runs `sim replay` on it: the file's JSON
 * and what the CLI printed. */
export async function downloadAndReplay(page, file) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('replay-download').click()]);
  await download.saveAs(file);
  const { readFileSync } = await import('node:fs');
  return { replay: JSON.parse(readFileSync(file, 'utf8')), cli: await simReplay(file) };
}
