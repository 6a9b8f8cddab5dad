import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setupProfiles } from '../services/profiles/routes.ts';
import { startShopService, type ShopHarness } from './shop-harness.ts';

const ALICE = {
  name: 'Alice Liddell',
  email: 'alice@example.com',
  phone: '+44 20 7946 0000',
  address: '1 Rabbit Hole',
};

describe('profiles service', () => {
  let h: ShopHarness;
  before(async () => {
    h = await startShopService('profiles', setupProfiles);
  });
  after(() => h.close());

  const put = async (sub: string, body: unknown) =>
    h.svc.inject({
      method: 'PUT',
      url: '/profiles/me',
      payload: body as object,
      headers: await h.auth(sub, 'profile:write'),
    });
  const get = async (sub: string) =>
    h.svc.inject({ url: '/profiles/me', headers: await h.auth(sub, 'profile:read') });

  it('404 before a profile exists', async () => {
    const res = await get('alice');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ code: string }>().code, 'SDK_NOT_FOUND');
  });

  it('PUT upserts the caller’s profile and GET returns it', async () => {
    assert.equal((await put('alice', ALICE)).statusCode, 200);
    assert.equal((await put('alice', { ...ALICE, name: 'Alice L.' })).statusCode, 200);
    const res = await get('alice');
    assert.equal(res.statusCode, 200);
    const profile = res.json<Record<string, string>>();
    assert.equal(profile['name'], 'Alice L.');
    assert.equal(profile['email'], ALICE.email);
  });

  it('each user sees only their own profile', async () => {
    await put('bob', { name: 'Bob', email: 'bob@example.com' });
    assert.equal((await get('bob')).json<{ email: string }>().email, 'bob@example.com');
    assert.equal((await get('alice')).json<{ email: string }>().email, ALICE.email);
    assert.equal((await get('carol')).statusCode, 404);
  });

  it('400 names the invalid field', async () => {
    const cases: [unknown, string][] = [
      [{ ...ALICE, email: 'not-an-email' }, '/email'],
      [{ ...ALICE, phone: 'call me; DROP TABLE' }, '/phone'],
      [{ ...ALICE, name: '' }, '/name'],
      [{ ...ALICE, address: 'x'.repeat(501) }, '/address'],
      [{ name: 'No Email' }, '/email'],
      [{ ...ALICE, isAdmin: true }, '/isAdmin'],
    ];
    for (const [body, pointer] of cases) {
      const res = await put('alice', body);
      assert.equal(res.statusCode, 400, pointer);
      assert.equal(res.json<{ errors: { pointer: string }[] }>().errors[0]?.pointer, pointer);
    }
  });

  it('requires the right scope for each verb', async () => {
    const readOnly = await h.auth('alice', 'profile:read');
    const res = await h.svc.inject({ method: 'PUT', url: '/profiles/me', payload: ALICE, headers: readOnly });
    assert.equal(res.statusCode, 403);
  });

  it('does not log profile data', () => {
    assert.ok(!h.logs.join('').includes(ALICE.email));
  });

  it('stores every personal field encrypted: the row holds no plaintext', async () => {
    await put('alice', ALICE);
    const row = await h.svc.store.get<Record<string, string>>('SELECT * FROM profiles WHERE subject = ?', [
      'alice',
    ]);
    const stored = JSON.stringify(row);
    for (const value of Object.values(ALICE)) assert.ok(!stored.includes(value), 'plaintext in the row');
    assert.match(row?.['email'] ?? '', /^rf1\./);
  });

  it('refuses a ciphertext copied to another row, and leaks nothing about why', async () => {
    await put('alice', ALICE);
    await put('bob', { name: 'Bob', email: 'bob@example.com' });
    await h.svc.store.run(
      "UPDATE profiles SET email = (SELECT email FROM profiles WHERE subject = 'alice') WHERE subject = 'bob'",
    );
    const res = await get('bob');
    assert.equal(res.statusCode, 500);
    assert.equal(res.json<{ code: string }>().code, 'SDK_INTERNAL');
    assert.ok(!res.body.includes('alice'));
    assert.equal((await get('alice')).statusCode, 200, 'the original row still decrypts');
  });

  it('re-encrypts a row under the new key after a rotation, on read', async () => {
    await put('carol', { name: 'Carol', email: 'carol@example.com' });
    const before = await h.svc.store.get<{ email: string }>('SELECT email FROM profiles WHERE subject = ?', [
      'carol',
    ]);
    assert.equal(h.svc.fields.needsReencryption(before?.email ?? ''), false);
    await h.svc.rotateFieldKey();
    assert.equal(h.svc.fields.needsReencryption(before?.email ?? ''), true);
    assert.equal((await get('carol')).json<{ email: string }>().email, 'carol@example.com');
    const after = await h.svc.store.get<{ email: string }>('SELECT email FROM profiles WHERE subject = ?', [
      'carol',
    ]);
    assert.notEqual(after?.email, before?.email);
    assert.equal(h.svc.fields.needsReencryption(after?.email ?? ''), false);
  });
});
