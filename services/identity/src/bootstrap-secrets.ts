import { randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';

/** What `rampart up` hands identity at start, in a 0600 file of identity's own directory. */
export interface BootstrapFile {
  /** The first admin, created only when no admin exists yet; must change the password at first sign-in. */
  readonly admin: { readonly username: string; readonly password: string };
  /** `demo: true` only: users created when missing, with a confirmed TOTP factor. */
  readonly demoUsers: readonly DemoUser[];
}

export interface DemoUser {
  readonly username: string;
  readonly password: string;
  /** Base32, for an authenticator app (or `otpauth` in a test). */
  readonly totpSecret: string;
  readonly groups: readonly string[];
}

/** The first admin's user name. */
export const FIRST_ADMIN = 'admin';

/** A one-time password for the first admin: 192 random bits, base64url (32 characters). */
export function generateAdminPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A demo user with a generated password and TOTP secret. Never used without `demo: true`. */
export function generateDemoUser(username: string, groups: readonly string[] = []): DemoUser {
  return {
    username,
    password: randomBytes(18).toString('base64url'),
    totpSecret: new Secret({ size: 20 }).base32,
    groups,
  };
}
