import { createHash, randomBytes } from 'node:crypto';
import { Secret } from 'otpauth';

/**
 * What the supervisor hands identity at start, beside the environment of the component contract
 * (`component-env.ts`: `identityBootstrapFile` and `clientSecretHashes` travel over IPC): the first
 * admin and the demo users, in a 0600 file of identity's own directory, and the hashes of the
 * client secrets it generated. It lives here, with the contract, so that `rampart up` prepares
 * identity's start without importing the identity service, and identity reads what was written
 * by the same definitions.
 */
export interface BootstrapFile {
  /**
   * The first admin, created only when no admin exists yet; must change the password at first
   * sign-in. `rampart up` gives the one-time password (the file is deleted once applied); a file
   * that stays readable (a Kubernetes Secret, `rampart export k8s-secrets`) gives only its argon2id
   * hash (`passwordHash`, a PHC string).
   */
  readonly admin:
    | { readonly username: string; readonly password: string }
    | { readonly username: string; readonly passwordHash: string };
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

/** A one-time password for the first admin: 192 random bits, base64url (32 characters), without its name. */
export function generateAdminPassword(username: string = FIRST_ADMIN): string {
  return randomPasswordWithout(24, username);
}

/** A demo user with a generated password and TOTP secret. Never used without `demo: true`. */
export function generateDemoUser(username: string, groups: readonly string[] = []): DemoUser {
  return {
    username,
    password: randomPasswordWithout(18, username),
    totpSecret: new Secret({ size: 20 }).base32,
    groups,
  };
}

/**
 * `bytes` random bytes, base64url, drawn again while the result holds `username` in any case:
 * identity's password policy refuses a password containing the user's name, and a random one does
 * now and then (`bob` is in about one 24-character password in 1,500).
 */
function randomPasswordWithout(bytes: number, username: string): string {
  const name = username.toLowerCase();
  for (;;) {
    const password = randomBytes(bytes).toString('base64url');
    if (name.length === 0 || !password.toLowerCase().includes(name)) return password;
  }
}

/** A new client secret: 256 random bits, base64url. Shown once, stored only as `hashClientSecret`. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * How identity stores a client secret: `sha256:<hex>`. A generated secret has 256 bits of entropy,
 * so a fast hash is enough (no password-hashing cost is needed against guessing).
 */
export function hashClientSecret(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}
