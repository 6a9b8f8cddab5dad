import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import type { RampartConfig } from '@rampart/config';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  verifyPeerSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import { createLogger } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { startAudit, type Audit } from '../../src/app.ts';

const TD = 'detect.test';
const CONFIG: RampartConfig = { version: 1, name: 'detect-test', trustDomain: TD, services: {} };
const VICTIM = 'ps_QnJ1dGVGb3JjZVZpY3RpbT';

async function credentialsFor(ca: CertificateAuthority, spiffeId: string): Promise<WorkloadCredentials> {
  const csr = await createWorkloadCsr(spiffeId);
  const issued = await ca.issue({ csrPem: csr.csrPem, spiffeId });
  return {
    keyPem: csr.keyPem,
    certPem: issued.certPem,
    caPems: [await ca.bundlePem()],
    tokenKeyPems: [],
    notAfter: issued.notAfter,
  };
}

/** A failed sign-in as identity's shipper sends it. */
function loginFailed(): Record<string, unknown> {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    event: 'login.failed',
    service: 'identity',
    outcome: 'failure',
    reason: 'bad_credentials',
    subject: VICTIM,
    sourceIp: '198.51.100.23',
  };
}

describe('detection through the real ingest endpoint', () => {
  let dir: TempDir;
  let audit: Audit;
  let identity: Agent;

  async function send(events: readonly Record<string, unknown>[]): Promise<unknown> {
    const response = await request(`${audit.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
      dispatcher: identity,
    });
    assert.equal(response.statusCode, 200);
    return response.body.json();
  }

  async function alertsMetric(): Promise<string[]> {
    const { body } = await audit.admin.metrics();
    return body.split('\n').filter((line) => line.startsWith('audit_alerts_total{'));
  }

  before(async () => {
    dir = await tempDir('rampart-detect-');
    const ca = await CertificateAuthority.open(join(dir.path, 'ca'), { trustDomain: TD });
    const signingKeyFile = join(dir.path, 'audit-signing.key.pem');
    const pair = generateKeyPairSync('ed25519');
    writeFileSync(signingKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const own = await credentialsFor(ca, componentSpiffeId(TD, 'audit'));
    audit = await startAudit({
      config: CONFIG,
      stateDir: dir.path,
      configDir: dir.path,
      signingKeyFile,
      trustDomain: TD,
      credentials: () => own,
      log: createLogger('audit', { level: 'silent' }),
      port: 0,
      adminPort: 0,
    });
    const mine = await credentialsFor(ca, componentSpiffeId(TD, 'identity'));
    identity = new Agent({
      connect: {
        key: mine.keyPem,
        cert: mine.certPem,
        ca: await ca.bundlePem(),
        checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TD, 'audit')),
      },
    });
  });

  after(async () => {
    await audit.close();
    await identity.close();
    await dir.cleanup();
  });

  it('a scripted brute force raises one alert on the metrics endpoint; a redelivery raises none', async () => {
    assert.deepEqual(await alertsMetric(), []);
    const first = Array.from({ length: 9 }, loginFailed);
    assert.deepEqual(await send(first), { accepted: 9, duplicates: 0, conflicts: 0 });
    assert.deepEqual(await alertsMetric(), [], 'nine failures are below the threshold');
    // Redelivered events were evaluated once: sending the nine again changes nothing.
    assert.deepEqual(await send(first), { accepted: 0, duplicates: 9, conflicts: 0 });
    assert.deepEqual(await alertsMetric(), []);
    const rest = Array.from({ length: 15 }, loginFailed);
    assert.deepEqual(await send(rest), { accepted: 15, duplicates: 0, conflicts: 0 });
    assert.deepEqual(await alertsMetric(), [
      'audit_alerts_total{rule="brute-force-account",severity="high",service="audit"} 1',
    ]);
  });
});
