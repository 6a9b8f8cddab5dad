import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { RampartConfig } from '@rampart/config';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  type WorkloadCredentials,
} from '@rampart/mesh';
import {
  AUDIT_STREAM,
  connectNats,
  createLogger,
  createNatsEventSender,
  openEmbeddedStore,
  type EventSender,
} from '@rampart/sdk';
import {
  freePort,
  natsServerAvailability,
  startNatsServer,
  tempDir,
  type TempDir,
  type TestNatsServer,
} from '@rampart/testing';
import { LEDGER_FILE, natsServerConfig, verifyLedger, AUDIT_CONSUMER } from '@rampart/audit';
import { startAudit, type Audit } from '../../src/app.ts';

const TD = 'nats.test';

/** An event as the orders service's shipper would publish it. */
function event(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: randomUUID(),
    time: new Date().toISOString(),
    event: 'request.denied',
    service: 'orders',
    outcome: 'failure',
    reason: 'SDK_CALLER_NOT_ALLOWED',
    ...overrides,
  };
}

describe(
  'audit service: security events over NATS JetStream (TLS, a user per workload certificate)',
  natsServerAvailability(),
  () => {
    let dir: TempDir;
    let ca: CertificateAuthority;
    let nats: TestNatsServer;
    let audit: Audit | undefined;
    let config: RampartConfig;
    let signingKeyFile: string;
    let auditCredentials: WorkloadCredentials;
    let orders: WorkloadCredentials;
    let sender: EventSender;
    const log = createLogger('audit', { level: process.env['NATS_TEST_LOG'] === '1' ? 'warn' : 'silent' });

    async function credentialsFor(
      authority: CertificateAuthority,
      spiffeId: string,
    ): Promise<WorkloadCredentials> {
      const csr = await createWorkloadCsr(spiffeId);
      const issued = await authority.issue({ csrPem: csr.csrPem, spiffeId, ipSans: ['127.0.0.1'] });
      return {
        keyPem: csr.keyPem,
        certPem: issued.certPem,
        caPems: [await authority.bundlePem()],
        tokenKeyPems: [],
        notAfter: issued.notAfter,
      };
    }

    async function startAuditService(): Promise<Audit> {
      return startAudit({
        config,
        stateDir: dir.path,
        configDir: dir.path,
        signingKeyFile,
        trustDomain: TD,
        credentials: () => auditCredentials,
        log,
        port: 0,
        adminPort: 0,
      });
    }

    /** Every stored event, in ledger order. */
    async function stored(): Promise<Record<string, unknown>[]> {
      const store = openEmbeddedStore(join(dir.path, LEDGER_FILE));
      try {
        const rows = await store.all<{ event: string }>('SELECT event FROM audit_entries ORDER BY seq');
        return rows.map((row) => JSON.parse(row.event) as Record<string, unknown>);
      } finally {
        await store.close();
      }
    }

    async function storedOnce(
      ids: readonly string[],
      timeoutMs = 20_000,
    ): Promise<Record<string, unknown>[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const all = await stored();
        const found = all.filter((entry) => ids.includes(String(entry['id'])));
        if (found.length >= ids.length || Date.now() > deadline) {
          const counts = new Map<string, number>();
          for (const entry of found)
            counts.set(String(entry['id']), (counts.get(String(entry['id'])) ?? 0) + 1);
          assert.deepEqual(
            ids.filter((id) => counts.get(id) !== 1),
            [],
            'each event stored exactly once',
          );
          return found;
        }
        await sleep(100);
      }
    }

    /** Sends as the shipper would: again until delivered (the audit service creates the stream as it starts). */
    async function deliver(lines: readonly string[]): Promise<void> {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const answer = await sender.send(lines, new AbortController().signal);
        if (answer.kind === 'delivered') return;
        assert.ok(Date.now() < deadline, `not delivered: ${JSON.stringify(answer)}`);
        await sleep(200);
      }
    }

    async function refusals(reason: string): Promise<Record<string, unknown>[]> {
      return (await stored()).filter(
        (entry) => entry['event'] === 'audit.event_refused' && entry['reason'] === reason,
      );
    }

    /** Publishes raw bytes on `subject` as `as` (a workload's own connection, as NATS maps its certificate). */
    async function publishRaw(
      as: WorkloadCredentials,
      name: string,
      subject: string,
      data: string,
    ): Promise<void> {
      const connection = await connectNats({
        settings: { url: `tls://127.0.0.1:${nats.port}` },
        trustDomain: TD,
        credentials: () => as,
        name,
        reconnect: false,
      });
      try {
        await jetstream(connection).publish(subject, data, { timeout: 3_000 });
      } finally {
        await connection.close();
      }
    }

    before(async () => {
      dir = await tempDir('rampart-nats-');
      ca = await CertificateAuthority.open(join(dir.path, 'ca'), { trustDomain: TD });
      const server = await credentialsFor(ca, componentSpiffeId(TD, 'nats'));
      writeFileSync(join(dir.path, 'nats.pem'), server.certPem);
      writeFileSync(join(dir.path, 'nats.key'), server.keyPem, { mode: 0o600 });
      writeFileSync(join(dir.path, 'bundle.pem'), await ca.bundlePem());
      const port = await freePort();
      nats = await startNatsServer(
        dir.path,
        port,
        natsServerConfig({
          trustDomain: TD,
          components: ['gateway'],
          services: ['orders', 'payments'],
          listen: `127.0.0.1:${port}`,
          certFile: join(dir.path, 'nats.pem'),
          keyFile: join(dir.path, 'nats.key'),
          caFile: join(dir.path, 'bundle.pem'),
          storeDir: join(dir.path, 'jetstream'),
        }),
      );
      config = {
        version: 1,
        name: 'nats-test',
        trustDomain: TD,
        services: {},
        storage: { nats: { url: `tls://127.0.0.1:${port}` } },
      };
      const pair = generateKeyPairSync('ed25519');
      signingKeyFile = join(dir.path, 'audit-signing.key.pem');
      writeFileSync(signingKeyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
        mode: 0o600,
      });
      auditCredentials = await credentialsFor(ca, componentSpiffeId(TD, 'audit'));
      orders = await credentialsFor(ca, serviceSpiffeId(TD, 'orders'));
      sender = createNatsEventSender({
        settings: config.storage?.nats ?? { url: '' },
        trustDomain: TD,
        credentials: () => orders,
      });
      audit = await startAuditService();
    });

    after(async () => {
      await sender.close(true);
      await audit?.close();
      await nats.stop();
      await dir.cleanup();
    });

    it("stores a component's events once, under its SPIFFE ID; a redelivery is not a second entry", async () => {
      const batch = [event(), event({ event: 'token.rejected', reason: 'expired' })];
      const lines = batch.map((entry) => JSON.stringify(entry));
      await deliver(lines);
      // The outbox sends a batch again after a crash before its acknowledgement: still once each.
      assert.deepEqual(await sender.send(lines, new AbortController().signal), { kind: 'delivered' });
      const found = await storedOnce(batch.map((entry) => String(entry['id'])));
      for (const entry of found) assert.equal(entry['source'], serviceSpiffeId(TD, 'orders'));
    });

    it("a component cannot publish on another's subject: NATS refuses it, nothing is stored", async () => {
      const forged = event({ service: 'payments' });
      await assert.rejects(
        publishRaw(orders, 'orders', 'rampart.audit.events.payments', JSON.stringify(forged)),
        /permission|timeout|no responders/iu,
      );
      await sleep(500);
      assert.equal((await stored()).filter((entry) => entry['id'] === forged['id']).length, 0);
    });

    it('a certificate of another CA, or none, is not let in', async () => {
      const other = await CertificateAuthority.open(join(dir.path, 'other-ca'), { trustDomain: TD });
      const stranger = await credentialsFor(other, serviceSpiffeId(TD, 'orders'));
      await assert.rejects(
        connectNats({
          settings: { url: `tls://127.0.0.1:${nats.port}` },
          trustDomain: TD,
          credentials: () => ({ ...stranger, caPems: orders.caPems }),
          name: 'orders',
          reconnect: false,
          timeoutMs: 2_000,
        }),
      );
      await assert.rejects(
        connectNats({
          settings: { url: `nats://127.0.0.1:${nats.port}`, dangerouslyAllowUnauthenticated: true },
          trustDomain: TD,
          credentials: undefined,
          name: 'orders',
          reconnect: false,
          timeoutMs: 2_000,
        }),
      );
    });

    it('an event on its own subject naming another component is refused for good and recorded; the consumer goes on', async () => {
      const forged = event({ service: 'payments' });
      await publishRaw(orders, 'orders', 'rampart.audit.events.orders', JSON.stringify(forged));
      const after = event();
      assert.deepEqual(await sender.send([JSON.stringify(after)], new AbortController().signal), {
        kind: 'delivered',
      });
      await storedOnce([String(after['id'])]);
      assert.equal((await stored()).filter((entry) => entry['id'] === forged['id']).length, 0);
      const recorded = await refusals('wrong_source');
      const [one] = recorded;
      assert.equal(recorded.length, 1);
      assert.ok(one);
      assert.equal(one['peer'], 'orders');
      assert.equal(one['source'], componentSpiffeId(TD, 'audit'));
    });

    it('malformed messages are terminated, not delivered again, and do not stop the consumer', async () => {
      const before = (await refusals('malformed')).length;
      await publishRaw(orders, 'orders', 'rampart.audit.events.orders', 'not json {');
      await publishRaw(
        orders,
        'orders',
        'rampart.audit.events.orders',
        JSON.stringify(event({ token: 'eyJ…' })),
      );
      await publishRaw(
        orders,
        'orders',
        'rampart.audit.events.orders',
        JSON.stringify(event({ id: 'not-a-uuid' })),
      );
      const good = event();
      await publishRaw(orders, 'orders', 'rampart.audit.events.orders', JSON.stringify(good));
      await storedOnce([String(good['id'])]);
      const deadline = Date.now() + 5_000;
      while ((await refusals('malformed')).length < before + 3 && Date.now() < deadline) await sleep(100);
      assert.equal((await refusals('malformed')).length, before + 3);
      // Nothing waits for a redelivery: the consumer has no message pending or unacknowledged.
      const manager = await connectNats({
        settings: { url: `tls://127.0.0.1:${nats.port}` },
        trustDomain: TD,
        credentials: () => auditCredentials,
        name: 'audit',
        reconnect: false,
      });
      try {
        const jsm = await jetstreamManager(manager);
        let info = await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER);
        const until = Date.now() + 5_000;
        while ((info.num_ack_pending > 0 || info.num_pending > 0) && Date.now() < until) {
          await sleep(100);
          info = await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER);
        }
        assert.equal(info.num_ack_pending, 0);
        assert.equal(info.num_pending, 0);
      } finally {
        await manager.close();
      }
      // Had one come again, it would have been refused — and recorded — again.
      await sleep(1_000);
      assert.equal((await refusals('malformed')).length, before + 3);
    });

    it('a consumer restart resumes where it stopped: events published meanwhile are stored once each, and the chain verifies', async () => {
      await audit?.close();
      audit = undefined;
      const batch = Array.from({ length: 50 }, () => event());
      assert.deepEqual(
        await sender.send(
          batch.map((entry) => JSON.stringify(entry)),
          new AbortController().signal,
        ),
        { kind: 'delivered' },
      );
      const countBefore = (await stored()).length;
      audit = await startAuditService();
      await storedOnce(batch.map((entry) => String(entry['id'])));
      assert.equal((await stored()).length, countBefore + batch.length);
      const store = openEmbeddedStore(join(dir.path, LEDGER_FILE));
      try {
        const result = await verifyLedger(store, {
          publicKey: createPublicKey(readFileSync(signingKeyFile)),
        });
        assert.equal(result.ok, true);
      } finally {
        await store.close();
      }
    });
  },
);
