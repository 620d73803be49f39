// Debian's Chromium for the browser tests, started the way this machine allows (no sandbox as
// root, no background networking: the closed network refuses it). Never a downloaded browser.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Skip (with a warning) without Chromium, except in CI (CI=true), where the tests fail instead. */
export function skipWithoutChromium(what: string): boolean {
  const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true';
  if (skip) console.warn(`[e2e] SKIPPED ${what}: ${CHROMIUM} is missing (apt-get install chromium). With CI=true they fail instead.`);
  return skip;
}

export const launchChromium = () =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
