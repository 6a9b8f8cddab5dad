// Host-header injection into DPoP (RFC 9449 §4.3): a proof names the URL it was made for (`htu`);
// comparing it with a URL built from the client's own `Host` lets a proof made for
// https://evil.example/orders pass with `Host: evil.example`. The gateway compares `htu` with its
// configured public origin only.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { connect } from 'node:tls';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { shopYaml, startGatewayFixture, type GatewayFixture } from './shop.ts';

describe('regression: DPoP htu against the client-chosen Host', () => {
  let started: GatewayFixture | undefined;
  let key: { privateKey: CryptoKey; jwk: JWK; jkt: string } | undefined;
  const both = (): { gw: GatewayFixture; pair: NonNullable<typeof key> } => {
    assert.ok(started && key, 'set up');
    return { gw: started, pair: key };
  };
  before(async () => {
    const pair = await generateKeyPair('ES256');
    const jwk = await exportJWK(pair.publicKey);
    key = { privateKey: pair.privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
    started = await startGatewayFixture({ services: ['orders'], yaml: (ports) => shopYaml(ports) });
  });
  after(async () => {
    await started?.close();
  });

  const proof = (htu: string, token: string): Promise<string> => {
    const { pair } = both();
    return new SignJWT({
      htm: 'GET',
      htu,
      ath: createHash('sha256').update(token).digest('base64url'),
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: pair.jwk })
      .setIssuedAt()
      .sign(pair.privateKey);
  };

  for (const protocol of ['HTTP/1.1', 'HTTP/2'] as const) {
    it(`${protocol}: a proof for https://evil.example/orders with Host evil.example is refused`, async () => {
      const { gw, pair } = both();
      const token = await gw.token({ scope: 'orders:read', cnf: { jkt: pair.jkt } });
      const headers = {
        authorization: `DPoP ${token}`,
        dpop: await proof('https://evil.example/orders', token),
      };
      if (protocol === 'HTTP/1.1') {
        // Raw, so that the TLS server name stays the gateway's and only Host says evil.example.
        const answer = await rawRequest(gw, [
          'GET /orders HTTP/1.1',
          'host: evil.example',
          `authorization: ${headers.authorization}`,
          `dpop: ${headers.dpop}`,
          'connection: close',
        ]);
        assert.match(answer, /^HTTP\/1\.1 401 /u);
        assert.match(answer, /"code":"GW_TOKEN_INVALID"/u);
      } else {
        const res = await gw.h2('/orders', { headers: { ...headers, ':authority': 'evil.example' } });
        assert.equal(res.status, 401);
        assert.equal(res.json()['code'], 'GW_TOKEN_INVALID');
      }
    });
  }

  it("a proof for the gateway's public origin is accepted", async () => {
    const { gw, pair } = both();
    const token = await gw.token({ scope: 'orders:read', cnf: { jkt: pair.jkt } });
    const res = await gw.call('/orders', {
      headers: { authorization: `DPoP ${token}`, dpop: await proof(`${gw.url}/orders`, token) },
    });
    assert.equal(res.status, 200, res.body);
  });
});

/** One raw HTTP/1.1 request, the write side left open until the gateway answers and closes. */
function rawRequest(gw: GatewayFixture, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port: Number(new URL(gw.url).port),
        ca: [...gw.mesh.bundle],
        ALPNProtocols: ['http/1.1'],
      },
      () => {
        socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      },
    );
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => {
      resolve(answer);
    });
    socket.on('error', reject);
  });
}
