import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { Availability } from './describe-if-available.ts';

/** Debian's Chromium (`apt-get install chromium`; CI installs it with `.ci/browser`). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Whether browser tests can run: `{ skip: reason }` when {@link CHROMIUM} is missing, unless
 * `RAMPART_REQUIRE_SERVICES=1` (then the launch fails instead of skipping). For
 * `describeIfAvailable`.
 */
export function chromiumAvailability(env: NodeJS.ProcessEnv = process.env): Availability {
  return !existsSync(CHROMIUM) && env['RAMPART_REQUIRE_SERVICES'] !== '1'
    ? {
        skip: `${CHROMIUM} is missing (install Debian's chromium, or set RAMPART_REQUIRE_SERVICES=1 to fail instead)`,
      }
    : { skip: false };
}

/** What every test browser runs with: no sandbox (containers), no GPU, no background traffic. */
const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-sync',
] as const;

/**
 * Debian's Chromium, headless, driven by playwright-core; `args` are added to the base switches.
 *
 * @example
 * const browser = await launchChromium(['--disable-quic']);
 * const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
 */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  // Loaded here, not at the top: playwright-core takes ~0.4 s to import, and every test file imports
  // this package.
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...args] });
}
