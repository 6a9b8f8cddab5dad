import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { componentSpiffeId } from '@rampart/mesh';
import { callService, startShop, TRUST_DOMAIN } from './support/platform.ts';

/** Every regular file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('no secret or PII in plain text anywhere under .rampart/ (logs, data, state)', () => {
  it('after a scripted shop session through every service', async () => {
    const shop = await startShop();
    const secrets: Record<string, string> = {
      name: 'Wilhelmina Zwicky-Oyelaran',
      email: 'wilhelmina.zwicky@example.org',
      phone: '+44 20 7946 0958',
      address: '221B Baker Street, London NW1 6XE',
      cardNumber: '4111111111111111',
      password: 'CorrectHorseBatteryStaple-42',
    };
    try {
      const gateway = await shop.credentials(componentSpiffeId(TRUST_DOMAIN, 'gateway'));
      const profileToken = await shop.token({
        sub: 'user-7f3a',
        aud: 'profiles',
        scope: 'profile:read profile:write',
      });
      const ordersToken = await shop.token({
        sub: 'user-7f3a',
        aud: 'orders',
        scope: 'orders:read orders:write',
      });
      secrets['profileToken'] = profileToken;
      secrets['ordersToken'] = ordersToken;
      const asGateway = (token: string) => ({ ca: shop.bundle(), cert: gateway, token });

      const { name, email, phone, address, cardNumber, password } = secrets;
      const saved = await callService(
        shop.ports.profiles,
        'profiles',
        '/profiles/me',
        asGateway(profileToken),
        {
          method: 'PUT',
          body: { name, email, phone, address },
        },
      );
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      assert.equal(
        (await callService(shop.ports.profiles, 'profiles', '/profiles/me', asGateway(profileToken))).status,
        200,
      );
      // Hostile or careless input: a password where none belongs, PII in a rejected body.
      const rejected = await callService(
        shop.ports.profiles,
        'profiles',
        '/profiles/me',
        asGateway(profileToken),
        {
          method: 'PUT',
          body: { name, email, password },
        },
      );
      assert.equal(rejected.status, 400);

      const order = await callService(shop.ports.orders, 'orders', '/orders', asGateway(ordersToken), {
        method: 'POST',
        body: { items: [{ sku: 'MUG-1', quantity: 1 }] },
      });
      const { id } = order.body as { id: string };
      const paid = await callService(
        shop.ports.orders,
        'orders',
        `/orders/${id}/payment`,
        asGateway(ordersToken),
        {
          method: 'POST',
          body: { cardNumber, expiry: '11/38' },
        },
      );
      assert.equal(paid.status, 200, JSON.stringify(paid.body));
      const declined = await callService(
        shop.ports.orders,
        'orders',
        `/orders/${id}/payment`,
        asGateway(ordersToken),
        {
          method: 'POST',
          body: { cardNumber: '4111111111111112', expiry: '11/38' },
        },
      );
      assert.notEqual(declined.status, 200);
      // A stolen token presented to the wrong service.
      assert.equal(
        (await callService(shop.ports.profiles, 'profiles', '/profiles/me', asGateway(ordersToken))).status,
        401,
      );
    } finally {
      await shop.up.stop();
    }

    const files = filesUnder(shop.home);
    assert.ok(
      files.some((f) => f.endsWith('service.sqlite')),
      'the services stored data',
    );
    assert.ok(
      files.some((f) => f.endsWith('profiles.log')),
      'the services logged',
    );
    const leaks: string[] = [];
    for (const file of files) {
      const content = readFileSync(file).toString('latin1');
      for (const [kind, value] of Object.entries(secrets)) {
        if (content.includes(value)) leaks.push(`${kind} in ${file.slice(shop.home.length + 1)}`);
      }
    }
    await shop.stop();
    assert.deepEqual(leaks, []);
  });
});
