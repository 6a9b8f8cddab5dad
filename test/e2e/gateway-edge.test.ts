// The gateway as a production edge: a certificate the operator supplies (gateway.tls) in place of
// the local edge CA's, taken again when its files change — a mismatched pair refused, the served one
// kept — and the public port bound on every address of gateway.listen (here IPv4 and IPv6 loopback).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Agent, request } from 'undici';
import { CertificateAuthority, componentSpiffeId, createWorkloadCsr } from '@rampart/mesh';
import { startShop, tempDir, type RunningShop, type TempDir } from '@rampart/testing';

const TD = 'company.example';

interface Pair {
  readonly certPem: string;
  readonly keyPem: string;
  readonly serial: string;
}

/** A certificate of the operator's own CA (standing for a public or company CA) for both loopbacks. */
async function issue(ca: CertificateAuthority): Promise<Pair> {
  const spiffeId = componentSpiffeId(TD, 'gateway');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({ csrPem, spiffeId, ttlMs: 60 * 60 * 1000, ipSans: ['127.0.0.1', '::1'] });
  const serial = new (await import('node:crypto')).X509Certificate(issued.certPem).serialNumber;
  return { certPem: [issued.certPem, ...issued.chainPems].join(''), keyPem, serial };
}

/** The serial number of the certificate served at host:port, verified against `ca`. */
function servedSerial(host: string, port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, ca, ALPNProtocols: ['http/1.1'] }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.end();
      resolve(serial);
    });
    socket.once('error', reject);
  });
}

describe('gateway.tls and gateway.listen: the operator’s certificate on every listed address, reloaded on change', () => {
  let files: TempDir;
  let shop: RunningShop;
  let rootPem: string;
  let ca: CertificateAuthority;
  let first: Pair;
  const certFile = (): string => join(files.path, 'edge.pem');
  const keyFile = (): string => join(files.path, 'edge.key');

  /** Replaces the pair the way certbot and cert-manager do: new files renamed over the old. */
  function install(pair: { certPem: string; keyPem: string }): void {
    writeFileSync(`${certFile()}.new`, pair.certPem);
    writeFileSync(`${keyFile()}.new`, pair.keyPem, { mode: 0o600 });
    chmodSync(`${keyFile()}.new`, 0o600);
    renameSync(`${keyFile()}.new`, keyFile());
    renameSync(`${certFile()}.new`, certFile());
  }

  before(async () => {
    files = await tempDir('rampart-edge-tls-');
    ca = await CertificateAuthority.open(join(files.path, 'company-ca'), { trustDomain: TD });
    rootPem = await ca.bundlePem();
    writeFileSync(join(files.path, 'root.pem'), rootPem);
    first = await issue(ca);
    install(first);
    shop = await startShop({
      edit: (yaml) =>
        `${yaml}\ngateway:\n  listen: [127.0.0.1, '::1']\n  tls:\n    certFile: ${certFile()}\n    keyFile: ${keyFile()}\n    caFile: ${join(files.path, 'root.pem')}\n`,
    });
  });
  after(async () => {
    await shop.stop();
    await files.cleanup();
  });

  it('serves the operator’s certificate, not the local edge CA’s, on IPv4 and IPv6', async () => {
    assert.equal(await servedSerial('127.0.0.1', shop.ports.gateway, rootPem), first.serial);
    assert.equal(await servedSerial('::1', shop.ports.gateway, rootPem), first.serial);
    // No local edge certificate is issued at all (a state directory of an earlier run may hold its CA).
    const edgeCaFile = join(shop.home, 'ca.pem');
    if (existsSync(edgeCaFile)) {
      await assert.rejects(servedSerial('127.0.0.1', shop.ports.gateway, readFileSync(edgeCaFile, 'utf8')));
    }
    for (const host of ['127.0.0.1', '[::1]']) {
      const agent = new Agent({ connect: { ca: rootPem } });
      const res = await request(`https://${host}:${shop.ports.gateway}/orders`, { dispatcher: agent });
      assert.equal(res.statusCode, 401, host);
      await res.body.dump();
      await agent.close();
    }
  });

  it('fetches the issuer’s keys through its own address with the named root (an unknown key is 401, not 503)', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const forged = await new SignJWT({ scope: 'orders:read', client_id: 'shop-web' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: `unknown-${String(jwk.x).slice(0, 8)}` })
      .setIssuer(`https://127.0.0.1:${shop.ports.gateway}/auth`)
      .setAudience(`https://127.0.0.1:${shop.ports.gateway}`)
      .setSubject('someone')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const agent = new Agent({ connect: { ca: rootPem } });
    const res = await request(`https://127.0.0.1:${shop.ports.gateway}/orders`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${forged}` },
    });
    const body = (await res.body.json()) as { code?: string };
    await agent.close();
    assert.equal(res.statusCode, 401, JSON.stringify(body));
    assert.notEqual(body.code, 'GW_KEYS_UNAVAILABLE');
  });

  it('takes a renewed pair once its files change, and refuses a mismatched one, keeping the served certificate', async () => {
    const second = await issue(ca);
    install(second);
    let serial = first.serial;
    for (let tries = 0; tries < 60 && serial !== second.serial; tries++) {
      await sleep(250);
      serial = await servedSerial('127.0.0.1', shop.ports.gateway, rootPem);
    }
    assert.equal(serial, second.serial, 'the renewed certificate is served');

    const third = await issue(ca);
    const from = shop.up.output.length;
    install({ certPem: third.certPem, keyPem: second.keyPem });
    await shop.up.waitFor(/SUP_GATEWAY_TLS_INVALID|does not belong to the certificate/u, 20_000, from);
    assert.equal(
      await servedSerial('127.0.0.1', shop.ports.gateway, rootPem),
      second.serial,
      'the served pair is kept',
    );
    assert.equal(await servedSerial('::1', shop.ports.gateway, rootPem), second.serial);
  });
});
