import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { totpCodeAt } from '@rampart/testing';
import {
  AccountError,
  AccountStore,
  RECOVERY_CODE_ALPHABET,
  TotpFactors,
  type User,
} from '../../../src/accounts/index.ts';
import { ManualClock, type AccountsWorld, type StoreEngine } from '../fixtures.ts';

/** 2024-05-01T00:00:00Z: a step boundary, so `+ n * 30 s` lands on step `T0_STEP + n`. */
const T0 = Date.UTC(2024, 4, 1);
const STEP_MS = 30_000;

export function totpContract(engine: StoreEngine): void {
  describe('TotpFactors', () => {
    let world: AccountsWorld;
    let accounts: AccountStore;
    let totp: TotpFactors;
    const clock = new ManualClock(T0);
    let n = 0;
    let user: User;

    before(async () => {
      world = await engine.open();
      accounts = new AccountStore({ store: world.store, cipher: world.cipher });
      totp = new TotpFactors({ store: world.store, cipher: world.cipher, now: clock.now });
    });
    after(() => world.dispose());
    beforeEach(async () => {
      clock.set(T0);
      n += 1;
      user = await accounts.createUser({ username: `totp-user-${n}` });
    });

    /** Enrols and confirms; returns the secret and the recovery codes. */
    async function enrolled(): Promise<{ secret: string; codes: readonly string[] }> {
      const { secret } = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
      const result = await totp.confirm(user.id, totpCodeAt(secret, clock.now()));
      assert.ok(result.confirmed);
      return { secret, codes: result.recoveryCodes };
    }

    it('begins with a 160-bit secret, stored encrypted, and an otpauth URI apps accept', async () => {
      const { secret, uri } = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const parsed = new URL(uri);
      assert.equal(parsed.protocol, 'otpauth:');
      assert.equal(parsed.host, 'totp');
      assert.equal(parsed.searchParams.get('secret'), secret);
      assert.equal(parsed.searchParams.get('issuer'), 'Rampart');
      assert.equal(parsed.searchParams.get('algorithm'), 'SHA1');
      assert.equal(parsed.searchParams.get('digits'), '6');
      assert.equal(parsed.searchParams.get('period'), '30');
      const row = await world.store.get<{ secret_enc: string; confirmed: number }>(
        'SELECT secret_enc, confirmed FROM totp_factors WHERE user_id = ?',
        [user.id],
      );
      assert.ok(row !== undefined);
      assert.ok(row.secret_enc.startsWith('rf1.') && !row.secret_enc.includes(secret));
      assert.equal(row.confirmed, 0);
      assert.equal(await totp.hasTotp(user.id), false);
      assert.equal(
        await totp.verify(user.id, totpCodeAt(secret, clock.now())),
        false,
        'unconfirmed: unusable',
      );
    });

    it('confirms with a correct code, issuing 10 single-use recovery codes', async () => {
      const { secret } = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
      assert.deepEqual(await totp.confirm(user.id, '000000'), { confirmed: false });
      assert.deepEqual(await totp.confirm(user.id, 'abc'), { confirmed: false });
      const result = await totp.confirm(user.id, totpCodeAt(secret, clock.now()));
      assert.ok(result.confirmed);
      assert.equal(result.recoveryCodes.length, 10);
      assert.equal(new Set(result.recoveryCodes).size, 10);
      for (const code of result.recoveryCodes)
        assert.match(code, new RegExp(`^[${RECOVERY_CODE_ALPHABET}]{24}$`));
      assert.equal(await totp.hasTotp(user.id), true);
      assert.equal(await totp.remainingRecoveryCodes(user.id), 10);
      assert.deepEqual((await accounts.findById(user.id))?.mfa.totp, true);
      assert.deepEqual(await totp.confirm(user.id, totpCodeAt(secret, clock.now())), { confirmed: false });
    });

    it('re-beginning replaces an unconfirmed secret but never a confirmed one', async () => {
      const first = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
      const second = await totp.begin(user.id, { issuer: 'Rampart', label: user.username });
      assert.notEqual(first.secret, second.secret);
      assert.deepEqual(await totp.confirm(user.id, totpCodeAt(first.secret, clock.now())), {
        confirmed: false,
      });
      assert.ok((await totp.confirm(user.id, totpCodeAt(second.secret, clock.now()))).confirmed);
      await assert.rejects(totp.begin(user.id, { issuer: 'R', label: 'x' }), (e: unknown) => {
        return e instanceof AccountError && e.code === 'totp_exists';
      });
      await assert.rejects(totp.begin('no-such-id', { issuer: 'R', label: 'x' }), (e: unknown) => {
        return e instanceof AccountError && e.code === 'unknown_user';
      });
    });

    it('accepts a code within one step either side, and no further', async () => {
      const { secret } = await enrolled();
      clock.advance(10 * STEP_MS);
      const now = clock.now();
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, now - 2 * STEP_MS)), false);
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, now + 2 * STEP_MS)), false);
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, now - STEP_MS)), true);
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, now)), true);
      assert.equal(
        await totp.verify(
          user.id,
          ` ${totpCodeAt(secret, now + STEP_MS).slice(0, 3)} ${totpCodeAt(secret, now + STEP_MS).slice(3)}`,
        ),
        true,
      );
    });

    it('refuses a replayed code, and any code of an earlier step', async () => {
      const { secret } = await enrolled();
      assert.equal(
        await totp.verify(user.id, totpCodeAt(secret, clock.now())),
        false,
        'the confirming code is spent',
      );
      clock.advance(STEP_MS);
      const code = totpCodeAt(secret, clock.now());
      assert.equal(await totp.verify(user.id, code), true);
      assert.equal(await totp.verify(user.id, code), false);
      clock.advance(STEP_MS / 2);
      assert.equal(await totp.verify(user.id, code), false, 'still in the window, still spent');
      clock.advance(STEP_MS);
      const later = totpCodeAt(secret, clock.now() + STEP_MS);
      assert.equal(await totp.verify(user.id, later), true);
      assert.equal(
        await totp.verify(user.id, totpCodeAt(secret, clock.now())),
        false,
        'older than the last used',
      );
    });

    it('lets exactly one of many parallel uses of one code through', async () => {
      const { secret } = await enrolled();
      clock.advance(STEP_MS);
      const code = totpCodeAt(secret, clock.now());
      const results = await Promise.all(Array.from({ length: 12 }, () => totp.verify(user.id, code)));
      assert.equal(results.filter(Boolean).length, 1);
    });

    it('spends each recovery code once, even in parallel, in any case or grouping', async () => {
      const { codes } = await enrolled();
      const [first = '', second = '', third = ''] = codes;
      assert.equal(await totp.useRecoveryCode(user.id, first), true);
      assert.equal(await totp.useRecoveryCode(user.id, first), false);
      assert.equal(
        await totp.useRecoveryCode(user.id, `${second.slice(0, 5).toLowerCase()}-${second.slice(5)}`),
        true,
      );
      const parallel = await Promise.all(
        Array.from({ length: 8 }, () => totp.useRecoveryCode(user.id, third)),
      );
      assert.equal(parallel.filter(Boolean).length, 1);
      assert.equal(await totp.remainingRecoveryCodes(user.id), 7);
      for (const bad of ['', 'AAAAAAAAAA', 'not a code', `${first}X`, '0'.repeat(10)])
        assert.equal(await totp.useRecoveryCode(user.id, bad), false);
      const other = await accounts.createUser({ username: `totp-other-${n}` });
      assert.equal(await totp.useRecoveryCode(other.id, codes[3] ?? ''), false, "another user's code");
    });

    it('regenerates recovery codes, voiding the old ones', async () => {
      const { codes } = await enrolled();
      const fresh = await totp.regenerateRecoveryCodes(user.id);
      assert.equal(fresh.length, 10);
      assert.equal(await totp.useRecoveryCode(user.id, codes[0] ?? ''), false);
      assert.equal(await totp.useRecoveryCode(user.id, fresh[0] ?? ''), true);
      assert.equal(await totp.remainingRecoveryCodes(user.id), 9);
      const plain = await accounts.createUser({ username: `totp-plain-${n}` });
      await assert.rejects(totp.regenerateRecoveryCodes(plain.id), (e: unknown) => {
        return e instanceof AccountError && e.code === 'totp_not_enabled';
      });
    });

    it('removes the factor with its recovery codes', async () => {
      const { secret } = await enrolled();
      assert.equal(await totp.remove(user.id), true);
      assert.equal(await totp.remove(user.id), false);
      assert.equal(await totp.hasTotp(user.id), false);
      assert.equal(await totp.remainingRecoveryCodes(user.id), 0);
      clock.advance(STEP_MS);
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, clock.now())), false);
    });

    it('imports a known secret as a confirmed factor (seeded users)', async () => {
      const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      await totp.importConfirmed(user.id, secret.toLowerCase());
      assert.equal(await totp.hasTotp(user.id), true);
      clock.advance(STEP_MS);
      assert.equal(await totp.verify(user.id, totpCodeAt(secret, clock.now())), true);
      assert.equal((await totp.regenerateRecoveryCodes(user.id)).length, 10);
      await assert.rejects(totp.importConfirmed(user.id, secret), (e: unknown) => {
        return e instanceof AccountError && e.code === 'totp_exists';
      });
      const other = await accounts.createUser({ username: `totp-import-${n}` });
      await assert.rejects(totp.importConfirmed(other.id, 'JBSWY3DP'), TypeError);
      await assert.rejects(totp.importConfirmed(other.id, `${secret.slice(0, 30)}01`), TypeError);
    });

    it('binds the encrypted secret to its row: copied to another user it does not decrypt', async () => {
      const { secret } = await enrolled();
      const victim = await accounts.createUser({ username: `totp-victim-${n}` });
      await world.store.run(
        `INSERT INTO totp_factors (user_id, secret_enc, confirmed, last_step, created_at)
         SELECT ?, secret_enc, 1, 0, created_at FROM totp_factors WHERE user_id = ?`,
        [victim.id, user.id],
      );
      clock.advance(STEP_MS);
      await assert.rejects(totp.verify(victim.id, totpCodeAt(secret, clock.now())), {
        code: 'SDK_DECRYPT_FAILED',
      });
    });
  });
}
