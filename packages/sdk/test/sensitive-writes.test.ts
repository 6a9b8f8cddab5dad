import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RampartConfig } from '@rampart/config';
import { createService, type Service } from '@rampart/sdk';
import { createServiceFixture, type ServiceFixture } from '@rampart/testing';

const CONFIG: RampartConfig = {
  version: 1,
  name: 'sensitive',
  policies: { 'write-profile': { scopes: ['profile:write'] } },
  services: {
    profiles: {
      entry: 'profiles.ts',
      port: 7101,
      callers: ['gateway'],
      sensitive: ['email', 'contact.phone'],
      routes: [
        { method: 'PUT', path: '/clear', policy: 'write-profile' },
        { method: 'PUT', path: '/sealed', policy: 'write-profile' },
        { method: 'PUT', path: '/clear-in-transaction', policy: 'write-profile' },
        { method: 'PUT', path: '/nested-clear', policy: 'write-profile' },
      ],
    },
  },
};

interface Body {
  readonly email: string;
  readonly name: string;
  readonly contact?: { readonly phone?: string };
}

describe('a sensitive field is never stored in clear', () => {
  let fixture: ServiceFixture;
  let svc: Service;
  const logs: string[] = [];
  before(async () => {
    fixture = await createServiceFixture({ component: 'profiles', config: CONFIG });
    svc = await createService({
      env: fixture.env,
      logDestination: {
        write(line: string) {
          logs.push(line);
        },
      },
    });
    await svc.store.migrate([
      { id: '0001', sql: 'CREATE TABLE p (id TEXT PRIMARY KEY, email TEXT, name TEXT, phone TEXT)' },
    ]);
    const insert = 'INSERT INTO p (id, email, name, phone) VALUES (?, ?, ?, ?)';
    svc.route<{ Body: Body }>({
      method: 'PUT',
      url: '/clear',
      handler: async (request) => {
        await svc.store.run(insert, ['clear', request.body.email, request.body.name, null]);
        return { ok: true };
      },
    });
    svc.route<{ Body: Body }>({
      method: 'PUT',
      url: '/sealed',
      handler: async (request) => {
        const email = await svc.fields.encrypt(request.body.email, {
          table: 'p',
          column: 'email',
          row: 'sealed',
        });
        await svc.store.run(insert, ['sealed', email, request.body.name, null]);
        return { ok: true };
      },
    });
    svc.route<{ Body: Body }>({
      method: 'PUT',
      url: '/clear-in-transaction',
      handler: async (request) => {
        await svc.store.transaction(async (tx) => {
          await tx.run(insert, ['tx', null, request.body.name, null]);
          await tx.run('UPDATE p SET email = ? WHERE id = ?', [request.body.email, 'tx']);
        });
        return { ok: true };
      },
    });
    svc.route<{ Body: Body }>({
      method: 'PUT',
      url: '/nested-clear',
      handler: async (request) => {
        await svc.store.run(insert, ['nested', null, request.body.name, request.body.contact?.phone ?? null]);
        return { ok: true };
      },
    });
  });
  after(async () => {
    await svc.stop();
    await fixture.cleanup();
  });

  const put = async (url: string, body: Body) =>
    svc.inject({
      method: 'PUT',
      url,
      headers: {
        authorization: `Bearer ${await fixture.token({ sub: 'alice', scope: 'profile:write' })}`,
        'content-type': 'application/json',
      },
      payload: JSON.stringify(body),
    });
  const rows = () =>
    svc.store.all<{ id: string; email: string | null }>('SELECT id, email FROM p ORDER BY id');

  it('refuses a write holding a sensitive value as given: a generic 500, nothing stored, the field logged', async () => {
    const res = await put('/clear', { email: 'alice@example.com', name: 'Alice' });
    assert.equal(res.statusCode, 500);
    assert.doesNotMatch(res.body, /email|example|sensitive/u);
    assert.deepEqual(await rows(), []);
    const logged = logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['code'] === 'SDK_SENSITIVE_IN_CLEAR');
    assert.equal(logged?.['field'], 'email');
    assert.equal(logged['level'], 50);
    assert.ok(!logs.some((l) => l.includes('alice@example.com')), 'the value itself is never logged');
  });

  it('refuses it inside a transaction too, rolling the transaction back', async () => {
    const res = await put('/clear-in-transaction', { email: 'alice@example.com', name: 'Alice' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(await rows(), []);
  });

  it('refuses a nested sensitive field (contact.phone) written as given', async () => {
    const res = await put('/nested-clear', {
      email: 'a@b.example',
      name: 'Alice',
      contact: { phone: '+41 79 000 00 00' },
    });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(await rows(), []);
  });

  it('stores the sealed value, and other fields as given', async () => {
    const res = await put('/sealed', { email: 'alice@example.com', name: 'Alice' });
    assert.equal(res.statusCode, 200, res.body);
    const [row] = await rows();
    assert.equal(row?.id, 'sealed');
    assert.notEqual(row.email, 'alice@example.com');
    assert.equal(
      await svc.fields.decrypt(row.email ?? '', { table: 'p', column: 'email', row: 'sealed' }),
      'alice@example.com',
    );
  });
});
