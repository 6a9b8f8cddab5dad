import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  backoffDelay,
  BoundedQueue,
  outcomeOfStatus,
  retryAfterMs,
  signatureHeader,
  verifyWebhookSignature,
} from '../../src/alerts/index.ts';

const SECRET = 'k'.repeat(32);
const NOW = 1_773_000_000;

describe('webhook signature (Rampart-Signature: t=…,v1=…)', () => {
  it('is HMAC-SHA-256 over "<t>.<body>", hex — what the README snippet computes', () => {
    const body = '{"type":"audit.alert"}';
    const expected = createHmac('sha256', SECRET)
      .update(`${String(NOW)}.${body}`)
      .digest('hex');
    assert.equal(signatureHeader(SECRET, NOW, body), `t=${String(NOW)},v1=${expected}`);
    assert.ok(
      verifyWebhookSignature({ secret: SECRET, header: `t=${String(NOW)},v1=${expected}`, body, now: NOW }),
    );
  });

  it('accepts one of several v1 (a rotated secret), refuses outside ±5 minutes', () => {
    const body = 'x';
    const good = signatureHeader(SECRET, NOW, body);
    const other = signatureHeader('o'.repeat(32), NOW, body).split(',')[1] ?? '';
    assert.ok(verifyWebhookSignature({ secret: SECRET, header: `${good},${other}`, body, now: NOW }));
    assert.ok(verifyWebhookSignature({ secret: SECRET, header: `${other},${good}`, body, now: NOW }));
    assert.ok(verifyWebhookSignature({ secret: SECRET, header: good, body, now: NOW - 300 }));
    assert.ok(!verifyWebhookSignature({ secret: SECRET, header: good, body, now: NOW - 301 }));
    assert.ok(!verifyWebhookSignature({ secret: SECRET, header: good, body, now: NOW + 301 }));
  });

  const table: readonly [string, string | undefined][] = [
    ['no header', undefined],
    ['empty', ''],
    ['no timestamp', `v1=${'0'.repeat(64)}`],
    ['no v1', `t=${String(NOW)}`],
    ['v0 only', `t=${String(NOW)},v0=${'0'.repeat(64)}`],
    ['short v1', `t=${String(NOW)},v1=abcd`],
    ['upper-case hex', `t=${String(NOW)},v1=${'A'.repeat(64)}`],
    ['negative time', `t=-1,v1=${'0'.repeat(64)}`],
    ['huge header', `t=${String(NOW)},${'v1=0,'.repeat(1000)}`],
  ];
  for (const [name, header] of table) {
    it(`refuses a header with ${name}`, () => {
      assert.equal(verifyWebhookSignature({ secret: SECRET, header, body: 'x', now: NOW }), false);
    });
  }

  it('never throws and never accepts generated headers or a changed body (fast-check)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 100 }), (header, body) => {
        assert.equal(verifyWebhookSignature({ secret: SECRET, header, body, now: NOW }), false);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ minLength: 1, maxLength: 5 }), (body, extra) => {
        const header = signatureHeader(SECRET, NOW, body);
        assert.equal(verifyWebhookSignature({ secret: SECRET, header, body: body + extra, now: NOW }), false);
        assert.equal(verifyWebhookSignature({ secret: SECRET, header, body, now: NOW }), true);
      }),
    );
  });
});

describe('webhook retry policy', () => {
  it('backs off exponentially with equal jitter, capped', () => {
    const backoff = { baseMs: 1000, maxMs: 60_000 };
    for (let attempt = 1; attempt <= 12; attempt += 1) {
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      assert.equal(
        backoffDelay(attempt, backoff, () => 0),
        ceiling / 2,
      );
      assert.equal(
        backoffDelay(attempt, backoff, () => 0.999999),
        Math.round(ceiling * 0.9999995),
      );
    }
    assert.equal(
      backoffDelay(10_000, backoff, () => 1),
      60_000,
    );
  });

  it('reads Retry-After as seconds or an HTTP date, ignores junk', () => {
    const now = Date.parse('2026-03-10T12:00:00Z');
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs('Tue, 10 Mar 2026 12:00:30 GMT', now), 30_000);
    assert.equal(retryAfterMs('Tue, 10 Mar 2026 11:00:00 GMT', now), 0);
    assert.equal(retryAfterMs(undefined, now), undefined);
    assert.equal(retryAfterMs('soon', now), undefined);
    assert.equal(retryAfterMs('-5', now), undefined);
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (value) => {
        const ms = retryAfterMs(value, now);
        assert.ok(ms === undefined || (Number.isFinite(ms) && ms >= 0));
      }),
    );
  });

  it('retries 408, 425, 429 and 5xx; delivers on 2xx; refuses other statuses', () => {
    assert.equal(outcomeOfStatus(200), 'delivered');
    assert.equal(outcomeOfStatus(204), 'delivered');
    for (const status of [408, 425, 429, 500, 502, 503, 504]) assert.equal(outcomeOfStatus(status), 'retry');
    for (const status of [301, 302, 400, 401, 403, 404, 410, 413])
      assert.equal(outcomeOfStatus(status), 'rejected');
  });

  it('the bounded queue keeps the newest, in order', () => {
    const queue = new BoundedQueue<number>(3);
    assert.equal(queue.push(1), undefined);
    queue.push(2);
    queue.push(3);
    assert.equal(queue.push(4), 1);
    assert.equal(queue.length, 3);
    assert.deepEqual([queue.shift(), queue.shift(), queue.shift(), queue.shift()], [2, 3, 4, undefined]);
    assert.throws(() => new BoundedQueue(0), TypeError);
  });
});
