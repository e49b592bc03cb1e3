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
