import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { serviceSpiffeId } from '@rampart/mesh';
import { freePort, tempDir, type TempDir } from '@rampart/testing';
import {
  createEventShipper,
  createMetrics,
  createSecurityEvents,
  openAuditOutbox,
  type AuditLogger,
  type AuditOutbox,
  type EventShipper,
  type EventShipperOptions,
  type MeshCredentials,
  type Metrics,
  type SecurityEvent,
  type SecurityEvents,
} from '../../src/index.ts';
import {
  AUDIT_ID,
  eventually,
  openMesh,
  ORDERS_ID,
  startAuditServer,
  TRUST_DOMAIN,
  type AuditServer,
  type Mesh,
} from './audit-server.ts';

const subjectKey = randomBytes(32);

interface Captured {
  readonly level: 'warn' | 'error';
  readonly object: object;
  readonly message: string;
}

function captureLog(): AuditLogger & { readonly lines: Captured[] } {
  const lines: Captured[] = [];
  return {
    lines,
    warn: (object, message) => lines.push({ level: 'warn', object, message }),
    error: (object, message) => lines.push({ level: 'error', object, message }),
  };
}

async function metricValue(metrics: Metrics, name: string, labels = ''): Promise<number> {
  const text = await metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(labels) && !l.startsWith('#'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('createEventShipper over mTLS', () => {
  let mesh: Mesh;
  let client: MeshCredentials;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    mesh = await openMesh();
    client = await mesh.credentials(ORDERS_ID);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(() => mesh.cleanup());

  /** A component's side: an outbox in a fresh (or given) state dir, its emitter and its shipper. */
  async function component(
    server: { url: string },
    options: Partial<EventShipperOptions> & { stateDir?: string; segmentBytes?: number } = {},
  ): Promise<{
    outbox: AuditOutbox;
    events: SecurityEvents;
    shipper: EventShipper;
    metrics: Metrics;
    log: ReturnType<typeof captureLog>;
    stateDir: string;
  }> {
    let stateDir = options.stateDir;
    if (stateDir === undefined) {
      const dir: TempDir = await tempDir('rampart-shipper-');
      cleanups.push(() => dir.cleanup());
      stateDir = dir.path;
    }
    const metrics = createMetrics('orders');
    const log = captureLog();
    const outbox = openAuditOutbox({
      stateDir,
      log,
      metrics,
      ...(options.segmentBytes === undefined ? {} : { segmentBytes: options.segmentBytes }),
    });
    const events = createSecurityEvents({ serviceName: 'orders', sink: outbox, subjectKey, metrics });
    const shipper = createEventShipper({
      outbox,
      url: server.url,
      credentials: () => client,
      serverSpiffeId: AUDIT_ID,
      log,
      metrics,
      initialBackoffMs: 20,
      maxBackoffMs: 200,
      ...options,
    });
    cleanups.push(async () => {
      await shipper.stop({ deadlineMs: 1_000 });
      events.close();
    });
    return { outbox, events, shipper, metrics, log, stateDir };
  }

  function denial(events: SecurityEvents, reason = 'SDK_CALLER_NOT_ALLOWED'): SecurityEvent {
    return events.emit({
      event: 'request.denied',
      outcome: 'failure',
      reason,
      subject: 'alice',
      route: 'GET /orders/{id}',
      sourceIp: '203.0.113.7',
      userAgent: 'curl/8.5.0',
      clientId: 'shop-web',
    });
  }

  async function server(options: { port?: number; serverId?: string } = {}): Promise<AuditServer> {
    const started = await startAuditServer(mesh, options);
    cleanups.push(() => started.close());
    return started;
  }

  it('posts a batch as {"events":[…]} with the workload certificate and acknowledges it', async () => {
    const audit = await server();
    const { events, outbox, metrics, stateDir, shipper } = await component(audit);
    const sent = [denial(events), denial(events), denial(events)];
    assert.equal(await shipper.flush(), true);
    assert.equal(audit.stored.size, 3);
    assert.equal(audit.requests.length, 1, 'one batch');
    assert.deepEqual(
      sent.map((event) => audit.stored.get(event.id)),
      sent.map((event) => JSON.parse(JSON.stringify(event)) as unknown),
    );
    assert.ok(audit.requests.every((request) => request.peer === ORDERS_ID && request.status === 200));
    assert.equal(outbox.pendingEvents, 0);
    assert.equal(await metricValue(metrics, 'audit_events_shipped_total'), 3);
    assert.equal(await metricValue(metrics, 'audit_outbox_pending_events'), 0);
    const ack = JSON.parse(readFileSync(join(stateDir, 'audit-outbox', 'ack.json'), 'utf8')) as object;
    assert.deepEqual(Object.keys(ack), ['segment', 'offset']);
  });

  it('keeps events on disk while the audit service is down and delivers them once it is up', async () => {
    const port = await freePort();
    const { events, outbox, metrics, log } = await component({ url: `https://127.0.0.1:${port}` });
    const sent = Array.from({ length: 20 }, () => denial(events).id);
    await eventually(() => log.lines.length >= 2);
    assert.ok((await metricValue(metrics, 'audit_ship_failures_total', 'reason="unreachable"')) >= 2);
    assert.equal(outbox.pendingEvents, 20);
    const onDisk = readdirSync(outbox.dir)
      .filter((name) => name.startsWith('segment-'))
      .flatMap((name) => readFileSync(join(outbox.dir, name), 'utf8').trimEnd().split('\n'))
      .filter((line) => line !== '')
      .map((line) => (JSON.parse(line) as SecurityEvent).id);
    assert.deepEqual(onDisk, sent);

    const audit = await server({ port });
    await eventually(() => audit.stored.size === 20);
    assert.deepEqual([...audit.stored.keys()], sent);
    assert.equal(audit.received.length, 20, 'nothing twice: none was acknowledged before');
    await eventually(() => outbox.pendingEvents === 0);
  });

  it('sends again, after a restart, exactly what was not acknowledged', async () => {
    const audit = await server();
    const first = await component(audit);
    const delivered = [denial(first.events).id, denial(first.events).id];
    await eventually(() => first.outbox.pendingEvents === 0);
    // The audit service stops answering; more events arrive; the process ends.
    audit.answer = () => 503;
    const undelivered = Array.from({ length: 7 }, () => denial(first.events).id);
    await eventually(() => audit.requests.some((request) => request.status === 503));
    await first.shipper.stop({ deadlineMs: 500 });
    first.events.close();
    assert.equal(audit.stored.size, 2);

    audit.answer = () => undefined;
    const second = await component(audit, { stateDir: first.stateDir });
    assert.equal(second.outbox.pendingEvents, 7);
    await eventually(() => audit.stored.size === 9);
    assert.deepEqual(
      audit.received.map((event) => event['id']),
      [...delivered, ...undelivered],
    );
  });

  it('sends nothing to a server proving another SPIFFE ID', async () => {
    const impostor = await server({ serverId: serviceSpiffeId(TRUST_DOMAIN, 'payments') });
    const { events, outbox, metrics, log } = await component(impostor);
    denial(events);
    await eventually(() => log.lines.length >= 2);
    assert.equal(impostor.requests.length, 0);
    assert.equal(outbox.pendingEvents, 1);
    assert.ok((await metricValue(metrics, 'audit_ship_failures_total', 'reason="unreachable"')) >= 2);
    const warning = log.lines[0];
    assert.match(
      String((warning?.object as { err?: Error }).err?.message),
      /is not spiffe:\/\/shop\.local\/rampart\/audit/,
    );
  });

  it('moves a refused event aside, keeps sending the others, and does not retry it', async () => {
    const audit = await server();
    audit.answer = (batch) => (batch.some((event) => event['reason'] === 'poison') ? 400 : undefined);
    const { events, outbox, metrics, log } = await component(audit, { batchSize: 8 });
    const ids = Array.from({ length: 20 }, (_, i) => denial(events, i === 5 ? 'poison' : 'expired').id);
    await eventually(() => audit.stored.size === 19);
    await eventually(() => outbox.pendingEvents === 0);
    const poison = ids[5]!;
    assert.deepEqual(
      [...audit.stored.keys()],
      ids.filter((id) => id !== poison),
    );
    const rejected = readdirSync(outbox.dir).filter((name) => name.startsWith('rejected-'));
    assert.equal(rejected.length, 1);
    const path = join(outbox.dir, rejected[0]!);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const aside = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      aside.map((line) => (JSON.parse(line) as SecurityEvent).id),
      [poison],
    );
    assert.equal(await metricValue(metrics, 'audit_events_rejected_total', 'reason="refused"'), 1);
    assert.equal(log.lines.filter((line) => line.level === 'error').length, 1);
    // The next events still flow.
    denial(events);
    await eventually(() => audit.stored.size === 20);
  });

  it('skips a partial last line a crash left, with a warning, and delivers the rest', async () => {
    const audit = await server();
    audit.answer = () => 503;
    const first = await component(audit);
    const ids = [denial(first.events).id, denial(first.events).id];
    await first.shipper.stop({ deadlineMs: 200 });
    first.events.close();
    const segment = readdirSync(first.outbox.dir).find((name) => name.startsWith('segment-'))!;
    appendFileSync(join(first.outbox.dir, segment), '{"id":"0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11","ti');

    audit.answer = () => undefined;
    const second = await component(audit, { stateDir: first.stateDir });
    ids.push(denial(second.events).id);
    await eventually(() => audit.stored.size === 3);
    assert.deepEqual([...audit.stored.keys()], ids);
    assert.ok(second.log.lines.some((line) => line.level === 'warn' && /skipped/.test(line.message)));
    assert.equal(await metricValue(second.metrics, 'audit_events_rejected_total', 'reason="corrupt"'), 1);
    await eventually(() => second.outbox.pendingEvents === 0);
  });

  it('never loses or repeats an event when many are emitted while batches are in flight', async () => {
    const audit = await server();
    const { events, outbox } = await component(audit, { batchSize: 7, segmentBytes: 4096 });
    const ids: string[] = [];
    for (let burst = 0; burst < 100; burst++) {
      for (let i = 0; i < 20; i++) ids.push(denial(events).id);
      await yieldToLoop();
    }
    await eventually(() => audit.stored.size === ids.length, 30_000);
    assert.equal(audit.received.length, ids.length, 'no event was sent twice');
    assert.deepEqual(
      audit.received.map((event) => event['id']),
      ids,
    );
    assert.ok(audit.requests.every((request) => request.events <= 7));
    await eventually(() => outbox.pendingEvents === 0);
    const segments = readdirSync(outbox.dir).filter((name) => name.startsWith('segment-'));
    assert.ok(segments.length <= 2, `delivered segments are deleted (left: ${segments.join(', ')})`);
  });

  it('uses new credentials once they rotate', async () => {
    const audit = await server();
    let current = client;
    const { events } = await component(audit, { credentials: () => current });
    denial(events);
    await eventually(() => audit.stored.size === 1);
    current = await mesh.credentials(ORDERS_ID);
    denial(events);
    await eventually(() => audit.stored.size === 2);
    const serials = new Set(audit.requests.map((request) => request.serial));
    assert.equal(serials.size, 2);
  });

  it('flushes on stop within its deadline, and stops on time when the service hangs', async () => {
    const audit = await server();
    const { events, shipper } = await component(audit, { lingerMs: 60_000 });
    denial(events);
    denial(events);
    await shipper.stop({ deadlineMs: 2_000 });
    assert.equal(audit.stored.size, 2);

    // A server that accepts connections and never says a word.
    const held = new Set<Socket>();
    const silent = createNetServer((socket) => held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of held) socket.destroy();
          silent.close(() => {
            resolve();
          });
        }),
    );
    const port = (silent.address() as AddressInfo).port;
    const down = await component({ url: `https://127.0.0.1:${port}` }, { lingerMs: 60_000 });
    denial(down.events);
    const started = Date.now();
    await down.shipper.stop({ deadlineMs: 300 });
    assert.ok(Date.now() - started < 2_000);
    assert.equal(down.outbox.pendingEvents, 1);
  });

  it('refuses a plain-HTTP URL and a bad SPIFFE ID', async () => {
    const dir = await tempDir('rampart-shipper-');
    cleanups.push(() => dir.cleanup());
    const outbox = openAuditOutbox({ stateDir: dir.path, log: captureLog() });
    cleanups.push(() => {
      outbox.close();
    });
    const base = { outbox, credentials: () => client, log: captureLog() };
    assert.throws(
      () => createEventShipper({ ...base, url: 'http://127.0.0.1:1', serverSpiffeId: AUDIT_ID }),
      TypeError,
    );
    assert.throws(
      () => createEventShipper({ ...base, url: 'https://127.0.0.1:1', serverSpiffeId: 'audit' }),
      TypeError,
    );
    assert.throws(
      () =>
        createEventShipper({ ...base, url: 'https://127.0.0.1:1', serverSpiffeId: AUDIT_ID, batchSize: 501 }),
      TypeError,
    );
  });
});
