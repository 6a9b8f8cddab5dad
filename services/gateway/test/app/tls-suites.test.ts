// The listener's TLS as a client meets it (issue 10, item 11): TLS 1.2 offers ECDHE with AEAD
// suites only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type ConnectionOptions } from 'node:tls';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const yaml = (ports: FixturePorts): string => `${yamlHead(ports)}
policies:
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /catalog, policy: anyone }
`;

describe('the public listener: TLS suites', () => {
  let started: GatewayFixture | undefined;
  const fixture = (): GatewayFixture => {
    assert.ok(started, 'the gateway started');
    return started;
  };
  before(async () => {
    started = await startGatewayFixture({ services: ['orders'], yaml });
  });
  after(async () => {
    await started?.close();
  });

  /** Resolves with the suite negotiated, or rejects with the handshake's error. */
  const handshake = (options: ConnectionOptions): Promise<string> =>
    new Promise((resolve, reject) => {
      const gw = fixture();
      const socket = connect(
        { host: '127.0.0.1', port: Number(new URL(gw.url).port), ca: [...gw.mesh.bundle], ...options },
        () => {
          const suite = socket.getCipher().name;
          socket.end();
          resolve(suite);
        },
      );
      socket.on('error', reject);
    });

  it('refuses a TLS 1.2 client offering only CBC suites with SHA-1 (and static RSA) MACs', async () => {
    await assert.rejects(
      handshake({
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:AES128-SHA:AES256-SHA',
      }),
      /handshake failure|no shared cipher|alert/iu,
    );
  });

  it('refuses TLS 1.2 CBC with SHA-2 MACs and DHE too', async () => {
    await assert.rejects(
      handshake({
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:DHE-RSA-AES128-GCM-SHA256',
      }),
    );
  });

  it('serves TLS 1.2 with ECDHE and an AEAD, and TLS 1.3', async () => {
    assert.match(
      await handshake({ maxVersion: 'TLSv1.2' }),
      /^ECDHE-(?:ECDSA|RSA)-(?:AES\d+-GCM|CHACHA20-POLY1305)/u,
    );
    assert.match(await handshake({}), /^TLS_/u);
  });
});
