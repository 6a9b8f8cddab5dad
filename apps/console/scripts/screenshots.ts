// Screenshots of every page of the console for its README: starts the example shop under
// `rampart up` on free ports, signs the first admin in through identity in Debian's Chromium, and
// writes apps/console/docs/<page>.png at 1440×900 (and users-tablet.png at 768 px).
//
//   node apps/console/scripts/screenshots.ts
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium, signInThroughIdentity, startShop } from '@rampart/testing';

const DOCS = join(import.meta.dirname, '..', 'docs');
const PAGES = [
  ['overview', 'Overview'],
  ['live', 'Live feed'],
  ['alerts', 'Alerts'],
  ['audit', 'Audit search'],
  ['users', 'Users'],
  ['clients', 'Clients'],
  ['sessions', 'Sessions'],
  ['services', 'Services and call graph'],
  ['routes', 'Routes'],
] as const;

const shop = await startShop();
const browser = await launchChromium();
try {
  const gateway = `https://127.0.0.1:${shop.ports.gateway}`;
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: { width: 1440, height: 900 },
    timezoneId: 'Europe/Berlin',
    locale: 'en-GB',
  });
  const page = await context.newPage();
  await page.goto(`${gateway}/console/`);
  await page.waitForURL(/\/auth\/interaction\//u);
  const password = readFileSync(join(shop.home, 'admin-password'), 'utf8').trim();
  await signInThroughIdentity(page, { username: 'admin', password }, (url) =>
    url.startsWith(`${gateway}/console/#/`),
  );
  const shoot = async (id: string, heading: string, file: string): Promise<void> => {
    await page.goto(`${gateway}/console/#/${id}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    // A locator, not waitForFunction: a string predicate is eval, which the console's CSP forbids.
    await page.locator('main [role="status"].state').first().waitFor({ state: 'detached', timeout: 10_000 });
    await page.screenshot({ path: join(DOCS, file), fullPage: true });
    process.stdout.write(`wrote apps/console/docs/${file}\n`);
  };
  for (const [id, heading] of PAGES) await shoot(id, heading, `${id}.png`);
  await page.goto(`${gateway}/console/#/users`);
  await page.getByRole('button', { name: 'Manage bob', exact: true }).click();
  await page.getByRole('heading', { level: 2, name: 'bob' }).waitFor();
  // A locator, not waitForFunction: a string predicate is eval, which the console's CSP forbids.
  await page.locator('main [role="status"].state').first().waitFor({ state: 'detached', timeout: 10_000 });
  await page.screenshot({ path: join(DOCS, 'user-detail.png'), fullPage: true });
  process.stdout.write('wrote apps/console/docs/user-detail.png\n');
  await page.setViewportSize({ width: 768, height: 1024 });
  await shoot('users', 'Users', 'users-tablet.png');
} finally {
  await browser.close();
  await shop.stop();
}
