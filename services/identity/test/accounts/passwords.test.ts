import assert from 'node:assert/strict';
import { hash } from '@node-rs/argon2';
import { before, describe, it } from 'node:test';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from '../../src/accounts/index.ts';

describe('argon2id password hashing', () => {
  const password = 'correct horse battery staple';
  let stored: string;
  before(async () => {
    stored = await hashPassword(password);
  });

  it('uses argon2id, 19 MiB, 2 passes, 1 lane (OWASP), and says so in the PHC string', () => {
    assert.deepEqual(
      { ...ARGON2_PARAMS },
      { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1, outputLen: 32 },
    );
    assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('verifies the password and nothing else', async () => {
    assert.equal(await verifyPassword(stored, password), true);
    assert.equal(await verifyPassword(stored, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(stored, 'Correct horse battery staple'), false);
    assert.notEqual(await hashPassword(password), stored, 'a fresh salt each time');
  });

  it('normalizes with NFKC, so one password typed two ways is one password', async () => {
    const composed = await hashPassword('caf\u00e9 au lait, s\u2019il vous pla\u00eet');
    assert.equal(
      await verifyPassword(composed, 'cafe\u0301 au lait, s\u2019il vous pla\u0131\u0302t'),
      false,
    );
    assert.equal(await verifyPassword(composed, 'cafe\u0301 au lait, s\u2019il vous plai\u0302t'), true);
    const fullWidth = await hashPassword(
      '\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44 \uff11\uff12\uff13',
    );
    assert.equal(await verifyPassword(fullWidth, 'password 123'), true);
  });

  it('answers false, never throws, for a malformed hash or an oversized password', async () => {
    for (const bad of [
      '',
      'garbage',
      '$argon2id$v=19$m=19456,t=2,p=1$$',
      '$2b$12$abcdefghijklmnopqrstuuJ9QbVvJ1nA1cTtkq7d0eWbq1G0j5Gk2',
    ])
      assert.equal(await verifyPassword(bad, password), false, JSON.stringify(bad));
    assert.equal(await verifyPassword(stored, 'x'.repeat(10_000)), false);
    assert.equal(await verifyPassword(stored, '\ud800 lone surrogate'), false);
  });

  it('asks for a rehash only when the stored parameters are weaker or unreadable', async () => {
    assert.equal(needsRehash(stored), false);
    assert.equal(needsRehash(await hash(password, { memoryCost: 8192, timeCost: 2, parallelism: 1 })), true);
    assert.equal(needsRehash(await hash(password, { memoryCost: 19456, timeCost: 1, parallelism: 1 })), true);
    assert.equal(needsRehash(stored.replace('$argon2id$', '$argon2i$')), true);
    assert.equal(needsRehash(stored.replace('m=19456', 'm=65536')), false, 'stronger is fine');
    assert.equal(needsRehash('not a hash'), true);
  });
});
