import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { Secret } from '@rampart/config';
import { createLogger } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import {
  createAlertWebhook,
  verifyWebhookSignature,
  SIGNATURE_HEADER,
  WEBHOOK_ID_HEADER,
  type AlertWebhook,
  type AlertWebhookOptions,
  type WebhookPayload,
} from '../../src/alerts/index.ts';
import type { Alert } from '../../src/detection/index.ts';
import { TestReceiver } from './receiver.ts';

const SECRET = randomBytes(32).toString('hex');
// A chat-style webhook whose path is its own credential: it must never reach a log line either.
const PATH_TOKEN = `T0${randomBytes(12).toString('hex')}`;

function alert(severity: Alert['severity'] = 'high'): Alert {
  return {
    id: randomUUID(),
    rule: 'brute-force-account',
    severity,
    title: 'Brute force on one account',
    time: new Date().toISOString(),
    group: { subject: 'ps_QnJ1dGVGb3JjZVZpY3RpbT' },
    count: 10,
    evidence: [{ seq: 41, id: randomUUID() }],
  };
}

async function deliveries(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('audit_webhook_deliveries_total')?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels['result']), v.value]));
}

describe('alert webhook: a real HTTPS receiver', () => {
  let dir: TempDir;
  let receiver: TestReceiver;
  let lines: string[];
  let open: AlertWebhook[];

  function webhook(options: Partial<AlertWebhookOptions> = {}): { hook: AlertWebhook; registry: Registry } {
    const registry = new Registry();
    const hook = createAlertWebhook({
      url: receiver.url(`/hooks/${PATH_TOKEN}`),
      secret: new Secret(SECRET),
      system: 'shop',
      log: createLogger('audit', {
        level: 'debug',
        destination: { write: (line: string) => lines.push(line) },
      }),
      registry,
      ca: receiver.ca,
      backoff: { baseMs: 20, maxMs: 2000 },
      timeoutMs: 2000,
      ...options,
    });
    open.push(hook);
    return { hook, registry };
  }

  before(async () => {
    dir = await tempDir('rampart-webhook-');
    receiver = await TestReceiver.start(dir.path);
    lines = [];
    open = [];
  });

  beforeEach(() => {
    receiver.received.length = 0;
    receiver.answer = () => ({ status: 204 });
  });

  after(async () => {
    await Promise.all(open.map((hook) => hook.close()));
    await receiver.close();
    // Every line any test logged: neither the secret nor the URL's path (its own credential).
    const all = lines.join('');
    assert.ok(lines.length > 0);
    assert.ok(!all.includes(SECRET), 'the secret is never logged');
    assert.ok(!all.includes(PATH_TOKEN), "the webhook URL's path is never logged");
    await dir.cleanup();
  });

  it('POSTs the alert as JSON, signed so that the receiver verifies it, with the alert id as idempotency key', async () => {
    const { hook, registry } = webhook();
    const sent = alert();
    hook.enqueue(sent);
    await hook.idle();
    assert.equal(receiver.received.length, 1);
    const [got] = receiver.received;
    assert.ok(got !== undefined);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers[WEBHOOK_ID_HEADER], sent.id);
    const header = got.headers[SIGNATURE_HEADER];
    assert.equal(typeof header, 'string');
    assert.match(String(header), /^t=[0-9]+,v1=[0-9a-f]{64}$/);
    assert.ok(verifyWebhookSignature({ secret: SECRET, header: String(header), body: got.body }));
    const payload = JSON.parse(got.body) as WebhookPayload;
    assert.deepEqual(payload, { type: 'audit.alert', system: 'shop', alert: sent });
    // What a receiver must refuse: another body, another secret, a replay after the tolerance.
    assert.ok(
      !verifyWebhookSignature({ secret: SECRET, header: String(header), body: got.body.replace('10', '11') }),
    );
    assert.ok(!verifyWebhookSignature({ secret: `${SECRET}x`, header: String(header), body: got.body }));
    const t = Number(/t=([0-9]+)/.exec(String(header))?.[1]);
    assert.ok(
      !verifyWebhookSignature({ secret: SECRET, header: String(header), body: got.body, now: t + 301 }),
    );
    assert.ok(
      verifyWebhookSignature({ secret: SECRET, header: String(header), body: got.body, now: t + 300 }),
    );
    assert.deepEqual(await deliveries(registry), { delivered: 1, rejected: 0, failed: 0, dropped: 0 });
  });

  it('retries after 503 with backoff, re-signed, same id, then succeeds', async () => {
    receiver.answer = (n) => (n <= 2 ? { status: 503 } : { status: 200 });
    const { hook, registry } = webhook();
    const sent = alert();
    hook.enqueue(sent);
    await hook.idle();
    assert.equal(receiver.received.length, 3);
    for (const got of receiver.received) {
      assert.equal(got.headers[WEBHOOK_ID_HEADER], sent.id);
      assert.ok(
        verifyWebhookSignature({
          secret: SECRET,
          header: String(got.headers[SIGNATURE_HEADER]),
          body: got.body,
        }),
      );
    }
    const [a, b, c] = receiver.received.map((got) => got.at);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    // Equal jitter: the n-th retry waits between half and all of base × 2^(n-1).
    assert.ok(b - a >= 10, `first retry after ${String(b - a)} ms`);
    assert.ok(c - b >= 20, `second retry after ${String(c - b)} ms`);
    assert.deepEqual(await deliveries(registry), { delivered: 1, rejected: 0, failed: 0, dropped: 0 });
  });

  it('honours Retry-After on 429, gives up after maxAttempts, and does not retry a 4xx', async () => {
    receiver.answer = (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 204 });
    const { hook, registry } = webhook({ maxAttempts: 4 });
    hook.enqueue(alert());
    await hook.idle();
    assert.equal(receiver.received.length, 2);
    const [first, second] = receiver.received;
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(second.at - first.at >= 950, `Retry-After: 1 waited ${String(second.at - first.at)} ms`);

    receiver.received.length = 0;
    receiver.answer = () => ({ status: 500 });
    hook.enqueue(alert());
    await hook.idle();
    receiver.answer = () => ({ status: 400 });
    hook.enqueue(alert());
    await hook.idle();
    const { hook: few, registry: fewRegistry } = webhook({ maxAttempts: 3 });
    receiver.answer = () => ({ status: 502 });
    receiver.received.length = 0;
    few.enqueue(alert());
    await few.idle();
    assert.equal(receiver.received.length, 3, 'three attempts, then given up');
    assert.deepEqual(await deliveries(fewRegistry), { delivered: 0, rejected: 0, failed: 1, dropped: 0 });
    assert.deepEqual(await deliveries(registry), { delivered: 1, rejected: 1, failed: 1, dropped: 0 });
  });

  it('a full queue drops the oldest alerts, counted and logged once', async () => {
    receiver.answer = () => 'hang';
    const before = lines.length;
    const { hook, registry } = webhook({ queueSize: 5, timeoutMs: 30_000 });
    for (let i = 0; i < 20; i += 1) hook.enqueue(alert());
    // The burst lands before the sender takes one: five kept, fifteen dropped; then one is in
    // flight (hanging) and four wait.
    assert.equal(hook.queued, 5);
    assert.equal((await deliveries(registry))['dropped'], 15);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(hook.queued, 4);
    assert.equal(receiver.received.length, 1);
    const drops = lines.slice(before).filter((line) => line.includes('queue full'));
    assert.equal(drops.length, 1, 'one line, not one per drop');
    assert.match(drops[0] ?? '', /"dropped":1\b/);
    await hook.close();
  });

  it('filters by minSeverity', async () => {
    const { hook } = webhook({ minSeverity: 'high' });
    hook.enqueue(alert('low'));
    hook.enqueue(alert('medium'));
    hook.enqueue(alert('critical'));
    await hook.idle();
    assert.equal(receiver.received.length, 1);
    assert.equal(
      (JSON.parse(receiver.received[0]?.body ?? '{}') as WebhookPayload).alert.severity,
      'critical',
    );
  });

  it('refuses a plain-http URL and a short secret (programmer errors)', () => {
    const registry = new Registry();
    const log = createLogger('audit', { level: 'silent' });
    const base = { secret: new Secret(SECRET), system: 'shop', log, registry };
    assert.throws(() => createAlertWebhook({ ...base, url: 'http://127.0.0.1:1/x' }), TypeError);
    assert.throws(
      () => createAlertWebhook({ ...base, url: 'https://127.0.0.1:1/x', secret: new Secret('short') }),
      /at least 32 bytes/,
    );
  });
});
