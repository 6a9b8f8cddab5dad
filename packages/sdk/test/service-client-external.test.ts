// svc.call reaches services of the mesh only: an external upstream (outside the mesh) is refused
// before any token is exchanged, so no internal token is ever minted for it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { parseConfig } from '@rampart/config';
import type { WorkloadIdentity } from '@rampart/mesh';
import { ServiceClients } from '@rampart/sdk';

const CONFIG = `version: 1
name: shop
policies: { p: {} }
services:
  orders:
    entry: orders.ts
    port: 7102
    callers: [gateway]
external:
  partner:
    url: https://partner.example.com/api
    ca: partner-ca.pem
`;

describe('svc.call and external upstreams', () => {
  it('refuses to call an external upstream, naming the fix, before exchanging a token', async () => {
    const loaded = parseConfig(CONFIG, 'rampart.yaml');
    assert.ok(loaded.ok, JSON.stringify(loaded.problems));
    let identityUsed = false;
    const identity = new Proxy({} as WorkloadIdentity, {
      get() {
        identityUsed = true;
        throw new Error('the workload identity was used');
      },
    });
    const clients = new ServiceClients({
      self: 'orders',
      trustDomain: 'shop.example',
      identity,
      authorityUrl: 'https://127.0.0.1:1',
      authoritySpiffeId: 'spiffe://shop.example/rampart/mesh',
      config: () => loaded.config,
    });
    const request = {
      headers: { authorization: 'Bearer v4.public.x' },
      id: 'r1',
    } as unknown as FastifyRequest;
    await assert.rejects(clients.call(request, 'partner', { method: 'GET', path: '/quotes' }), {
      name: 'TypeError',
      message:
        /'partner' is an external upstream of rampart\.yaml, outside the mesh: svc\.call reaches services only/,
    });
    assert.equal(identityUsed, false);
  });
});
