import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRampartError } from '@rampart/errors';
import { selfSignedCertificate } from '@rampart/testing';
import { createJwksCache } from '../../src/auth/jwks-cache.ts';
import { makeKey } from './helpers.ts';

function selfSigned(dir: string, name: string): { key: string; cert: string } {
  return selfSignedCertificate(dir, '127.0.0.1', name);
}

describe('JWKS over HTTPS with a configured CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-jwks-'));
  let server: Server;
  let url: string;
  let trusted: string;
  let other: string;

  before(async () => {
    const identity = selfSigned(dir, 'identity');
    trusted = identity.cert;
    other = selfSigned(dir, 'other').cert;
    const { publicJwk } = await makeKey('ES256', 'es-1');
    server = createServer(identity, (_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/jwk-set+json' })
        .end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fetches when the issuer certificate chains to the configured CA', async () => {
    const jwks = createJwksCache({ url, ca: trusted });
    try {
      await jwks.refresh();
      assert.equal(jwks.stats().keys, 1);
    } finally {
      await jwks.close();
    }
  });

  for (const name of ['no CA (system store)', 'another CA'] as const) {
    it(`fails closed with ${name}`, async () => {
      const jwks = createJwksCache({ url, ...(name === 'another CA' ? { ca: other } : {}) });
      try {
        await assert.rejects(
          jwks.refresh(),
          (error: unknown) => isRampartError(error) && error.code === 'GW_KEYS_UNAVAILABLE',
        );
        assert.equal(jwks.stats().fetchFailures, 1);
      } finally {
        await jwks.close();
      }
    });
  }
});

describe("JWKS of the gateway's own issuer, through its local listener (connectTo)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-jwks-local-'));
  let server: Server;
  let local: string;
  let trusted: string;
  const hosts: string[] = [];

  before(async () => {
    // A certificate for `localhost` (and 127.0.0.1): what the public URL below names.
    const identity = selfSignedCertificate(dir, 'localhost', 'public');
    trusted = identity.cert;
    const { publicJwk } = await makeKey('ES256', 'es-1');
    server = createServer(identity, (request, response) => {
      hosts.push(String(request.headers.host));
      response
        .writeHead(200, { 'content-type': 'application/jwk-set+json' })
        .end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    local = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects to the local listener and names the public host, whose certificate it checks', async () => {
    // Port 1 of the public URL answers nothing: the fetch must not go there.
    const jwks = createJwksCache({ url: 'https://localhost:1/auth/jwks', connectTo: local, ca: trusted });
    try {
      await jwks.refresh();
      assert.equal(jwks.stats().keys, 1);
      assert.equal(hosts.at(-1), 'localhost:1', 'the request names the public host');
    } finally {
      await jwks.close();
    }
  });

  it('fails closed when the local certificate is not valid for the public host', async () => {
    const jwks = createJwksCache({
      url: 'https://api.example.test/auth/jwks',
      connectTo: local,
      ca: trusted,
    });
    try {
      await assert.rejects(
        jwks.refresh(),
        (error: unknown) => isRampartError(error) && error.code === 'GW_KEYS_UNAVAILABLE',
      );
    } finally {
      await jwks.close();
    }
  });
});
