import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { Secret, type RampartConfig } from '@rampart/config';
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
import { verifyWebhookSignature, type WebhookPayload } from '../../src/alerts/index.ts';
import { TestReceiver } from './receiver.ts';

const TD = 'webhook.test';
const SECRET = randomBytes(32).toString('base64url');

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

/** A reused refresh token: the shipped token-reuse rule raises a critical alert for every one. */
function reuse(): Record<string, unknown> {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    event: 'token.reuse_detected',
    service: 'identity',
    outcome: 'failure',
    reason: 'refresh_token_reused',
    subject: `ps_${randomBytes(16).toString('base64url').slice(0, 22)}`,
  };
}

describe('the alert webhook behind the real ingest endpoint', () => {
  let dir: TempDir;
  let ca: CertificateAuthority;
  let receiver: TestReceiver;
  let identity: Agent;
  const lines: string[] = [];

  async function startWith(webhook: boolean): Promise<Audit> {
    const signingKeyFile = join(dir.path, 'audit-signing.key.pem');
    writeFileSync(
      signingKeyFile,
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }),
      { mode: 0o600 },
    );
    const stateDir = join(dir.path, webhook ? 'with' : 'without');
    const config: RampartConfig = {
      version: 1,
      name: 'webhook-test',
      trustDomain: TD,
      services: {},
      ...(webhook
        ? { audit: { alerts: { webhook: { url: receiver.url(), secret: '${env:UNUSED}' } } } }
        : {}),
    };
    const own = await credentialsFor(ca, componentSpiffeId(TD, 'audit'));
    return startAudit({
      config,
      stateDir,
      configDir: dir.path,
      signingKeyFile,
      trustDomain: TD,
      credentials: () => own,
      log: createLogger('audit', {
        level: 'info',
        destination: { write: (line: string) => lines.push(line) },
      }),
      port: 0,
      adminPort: 0,
      ...(webhook ? { webhookSecret: new Secret(SECRET), webhookCa: receiver.ca } : {}),
    });
  }

  async function send(audit: Audit, events: readonly Record<string, unknown>[]): Promise<number> {
    const started = performance.now();
    const response = await request(`${audit.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
      dispatcher: identity,
    });
    assert.equal(response.statusCode, 200);
    await response.body.dump();
    return performance.now() - started;
  }

  /** Sends `batches` batches of 20 alert-raising events; returns the median time per batch (ms). */
  async function ingest(audit: Audit, batches: number): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < batches; i += 1) times.push(await send(audit, Array.from({ length: 20 }, reuse)));
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? Number.NaN;
  }

  before(async () => {
    dir = await tempDir('rampart-ingest-webhook-');
    mkdirSync(join(dir.path, 'with'), { mode: 0o700 });
    mkdirSync(join(dir.path, 'without'), { mode: 0o700 });
    ca = await CertificateAuthority.open(join(dir.path, 'ca'), { trustDomain: TD });
    receiver = await TestReceiver.start(dir.path);
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
    await identity.close();
    await receiver.close();
    assert.ok(!lines.join('').includes(SECRET), 'the secret is never logged');
    await dir.cleanup();
  });

  it('a critical alert from ingested events reaches the receiver, signed', async () => {
    receiver.answer = () => ({ status: 204 });
    const audit = await startWith(true);
    try {
      const event = reuse();
      await send(audit, [event]);
      await audit.webhook?.idle();
      assert.equal(receiver.received.length, 1);
      const got = receiver.received[0];
      assert.ok(got !== undefined);
      assert.ok(
        verifyWebhookSignature({
          secret: SECRET,
          header: String(got.headers['rampart-signature']),
          body: got.body,
        }),
      );
      const payload = JSON.parse(got.body) as WebhookPayload;
      assert.equal(payload.alert.rule, 'token-reuse');
      assert.equal(payload.alert.evidence[0]?.id, event['id']);
    } finally {
      await audit.close();
    }
  });

  it('a receiver that hangs does not slow ingest (median batch time within 2× of no webhook)', async () => {
    receiver.received.length = 0;
    receiver.answer = () => 'hang';
    const without = await startWith(false);
    const baseline = await ingest(without, 30);
    await without.close();
    const audit = await startWith(true);
    try {
      const hanging = await ingest(audit, 30);
      // The sender is stuck on the first delivery; 600 alerts were queued behind it (1000 max).
      assert.equal(receiver.received.length, 1);
      assert.equal(audit.webhook?.queued, 599);
      // Shown in the test report: the measurement behind the assertion.
      process.stdout.write(
        `ingest of 20 alerting events per batch, median: ${baseline.toFixed(1)} ms without webhook, ${hanging.toFixed(1)} ms with a hanging receiver\n`,
      );
      assert.ok(
        hanging < Math.max(baseline * 2, baseline + 20),
        `${String(hanging)} ms vs ${String(baseline)} ms`,
      );
    } finally {
      await audit.close();
    }
    assert.ok(lines.some((line) => line.includes('closed with alerts not sent')));
  });
});
