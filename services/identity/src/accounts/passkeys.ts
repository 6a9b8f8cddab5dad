import { isUniqueViolation, type Store } from '@rampart/sdk';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { requireUser } from './memberships.ts';
import {
  cleanTransports,
  descriptor,
  isCredentialId,
  isPasskeyName,
  PASSKEY_COLUMNS,
  toPasskey,
  userHandle,
  type Passkey,
  type PasskeyRow,
} from './passkey-records.ts';
import { CHALLENGE_TTL_MS, saveChallenge, takeChallenge } from './webauthn-challenges.ts';

/** COSE algorithms accepted for new passkeys: EdDSA, ES256, RS256 (what authenticators ship). */
export const PASSKEY_ALGORITHMS: readonly number[] = Object.freeze([-8, -7, -257]);

export interface PasskeysOptions {
  readonly store: Store;
  /** The relying party id: the site's registrable domain, e.g. `example.com`. */
  readonly rpId: string;
  /** Shown by the authenticator, e.g. `Rampart`. */
  readonly rpName: string;
  /** The exact origin(s) ceremonies run on, e.g. `https://auth.example.com`. */
  readonly origin: string | readonly string[];
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
}

export interface PasskeyUser {
  readonly id: string;
  readonly username: string;
  readonly displayName?: string | null;
}

/** Options for the browser, and the id of the stored challenge to send back with its answer. */
export interface Ceremony<T> {
  readonly challengeId: string;
  readonly options: T;
}

export type RegistrationResult =
  | { readonly ok: true; readonly passkey: Passkey }
  | {
      readonly ok: false;
      readonly reason: 'invalid_name' | 'challenge_invalid' | 'verification_failed' | 'credential_exists';
    };

export type AuthenticationResult =
  | {
      readonly ok: true;
      readonly userId: string;
      readonly credentialId: string;
      readonly userVerified: boolean;
    }
  | {
      readonly ok: false;
      readonly reason:
        | 'challenge_invalid'
        | 'unknown_credential'
        | 'wrong_user'
        | 'verification_failed'
        | 'counter_regression'
        | 'disabled';
    };

/**
 * Passkeys (WebAuthn) with `@simplewebauthn/server`: registration and authentication ceremonies
 * whose challenges live in the store (5 minutes, single use: taken with an atomic delete before
 * the response is checked), credentials bound to one user, and the signature counter enforced
 * with a compare-and-set so a cloned authenticator's replayed or older counter is refused even
 * when two assertions race. User verification is "preferred": the result says whether it
 * happened, and a caller using a passkey as the only factor should require `userVerified`.
 *
 * @example
 * const passkeys = new Passkeys({ store, rpId: 'example.com', rpName: 'Shop', origin: 'https://example.com' });
 * const { challengeId, options } = await passkeys.registrationOptions(user); // → navigator.credentials.create
 * await passkeys.verifyRegistration(user.id, challengeId, responseFromBrowser, 'Laptop');
 * const login = await passkeys.authenticationOptions(); // discoverable: no user yet
 * const result = await passkeys.verifyAuthentication(login.challengeId, assertionFromBrowser);
 * if (result.ok) signIn(result.userId);
 */
export class Passkeys {
  readonly #store: Store;
  readonly #rpId: string;
  readonly #rpName: string;
  readonly #origin: string | string[];
  readonly #now: () => number;

  constructor(options: PasskeysOptions) {
    this.#store = options.store;
    this.#rpId = options.rpId;
    this.#rpName = options.rpName;
    this.#origin = typeof options.origin === 'string' ? options.origin : [...options.origin];
    this.#now = options.now ?? Date.now;
  }

  /** Options for `navigator.credentials.create()`, excluding the user's existing passkeys. `unknown_user`. */
  async registrationOptions(user: PasskeyUser): Promise<Ceremony<PublicKeyCredentialCreationOptionsJSON>> {
    await requireUser(this.#store, user.id);
    const existing = await this.#rows(user.id);
    const options = await generateRegistrationOptions({
      rpName: this.#rpName,
      rpID: this.#rpId,
      userName: user.username,
      userID: new TextEncoder().encode(user.id),
      userDisplayName: user.displayName ?? user.username,
      timeout: CHALLENGE_TTL_MS,
      attestationType: 'none',
      excludeCredentials: existing.map((row) => descriptor(row)),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
    });
    const challengeId = await saveChallenge(this.#store, {
      userId: user.id,
      challenge: options.challenge,
      purpose: 'register',
      now: this.#now(),
    });
    return { challengeId, options };
  }

  /** Checks the browser's answer to `registrationOptions` and stores the new passkey. */
  async verifyRegistration(
    userId: string,
    challengeId: string,
    response: RegistrationResponseJSON,
    name = 'Passkey',
  ): Promise<RegistrationResult> {
    if (!isPasskeyName(name)) return { ok: false, reason: 'invalid_name' };
    const now = this.#now();
    const challenge = await takeChallenge(this.#store, challengeId, 'register', now);
    if (challenge?.userId !== userId) return { ok: false, reason: 'challenge_invalid' };
    let verified;
    try {
      verified = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        requireUserVerification: false,
        supportedAlgorithmIDs: [...PASSKEY_ALGORITHMS],
      });
    } catch {
      return { ok: false, reason: 'verification_failed' };
    }
    if (!verified.verified) return { ok: false, reason: 'verification_failed' };
    const { credential, credentialBackedUp } = verified.registrationInfo;
    const transports = cleanTransports(credential.transports);
    try {
      await this.#store.run(
        `INSERT INTO passkeys (credential_id, user_id, public_key, counter, transports, name, backed_up, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          credential.id,
          userId,
          credential.publicKey,
          credential.counter,
          JSON.stringify(transports),
          name,
          credentialBackedUp ? 1 : 0,
          now,
        ],
      );
    } catch (error) {
      if (isUniqueViolation(error)) return { ok: false, reason: 'credential_exists' };
      throw error;
    }
    return {
      ok: true,
      passkey: {
        credentialId: credential.id,
        name,
        transports,
        backedUp: credentialBackedUp,
        createdAt: now,
        lastUsedAt: null,
      },
    };
  }

  /**
   * Options for `navigator.credentials.get()`: the user's passkeys when `userId` is given, or none
   * (the authenticator offers its discoverable credentials) for a username-less sign-in.
   */
  async authenticationOptions(userId?: string): Promise<Ceremony<PublicKeyCredentialRequestOptionsJSON>> {
    const rows = userId === undefined ? [] : await this.#rows(userId);
    const options = await generateAuthenticationOptions({
      rpID: this.#rpId,
      allowCredentials: rows.map((row) => descriptor(row)),
      userVerification: 'preferred',
      timeout: CHALLENGE_TTL_MS,
    });
    const challengeId = await saveChallenge(this.#store, {
      userId: userId ?? null,
      challenge: options.challenge,
      purpose: 'authenticate',
      now: this.#now(),
    });
    return { challengeId, options };
  }

  /**
   * Checks an assertion: the challenge (taken first, so it is spent whatever happens next), that
   * the credential exists and belongs to the challenge's user (and to the `userHandle` the
   * authenticator returned), the signature, and that the counter moved forward — then records the
   * new counter and `last_used_at`.
   */
  async verifyAuthentication(
    challengeId: string,
    response: AuthenticationResponseJSON,
  ): Promise<AuthenticationResult> {
    const now = this.#now();
    const challenge = await takeChallenge(this.#store, challengeId, 'authenticate', now);
    if (challenge === undefined) return { ok: false, reason: 'challenge_invalid' };
    const row = await this.#row(response.id);
    if (row === undefined) return { ok: false, reason: 'unknown_credential' };
    if (challenge.userId !== null && challenge.userId !== row.user_id)
      return { ok: false, reason: 'wrong_user' };
    const handle = response.response.userHandle;
    if (handle !== undefined && handle !== '' && handle !== userHandle(row.user_id))
      return { ok: false, reason: 'wrong_user' };
    let verified;
    try {
      verified = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge.challenge,
        expectedOrigin: this.#origin,
        expectedRPID: this.#rpId,
        // The counter is checked below, atomically; given 0 here the library does not check it.
        credential: { id: row.credential_id, publicKey: new Uint8Array(row.public_key), counter: 0 },
        requireUserVerification: false,
      });
    } catch {
      return { ok: false, reason: 'verification_failed' };
    }
    if (!verified.verified) return { ok: false, reason: 'verification_failed' };
    const { newCounter, userVerified } = verified.authenticationInfo;
    // An authenticator without a counter always sends 0; otherwise the counter must grow.
    const result =
      newCounter === 0
        ? await this.#store.run(
            'UPDATE passkeys SET last_used_at = ? WHERE credential_id = ? AND counter = 0',
            [now, row.credential_id],
          )
        : await this.#store.run(
            'UPDATE passkeys SET counter = ?, last_used_at = ? WHERE credential_id = ? AND counter < ?',
            [newCounter, now, row.credential_id, newCounter],
          );
    if (result.changes !== 1) return { ok: false, reason: 'counter_regression' };
    // Told only to someone holding the key; the caller answers it like any other refusal.
    if (row.disabled === 1) return { ok: false, reason: 'disabled' };
    return { ok: true, userId: row.user_id, credentialId: row.credential_id, userVerified };
  }

  /** The user's passkeys, oldest first. */
  async list(userId: string): Promise<Passkey[]> {
    return (await this.#rows(userId)).map((row) => toPasskey(row));
  }

  /** Removes one of the user's passkeys; false if the user has no such passkey. */
  async remove(userId: string, credentialId: string): Promise<boolean> {
    const result = await this.#store.run('DELETE FROM passkeys WHERE user_id = ? AND credential_id = ?', [
      userId,
      credentialId,
    ]);
    return result.changes === 1;
  }

  #rows(userId: string): Promise<PasskeyRow[]> {
    return this.#store.all<PasskeyRow>(
      `SELECT ${PASSKEY_COLUMNS} FROM passkeys WHERE user_id = ? ORDER BY created_at, credential_id`,
      [userId],
    );
  }

  async #row(credentialId: unknown): Promise<(PasskeyRow & { readonly disabled: number }) | undefined> {
    if (!isCredentialId(credentialId)) return undefined;
    return this.#store.get<PasskeyRow & { disabled: number }>(
      `SELECT p.credential_id, p.user_id, p.public_key, p.counter, p.transports, p.name, p.backed_up,
              p.created_at, p.last_used_at, u.disabled
         FROM passkeys p JOIN users u ON u.id = p.user_id
        WHERE p.credential_id = ?`,
      [credentialId],
    );
  }
}
