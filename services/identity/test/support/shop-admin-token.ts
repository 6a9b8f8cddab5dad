import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { importJWK, SignJWT } from 'jose';
import { FieldCipher, LocalKeyring, openEmbeddedStore } from '@rampart/sdk';
import type { RunningShop } from '@rampart/testing';
import { SigningKeys } from '../../src/keys/signing-keys.ts';
import { ADMIN_CLI_CLIENT_ID } from '../../src/oidc/client-metadata.ts';

/** The first admin of a running shop and an admin API token for them. */
export interface AdminAccess {
  readonly adminId: string;
  readonly token: string;
}

/** What a test changes of the admin token, to have one that must be refused. */
export interface AdminTokenClaims {
  /** Another user's id (a user without the admin role, a disabled admin). */
  readonly subject?: string;
  readonly scope?: string;
  readonly amr?: readonly string[];
  readonly audience?: string;
  readonly clientId?: string;
}

/**
 * An admin API access token exactly as identity issues one to `rampart admin login` after the first
 * admin's MFA sign-in (RFC 9068 `at+jwt`, ES256, audience `<issuer>/admin`, scope `admin`,
 * `amr` with `mfa`), signed with identity's current key read from its own store and keyring under
 * `.rampart/`. The test (or benchmark) stands in for that sign-in (test/e2e/admin-login.test.ts does it for real); everything after it — the gateway's
 * identity mount, the admin API's token checks, the operations — is the real path.
 */
export async function adminAccess(shop: RunningShop, claims: AdminTokenClaims = {}): Promise<AdminAccess> {
  const store = openEmbeddedStore(join(shop.home, 'identity/identity.sqlite'));
  try {
    const cipher = new FieldCipher(await LocalKeyring.open(join(shop.home, 'keyring/identity/keyring.json')));
    const [jwk] = await new SigningKeys({ store, cipher, retiredRetentionMs: 0 }).privateJwks();
    const admin = await store.get<{ id: string }>(
      "SELECT users.id FROM users JOIN user_roles ON user_roles.user_id = users.id WHERE role = 'admin'",
    );
    if (jwk === undefined || admin === undefined) throw new Error('identity has no signing key or no admin');
    const issuer = `https://127.0.0.1:${shop.ports.gateway}/auth`;
    const now = Math.floor(Date.now() / 1000);
    const subject = claims.subject ?? admin.id;
    const token = await new SignJWT({
      client_id: claims.clientId ?? ADMIN_CLI_CLIENT_ID,
      scope: claims.scope ?? 'admin',
      amr: claims.amr ?? ['pwd', 'otp', 'mfa'],
      acr: 'urn:rampart:acr:mfa',
      auth_time: now - 5,
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', ...(jwk.kid === undefined ? {} : { kid: jwk.kid }) })
      .setJti(randomUUID())
      .setSubject(subject)
      .setIssuer(issuer)
      .setAudience(claims.audience ?? `${issuer}/admin`)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(await importJWK(jwk, 'ES256'));
    return { adminId: subject, token };
  } finally {
    await store.close();
  }
}
