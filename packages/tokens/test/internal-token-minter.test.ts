import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { before, describe, it } from 'node:test';
import {
  createInternalTokenMinter,
  importInternalTokenKey,
  verifyInternalToken,
  type InternalPrincipal,
  type InternalTokenVerification,
  type PublicKey,
} from '@rampart/tokens';

function ed25519Pems(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

const alice: InternalPrincipal = {
  subject: 'alice',
  audience: 'orders',
  scopes: ['orders:read', 'orders:write'],
  groups: ['staff'],
  amr: ['pwd', 'otp'],
};

describe('createInternalTokenMinter', () => {
  let privatePem: string;
  let publicKey: PublicKey;

  before(async () => {
    const pems = ed25519Pems();
    privatePem = pems.privatePem;
    publicKey = await importInternalTokenKey(pems.publicPem);
  });

  const verify = (
    token: string,
    audience = 'orders',
    now = new Date(),
    keys: readonly PublicKey[] = [publicKey],
  ): Promise<InternalTokenVerification> => verifyInternalToken(token, { publicKeys: keys, audience, now });

  it('mints what the verifier accepts for that audience, with the principal', async () => {
    const token = await createInternalTokenMinter({ signingKeyPem: privatePem }).mint(alice);
    assert.ok(token.startsWith('v4.public.'));
    const verified = await verify(token);
    assert.ok(verified.ok);
    assert.equal(verified.token.sub, 'alice');
    assert.equal(verified.token.scope, 'orders:read orders:write');
    assert.deepEqual(verified.token.groups, ['staff']);
    assert.deepEqual(verified.token.amr, ['pwd', 'otp']);
    assert.equal(verified.token.act, undefined);
  });

  it('is refused by another service and by another key', async () => {
    const token = await createInternalTokenMinter({ signingKeyPem: privatePem }).mint(alice);
    const payments = await verify(token, 'payments');
    assert.ok(!payments.ok && payments.reason === 'claims');
    const otherKey = await importInternalTokenKey(ed25519Pems().publicPem);
    const wrongKey = await verify(token, 'orders', new Date(), [otherKey]);
    assert.ok(!wrongKey.ok && wrongKey.reason === 'untrusted');
  });

  it('accepts a principal without scopes', async () => {
    const token = await createInternalTokenMinter({ signingKeyPem: privatePem }).mint({
      ...alice,
      scopes: [],
      groups: [],
      amr: [],
    });
    const verified = await verify(token);
    assert.ok(verified.ok);
    assert.equal(verified.token.scope, undefined);
  });

  it('reuses a token until 10 s before exp, then signs a new one that still verifies', async () => {
    let clock = Date.parse('2030-01-01T00:00:00.000Z');
    const now = (): Date => new Date(clock);
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem, lifetimeSeconds: 60, now });
    const first = await minter.mint(alice);
    clock += 49_999;
    assert.equal(await minter.mint(alice), first, 'cached');
    assert.ok((await verify(first, 'orders', now())).ok);
    clock += 1;
    const second = await minter.mint(alice);
    assert.notEqual(second, first, 'renewed 10 s before exp');
    assert.ok((await verify(second, 'orders', now())).ok);
  });

  it('signs concurrent first requests of a principal once', async () => {
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem });
    const [a, b] = await Promise.all([minter.mint(alice), minter.mint(alice)]);
    assert.equal(a, b);
    assert.equal(minter.size, 1);
  });

  it('gives each scope set, group set, amr, subject and audience its own token', async () => {
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem });
    const tokens = new Set(
      await Promise.all([
        minter.mint(alice),
        minter.mint({ ...alice, scopes: ['orders:read'] }),
        minter.mint({ ...alice, groups: [] }),
        minter.mint({ ...alice, amr: ['pwd'] }),
        minter.mint({ ...alice, subject: 'bob' }),
        minter.mint({ ...alice, audience: 'payments' }),
      ]),
    );
    assert.equal(tokens.size, 6);
    assert.equal(minter.size, 6);
  });

  it('keys the cache so that no subject can collide with another principal', async () => {
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem });
    // With a naive `${subject}|${audience}|${scopes}` key these two would share a token.
    const forged: InternalPrincipal = { ...alice, subject: 'alice|orders', audience: 'x', scopes: [] };
    const victim: InternalPrincipal = { ...alice, subject: 'alice', audience: 'orders|x', scopes: [] };
    assert.notEqual(await minter.mint(forged), await minter.mint(victim));
    const joined: InternalPrincipal = { ...alice, scopes: ['a,b'] };
    const split: InternalPrincipal = { ...alice, scopes: ['a', 'b'] };
    assert.notEqual(await minter.mint(joined), await minter.mint(split));
    assert.equal(minter.size, 4);
  });

  it('keeps at most maxEntries tokens, evicting the least recently used', async () => {
    let clock = Date.parse('2030-01-01T00:00:00.000Z');
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem, now: () => new Date(clock) });
    const principal = (i: number): InternalPrincipal => ({ ...alice, subject: `user-${i}` });
    const first = await minter.mint(principal(0));
    const last = await minter.mint(principal(1));
    for (let i = 2; i <= 10_000; i++) await minter.mint(principal(i));
    assert.equal(minter.size, 10_000);
    // 10 001 principals: user-0, the least recently used, was evicted.
    clock += 1000; // a re-signed token differs (new iat); a cached one does not
    assert.equal(await minter.mint(principal(10_000)), await minter.mint(principal(10_000)));
    assert.notEqual(await minter.mint(principal(0)), first, 'evicted, signed again');
    assert.equal(minter.size, 10_000);
    assert.notEqual(await minter.mint(principal(1)), last, 'evicted by the re-insert of user-0');
    assert.equal(minter.size, 10_000);
  });

  it('refreshes recency on a hit', async () => {
    let clock = Date.parse('2030-01-01T00:00:00.000Z');
    const minter = createInternalTokenMinter({
      signingKeyPem: privatePem,
      maxEntries: 2,
      now: () => new Date(clock),
    });
    const a = await minter.mint({ ...alice, subject: 'a' });
    await minter.mint({ ...alice, subject: 'b' });
    await minter.mint({ ...alice, subject: 'a' }); // a is now the most recent
    await minter.mint({ ...alice, subject: 'c' }); // evicts b
    clock += 1000;
    assert.equal(await minter.mint({ ...alice, subject: 'a' }), a);
    assert.equal(minter.size, 2);
  });

  it('rejects misuse with a TypeError', () => {
    assert.throws(
      () => createInternalTokenMinter({ signingKeyPem: privatePem, lifetimeSeconds: 301 }),
      TypeError,
    );
    assert.throws(
      () => createInternalTokenMinter({ signingKeyPem: privatePem, lifetimeSeconds: 10 }),
      TypeError,
    );
    assert.throws(() => createInternalTokenMinter({ signingKeyPem: privatePem, maxEntries: 0 }), TypeError);
    assert.throws(() => createInternalTokenMinter({ signingKeyPem: 'not a key' }), TypeError);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ecPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    assert.throws(() => createInternalTokenMinter({ signingKeyPem: ecPem }), /Ed25519/u);
    const minter = createInternalTokenMinter({ signingKeyPem: privatePem });
    assert.throws(() => minter.mint({ ...alice, subject: '' }), TypeError);
    assert.throws(() => minter.mint({ ...alice, scopes: ['a b'] }), TypeError);
  });
});
