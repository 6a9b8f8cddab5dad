import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, type RampartConfig } from '@rampart/config';
import { gatewaySettings } from '../../src/settings.ts';

const BASE = `version: 1
name: shop
ports: { gateway: 9443 }
services:
  orders: { entry: orders.ts, port: 7102 }
`;

function config(extra = ''): RampartConfig {
  const loaded = parseConfig(`${BASE}${extra}`, 'rampart.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}

describe("the gateway's public origin", () => {
  it('is its own port on 127.0.0.1 without gateway.publicUrl', () => {
    const settings = gatewaySettings(config());
    assert.equal(settings.audience, 'https://127.0.0.1:9443');
    assert.equal(settings.issuer, 'https://127.0.0.1:9443/auth');
    assert.equal(settings.publicHost, '127.0.0.1:9443');
    assert.equal(settings.jwksConnectTo, 'https://127.0.0.1:9443');
  });

  it('is gateway.publicUrl when set: audience (and DPoP htu), issuer, the host identity builds URLs on', () => {
    const settings = gatewaySettings(
      config('gateway:\n  publicUrl: https://api.example.com\n  listen: [0.0.0.0]\n'),
    );
    assert.equal(settings.audience, 'https://api.example.com');
    assert.equal(settings.issuer, 'https://api.example.com/auth');
    assert.equal(settings.jwksUrl, 'https://api.example.com/auth/jwks');
    assert.equal(settings.publicHost, 'api.example.com');
    // Its own issuer's keys come through its own listener, not out through the load balancer.
    assert.equal(settings.jwksConnectTo, 'https://127.0.0.1:9443');
  });

  it('fetches the keys of an issuer elsewhere from the issuer itself', () => {
    const settings = gatewaySettings(
      config(
        'gateway:\n  publicUrl: https://api.example.com\nidentity:\n  issuer: https://id.example.com/auth\n',
      ),
    );
    assert.equal(settings.audience, 'https://api.example.com');
    assert.equal(settings.jwksConnectTo, undefined);
  });
});
