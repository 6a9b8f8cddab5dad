import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  AccountError,
  AccountStore,
  CHALLENGE_TTL_MS,
  Passkeys,
  type User,
} from '../../../src/accounts/index.ts';
import { ManualClock, type AccountsWorld, type StoreEngine } from '../fixtures.ts';
import { SoftwareAuthenticator } from '../software-authenticator.ts';

const ORIGIN = 'https://auth.example.test';
const RP_ID = 'example.test';

export function passkeysContract(engine: StoreEngine): void {
  describe('Passkeys', () => {
    let world: AccountsWorld;
    let accounts: AccountStore;
    let passkeys: Passkeys;
    const clock = new ManualClock(Date.UTC(2024, 4, 1));
    let n = 0;
    let user: User;

    before(async () => {
      world = await engine.open();
      accounts = new AccountStore({ store: world.store, cipher: world.cipher });
      passkeys = new Passkeys({
        store: world.store,
        rpId: RP_ID,
        rpName: 'Rampart',
        origin: ORIGIN,
        now: clock.now,
      });
    });
    after(() => world.dispose());
    beforeEach(async () => {
      n += 1;
      user = await accounts.createUser({ username: `pk-user-${n}`, displayName: `Passkey User ${n}` });
    });

    /** Registers a fresh software authenticator for `owner`. */
    async function registered(owner: User = user): Promise<SoftwareAuthenticator> {
      const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
      const { challengeId, options } = await passkeys.registrationOptions(owner);
      const result = await passkeys.verifyRegistration(
        owner.id,
        challengeId,
        authenticator.register(options),
        'Laptop',
      );
      assert.ok(result.ok, JSON.stringify(result));
      return authenticator;
    }

    it('registers a passkey and signs in with it (round trip, real signatures)', async () => {
      const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
      const { challengeId, options } = await passkeys.registrationOptions(user);
      assert.equal(options.rp.id, RP_ID);
      assert.equal(options.user.name, user.username);
      assert.equal(options.user.displayName, user.displayName);
      assert.equal(options.attestation, 'none');
      assert.deepEqual(options.authenticatorSelection, {
        residentKey: 'preferred',
        userVerification: 'preferred',
        requireResidentKey: false,
      });
      assert.deepEqual(options.excludeCredentials, []);
      const stored = await world.store.get<{ challenge: string; purpose: string; expires_at: number }>(
        'SELECT challenge, purpose, expires_at FROM webauthn_challenges WHERE id = ?',
        [challengeId],
      );
      assert.deepEqual(
        { ...stored },
        { challenge: options.challenge, purpose: 'register', expires_at: clock.now() + CHALLENGE_TTL_MS },
      );

      const registration = await passkeys.verifyRegistration(
        user.id,
        challengeId,
        authenticator.register(options),
        'Laptop',
      );
      assert.ok(registration.ok);
      assert.equal(registration.passkey.credentialId, authenticator.credentialId);
      assert.deepEqual(registration.passkey.transports, ['hybrid', 'internal'], 'unknown transports dropped');
      assert.deepEqual(
        (await passkeys.list(user.id)).map((p) => [p.credentialId, p.name, p.lastUsedAt]),
        [[authenticator.credentialId, 'Laptop', null]],
      );
      assert.equal((await accounts.findById(user.id))?.mfa.passkeys, 1);

      const login = await passkeys.authenticationOptions(user.id);
      assert.deepEqual(
        login.options.allowCredentials?.map((c) => c.id),
        [authenticator.credentialId],
      );
      assert.equal(login.options.userVerification, 'preferred');
      clock.advance(1000);
      const result = await passkeys.verifyAuthentication(
        login.challengeId,
        authenticator.authenticate(login.options),
      );
      assert.deepEqual(result, {
        ok: true,
        userId: user.id,
        credentialId: authenticator.credentialId,
        userVerified: true,
      });
      const [listed] = await passkeys.list(user.id);
      assert.equal(listed?.lastUsedAt, clock.now());
      const row = await world.store.get<{ counter: number }>(
        'SELECT counter FROM passkeys WHERE credential_id = ?',
        [authenticator.credentialId],
      );
      assert.equal(row?.counter, 1);
    });

    it('signs in without a username (discoverable credential), found by the user handle', async () => {
      const authenticator = await registered();
      const login = await passkeys.authenticationOptions();
      assert.deepEqual(login.options.allowCredentials, []);
      const result = await passkeys.verifyAuthentication(
        login.challengeId,
        authenticator.authenticate(login.options),
      );
      assert.ok(result.ok);
      assert.equal(result.userId, user.id);
    });

    it('refuses a counter that does not move forward (a cloned authenticator)', async () => {
      const authenticator = await registered();
      const first = await passkeys.authenticationOptions(user.id);
      assert.ok(
        (
          await passkeys.verifyAuthentication(
            first.challengeId,
            authenticator.authenticate(first.options, { counter: 5 }),
          )
        ).ok,
      );
      for (const counter of [5, 4, 0]) {
        const again = await passkeys.authenticationOptions(user.id);
        const result = await passkeys.verifyAuthentication(
          again.challengeId,
          authenticator.authenticate(again.options, { counter }),
        );
        assert.deepEqual(result, { ok: false, reason: 'counter_regression' }, `counter ${counter}`);
      }
      const next = await passkeys.authenticationOptions(user.id);
      assert.ok(
        (
          await passkeys.verifyAuthentication(
            next.challengeId,
            authenticator.authenticate(next.options, { counter: 6 }),
          )
        ).ok,
      );
    });

    it('lets only one of two racing assertions with the same counter through', async () => {
      const authenticator = await registered();
      const a = await passkeys.authenticationOptions(user.id);
      const b = await passkeys.authenticationOptions(user.id);
      const results = await Promise.all([
        passkeys.verifyAuthentication(a.challengeId, authenticator.authenticate(a.options, { counter: 9 })),
        passkeys.verifyAuthentication(b.challengeId, authenticator.authenticate(b.options, { counter: 9 })),
      ]);
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.reason)).sort(), ['counter_regression', 'ok']);
    });

    it('uses each challenge once, and not after it expires', async () => {
      const authenticator = await registered();
      const login = await passkeys.authenticationOptions(user.id);
      const assertion = authenticator.authenticate(login.options);
      const [first, second] = await Promise.all([
        passkeys.verifyAuthentication(login.challengeId, assertion),
        passkeys.verifyAuthentication(login.challengeId, assertion),
      ]);
      assert.deepEqual([first.ok, second.ok].sort(), [false, true]);
      assert.deepEqual(await passkeys.verifyAuthentication(login.challengeId, assertion), {
        ok: false,
        reason: 'challenge_invalid',
      });

      const late = await passkeys.authenticationOptions(user.id);
      clock.advance(CHALLENGE_TTL_MS);
      assert.deepEqual(
        await passkeys.verifyAuthentication(late.challengeId, authenticator.authenticate(late.options)),
        { ok: false, reason: 'challenge_invalid' },
      );
      const registration = await passkeys.registrationOptions(user);
      assert.deepEqual(
        await passkeys.verifyAuthentication(
          registration.challengeId,
          authenticator.authenticate({ ...late.options, challenge: registration.options.challenge }),
        ),
        { ok: false, reason: 'challenge_invalid' },
        'a registration challenge cannot be used to sign in',
      );
    });

    it('refuses assertions that are not for this site, this user or this challenge', async () => {
      const authenticator = await registered();
      const intruder = await accounts.createUser({ username: `pk-intruder-${n}` });
      const theirs = await registered(intruder);
      const cases: [
        string,
        (o: Awaited<ReturnType<Passkeys['authenticationOptions']>>) => Promise<unknown>,
        string,
      ][] = [
        [
          'another origin',
          (l) =>
            passkeys.verifyAuthentication(
              l.challengeId,
              authenticator.authenticate(l.options, { origin: 'https://evil.test' }),
            ),
          'verification_failed',
        ],
        [
          'another challenge',
          (l) =>
            passkeys.verifyAuthentication(
              l.challengeId,
              authenticator.authenticate({ ...l.options, challenge: 'AAAA' }),
            ),
          'verification_failed',
        ],
        [
          'a tampered signature',
          (l) => {
            const assertion = authenticator.authenticate(l.options);
            const signature = Buffer.from(assertion.response.signature, 'base64url');
            signature[signature.length - 1] = (signature.at(-1) ?? 0) ^ 1;
            return passkeys.verifyAuthentication(l.challengeId, {
              ...assertion,
              response: { ...assertion.response, signature: signature.toString('base64url') },
            });
          },
          'verification_failed',
        ],
        [
          "another user's credential",
          (l) => passkeys.verifyAuthentication(l.challengeId, theirs.authenticate(l.options)),
          'wrong_user',
        ],
        [
          'a foreign user handle',
          (l) =>
            passkeys.verifyAuthentication(
              l.challengeId,
              authenticator.authenticate(l.options, { userHandle: theirs.userHandle ?? '' }),
            ),
          'wrong_user',
        ],
        [
          'an unknown credential',
          (l) =>
            passkeys.verifyAuthentication(l.challengeId, {
              ...authenticator.authenticate(l.options),
              id: 'bm9wZQ',
              rawId: 'bm9wZQ',
            }),
          'unknown_credential',
        ],
      ];
      for (const [name, attempt, reason] of cases) {
        const login = await passkeys.authenticationOptions(user.id);
        assert.deepEqual(await attempt(login), { ok: false, reason }, name);
      }
    });

    it('refuses a registration that does not verify, reuses a challenge, or repeats a credential', async () => {
      const authenticator = new SoftwareAuthenticator({ origin: ORIGIN });
      const a = await passkeys.registrationOptions(user);
      assert.deepEqual(
        await passkeys.verifyRegistration(
          user.id,
          a.challengeId,
          authenticator.register(a.options, { origin: 'https://evil.test' }),
        ),
        { ok: false, reason: 'verification_failed' },
      );
      assert.deepEqual(
        await passkeys.verifyRegistration(user.id, a.challengeId, authenticator.register(a.options)),
        { ok: false, reason: 'challenge_invalid' },
      );
      const other = await accounts.createUser({ username: `pk-other-${n}` });
      const b = await passkeys.registrationOptions(user);
      assert.deepEqual(
        await passkeys.verifyRegistration(other.id, b.challengeId, authenticator.register(b.options)),
        { ok: false, reason: 'challenge_invalid' },
        "another user's challenge",
      );
      const c = await passkeys.registrationOptions(user);
      assert.deepEqual(
        await passkeys.verifyRegistration(user.id, c.challengeId, authenticator.register(c.options), ''),
        {
          ok: false,
          reason: 'invalid_name',
        },
      );
      assert.ok(
        (await passkeys.verifyRegistration(user.id, c.challengeId, authenticator.register(c.options))).ok,
      );
      const d = await passkeys.registrationOptions(user);
      assert.deepEqual(
        d.options.excludeCredentials?.map((x) => x.id),
        [authenticator.credentialId],
      );
      assert.deepEqual(
        await passkeys.verifyRegistration(user.id, d.challengeId, authenticator.register(d.options)),
        {
          ok: false,
          reason: 'credential_exists',
        },
      );
      await assert.rejects(
        passkeys.registrationOptions({ id: 'no-such-id', username: 'ghost' }),
        (e: unknown) => {
          return e instanceof AccountError && e.code === 'unknown_user';
        },
      );
    });

    it('refuses a disabled user, and forgets a removed passkey', async () => {
      const authenticator = await registered();
      await accounts.disableUser(user.id);
      const login = await passkeys.authenticationOptions(user.id);
      assert.deepEqual(
        await passkeys.verifyAuthentication(login.challengeId, authenticator.authenticate(login.options)),
        {
          ok: false,
          reason: 'disabled',
        },
      );
      await accounts.enableUser(user.id);
      assert.equal(await passkeys.remove(user.id, authenticator.credentialId), true);
      assert.equal(await passkeys.remove(user.id, authenticator.credentialId), false);
      const again = await passkeys.authenticationOptions(user.id);
      assert.deepEqual(
        await passkeys.verifyAuthentication(again.challengeId, authenticator.authenticate(again.options)),
        {
          ok: false,
          reason: 'unknown_credential',
        },
      );
    });
  });
}
