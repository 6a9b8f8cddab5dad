import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import type { RampartConfig } from '@rampart/config';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import { createLogger, openEmbeddedStore } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { CHECKPOINT_EXPORT_FILE, LEDGER_FILE, readExportFile, verifyLedger } from '@rampart/audit';
import { startAudit, type Audit } from '../src/app.ts';

const TD = 'audit.test';
const CONFIG: RampartConfig = { version: 1, name: 'audit-test', trustDomain: TD, services: {} };

interface Peer {
  readonly agent: Agent;
}

/** An event as the orders service's shipper would send it. */
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    event: 'request.denied',
    service: 'orders',
    outcome: 'failure',
    reason: 'SDK_CALLER_NOT_ALLOWED',
    subject: 'ps_AAAAAAAAAAAAAAAAAAAAAA',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    ...overrides,
  };
}

describe('audit service: POST /v1/events over mTLS', () => {
  let dir: TempDir;
  let ca: CertificateAuthority;
  let audit: Audit;
  let orders: Peer;
  let stranger: Peer;
  let signingKeyFile: string;
  let publicKey: ReturnType<typeof generateKeyPairSync>['publicKey'];

  async function credentialsFor(
    authority: CertificateAuthority,
    spiffeId: string,
  ): Promise<WorkloadCredentials> {
    const csr = await createWorkloadCsr(spiffeId);
    const issued = await authority.issue({ csrPem: csr.csrPem, spiffeId });
    return {
      keyPem: csr.keyPem,
      certPem: issued.certPem,
      caPems: [await authority.bundlePem()],
      tokenKeyPems: [],
      notAfter: issued.notAfter,
    };
  }

  async function peer(authority: CertificateAuthority, spiffeId: string): Promise<Peer> {
    const own = await credentialsFor(authority, spiffeId);
    return {
      agent: new Agent({
        connect: {
          key: own.keyPem,
          cert: own.certPem,
          ca: await ca.bundlePem(),
          checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TD, 'audit')),
        },
      }),
    };
  }

  async function send(from: Peer, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await request(`${audit.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      dispatcher: from.agent,
    });
    return { status: response.statusCode, json: (await response.body.json()) as Record<string, unknown> };
  }

  before(async () => {
    dir = await tempDir('rampart-audit-');
    ca = await CertificateAuthority.open(join(dir.path, 'ca'), { trustDomain: TD });
    const pair = generateKeyPairSync('ed25519');
    publicKey = pair.publicKey;
    signingKeyFile = join(dir.path, 'audit-signing.key.pem');
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
    orders = await peer(ca, serviceSpiffeId(TD, 'orders'));
    const otherCa = await CertificateAuthority.open(join(dir.path, 'other-ca'), { trustDomain: TD });
    const foreign = await credentialsFor(otherCa, serviceSpiffeId(TD, 'orders'));
    stranger = {
      agent: new Agent({
        connect: {
          key: foreign.keyPem,
          cert: foreign.certPem,
          ca: await ca.bundlePem(),
          checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TD, 'audit')),
        },
      }),
    };
  });

  after(async () => {
    await audit.close();
    await orders.agent.close();
    await stranger.agent.close();
    await dir.cleanup();
  });

  it('stores a batch once: a redelivery is counted as duplicates, not appended again', async () => {
    const batch = { events: [event(), event({ event: 'token.rejected', reason: 'expired' })] };
    const before = await audit.ledger.head();
    assert.deepEqual(await send(orders, batch), {
      status: 200,
      json: { accepted: 2, duplicates: 0, conflicts: 0 },
    });
    assert.deepEqual(await send(orders, batch), {
      status: 200,
      json: { accepted: 0, duplicates: 2, conflicts: 0 },
    });
    assert.equal((await audit.ledger.head()).seq, before.seq + 2);
  });

  it('two identical batches at once: each event stored once', async () => {
    const batch = { events: Array.from({ length: 20 }, () => event()) };
    const before = await audit.ledger.head();
    const answers = await Promise.all([send(orders, batch), send(orders, batch)]);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      [200, 200],
    );
    assert.equal(
      answers.reduce((sum, answer) => sum + Number(answer.json['accepted']), 0),
      20,
    );
    assert.equal(
      answers.reduce((sum, answer) => sum + Number(answer.json['duplicates']), 0),
      20,
    );
    assert.equal((await audit.ledger.head()).seq, before.seq + 20);
  });

  it('an id sent again with other content is a conflict: the first event stands', async () => {
    const first = event();
    await send(orders, { events: [first] });
    const before = await audit.ledger.head();
    const answer = await send(orders, { events: [{ ...first, outcome: 'success' }] });
    assert.deepEqual(answer, { status: 200, json: { accepted: 0, duplicates: 0, conflicts: 1 } });
    assert.equal((await audit.ledger.head()).seq, before.seq);
  });

  it("refuses a batch naming another component than the sender's certificate, storing nothing of it", async () => {
    const before = await audit.ledger.head();
    const answer = await send(orders, { events: [event(), event({ service: 'gateway' })] });
    assert.equal(answer.status, 422);
    assert.equal(answer.json['code'], 'AUDIT_WRONG_SOURCE');
    assert.equal((await audit.ledger.head()).seq, before.seq);
  });

  for (const [name, bad] of [
    ['a raw subject instead of a pseudonym', { subject: 'alice@example.com' }],
    ['a field outside the event schema', { password: 'hunter2' }],
    ['prose as the reason', { reason: 'token abc123 was bad' }],
    ['a control character in the user agent', { userAgent: 'curl\r\nX-Injected: 1' }],
    ['an id that is not a UUID', { id: '1' }],
  ] as const) {
    it(`refuses a batch with ${name}, storing nothing of it`, async () => {
      const before = await audit.ledger.head();
      const answer = await send(orders, { events: [event(), event(bad)] });
      assert.equal(answer.status, 400);
      assert.equal(answer.json['code'], 'SDK_BAD_REQUEST');
      assert.equal((await audit.ledger.head()).seq, before.seq);
    });
  }

  it('refuses a client without a certificate, or with one of another CA, at the handshake', async () => {
    const anonymous = new Agent({
      connect: {
        ca: await ca.bundlePem(),
        checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TD, 'audit')),
      },
    });
    try {
      await assert.rejects(send({ agent: anonymous }, { events: [event()] }));
      await assert.rejects(send(stranger, { events: [event()] }));
    } finally {
      await anonymous.close();
    }
  });

  it('any body: a 4xx or a 200, never a 5xx, and the service keeps answering', async () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ events: fc.array(fc.anything(), { maxLength: 3 }) }).map((value) => JSON.stringify(value)),
      fc
        .array(
          fc.dictionary(
            fc.constantFrom('id', 'time', 'event', 'service', 'outcome', 'reason', 'subject'),
            fc.string(),
          ),
          {
            maxLength: 3,
          },
        )
        .map((events) => JSON.stringify({ events })),
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const answer = await send(orders, text);
        assert.ok(
          answer.status === 200 || (answer.status >= 400 && answer.status < 500),
          `status ${answer.status}`,
        );
      }),
      { numRuns: 150 },
    );
    assert.equal((await send(orders, { events: [event()] })).status, 200);
  });

  it('what it stored verifies, and each stored event names its sender', async () => {
    await audit.ledger.checkpoint();
    const store = openEmbeddedStore(join(dir.path, LEDGER_FILE));
    try {
      const result = await verifyLedger(store, {
        publicKey,
        exportedCheckpoints: await readExportFile(join(dir.path, CHECKPOINT_EXPORT_FILE)),
      });
      assert.ok(result.ok, JSON.stringify(result));
      assert.ok(result.events > 20);
      const row = await store.get<{ event: string }>('SELECT event FROM audit_entries ORDER BY seq LIMIT 1');
      assert.ok(row);
      const stored = JSON.parse(row.event) as { source?: unknown };
      assert.equal(stored.source, serviceSpiffeId(TD, 'orders'));
    } finally {
      await store.close();
    }
  });
});
