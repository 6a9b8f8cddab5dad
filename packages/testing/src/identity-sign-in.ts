import type { Page } from 'playwright-core';
import { totpCode } from './totp-code.ts';

/** Who signs in: a password, and the TOTP secret of a person who already has the app. */
export interface SignInPerson {
  readonly username: string;
  readonly password: string;
  readonly totpSecret?: string;
}

/** What a first sign-in sets: the new password (when identity asks for one) and the enrolled TOTP secret. */
export interface SignInOutcome {
  readonly password: string;
  readonly totpSecret: string | undefined;
}

/**
 * Signs a person in through identity's pages in Chromium, from wherever `page` stands (identity's
 * login form), until `done(url)`: password, then each step identity asks for, recognised by what it
 * asks — a new password (`newPassword`), TOTP enrolment (the first admin), a TOTP code, the recovery
 * codes' Continue. Returns the password and TOTP secret now in force.
 *
 * @example
 * await page.goto(`${gateway}/console/`);
 * const admin = await signInThroughIdentity(page, { username: 'admin', password }, (url) => url.includes('/console/#'), 'a new password 2026');
 */
export async function signInThroughIdentity(
  page: Page,
  person: SignInPerson,
  done: (url: string) => boolean,
  newPassword = 'correct horse battery staple 2026',
): Promise<SignInOutcome> {
  let password = person.password;
  let totpSecret = person.totpSecret;
  await page.getByLabel('Username').fill(person.username);
  await page.getByLabel('Password').fill(person.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  for (let step = 0; step < 8; step++) {
    await page.waitForLoadState();
    if (done(page.url())) return { password, totpSecret };
    if ((await page.getByLabel('New password', { exact: true }).count()) > 0) {
      await page.getByLabel('New password', { exact: true }).fill(newPassword);
      await page.getByLabel('New password again').fill(newPassword);
      password = newPassword;
      await page.getByRole('button', { name: 'Change password' }).click();
    } else if ((await page.getByLabel('Code shown by the app').count()) > 0) {
      totpSecret = await page.locator('input[name="secret"]').inputValue();
      await page.getByLabel('Code shown by the app').fill(totpCode(totpSecret));
      await page.getByRole('button', { name: 'Turn on two-step verification' }).click();
    } else if ((await page.getByLabel('Code from your authenticator app').count()) > 0) {
      await page.getByLabel('Code from your authenticator app').fill(totpCode(totpSecret ?? ''));
      await page.getByRole('button', { name: 'Verify' }).click();
    } else if ((await page.getByRole('button', { name: 'Continue' }).count()) > 0) {
      await page.getByRole('button', { name: 'Continue' }).click();
    } else {
      await page.waitForTimeout(200);
    }
  }
  await page.waitForLoadState();
  if (done(page.url())) return { password, totpSecret };
  throw new Error(`the sign-in did not finish: ${page.url()}\n${(await page.content()).slice(0, 2000)}`);
}
