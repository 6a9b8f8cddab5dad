import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { tempDir, type TempDir } from '@rampart/testing';
import { createLogger } from '../../src/log/index.ts';
import {
  createMetrics,
  createSecurityEvents,
  fileSink,
  logSink,
  pseudonym,
  type SecurityEvent,
  type SecurityEventInput,
} from '../../src/observability/index.ts';
import { EVENT_ID, PSEUDONYM } from '../../src/observability/event-fields.ts';

const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
const EMAIL = 'alice@example.com';
const PASSWORD = 'correct-horse-battery-staple';
const key = randomBytes(32);

describe('createSecurityEvents', () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('rampart-events-');
  });
  after(() => dir.cleanup());

  it('appends JSON lines to a 0600 file and counts each event', async () => {
    const path = join(dir.path, 'events.jsonl');
    const metrics = createMetrics('orders');
    const events = createSecurityEvents({
      serviceName: 'orders',
      sink: fileSink(path),
      subjectKey: key,
      metrics,
      now: () => new Date('2025-01-02T03:04:05.000Z'),
    });
    events.emit({
      event: 'peer.rejected',
      outcome: 'failure',
      reason: 'SDK_CALLER_NOT_ALLOWED',
      peer: 'spiffe://rampart.local/service/profiles',
      requestId: 'req-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    events.emit({ event: 'token.rejected', outcome: 'failure', reason: 'expired', subject: EMAIL });
    events.close();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as SecurityEvent);
    assert.match(lines[0]?.id ?? '', EVENT_ID);
    assert.notEqual(lines[0]?.id, lines[1]?.id);
    assert.deepEqual(lines[0], {
      id: lines[0]?.id,
      time: '2025-01-02T03:04:05.000Z',
      event: 'peer.rejected',
      service: 'orders',
      outcome: 'failure',
      reason: 'SDK_CALLER_NOT_ALLOWED',
      peer: 'spiffe://rampart.local/service/profiles',
      requestId: 'req-1',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    assert.equal(lines[1]?.subject, pseudonym(key, EMAIL));
    assert.match(lines[1].subject, /^ps_[A-Za-z0-9_-]{22}$/);
    assert.match(
      await metrics.registry.metrics(),
      /security_events_total\{event="token.rejected",service="orders"\} 1/,
    );
  });

  it('never writes a token, password or e-mail, whatever is passed in', () => {
    const path = join(dir.path, 'hostile.jsonl');
    const events = createSecurityEvents({ serviceName: 'orders', sink: fileSink(path), subjectKey: key });
    events.emit({ event: 'login.failed', outcome: 'failure', reason: 'bad_password', subject: EMAIL });
    const smuggled = {
      event: 'token.rejected',
      outcome: 'failure',
      reason: 'expired',
      token: TOKEN,
      password: PASSWORD,
      email: EMAIL,
    };
    events.emit(smuggled as SecurityEventInput);
    const refused: SecurityEventInput[] = [
      { event: 'token.rejected', outcome: 'failure', reason: TOKEN },
      { event: 'token.rejected', outcome: 'failure', reason: `invalid token ${TOKEN}` },
      { event: 'token.rejected', outcome: 'failure', reason: 'a1b2c3d4e5f6a7b8c9d0' },
      { event: 'login.failed', outcome: 'failure', reason: 'bad_password', peer: EMAIL },
      {
        event: 'login.failed',
        outcome: 'failure',
        reason: 'bad_password',
        requestId: `${EMAIL} ${PASSWORD}`,
      },
      { event: 'login.failed', outcome: 'failure', reason: 'bad_password', traceId: TOKEN },
      { event: `login failed for ${EMAIL}`, outcome: 'failure', reason: 'bad_password' },
      { event: 'login.failed', outcome: 'maybe' as 'failure', reason: 'bad_password' },
    ];
    for (const input of refused) assert.throws(() => events.emit(input), TypeError, JSON.stringify(input));
    events.close();
    const content = readFileSync(path, 'utf8');
    assert.equal(content.trimEnd().split('\n').length, 2, 'refused events write nothing');
    for (const secret of [TOKEN, PASSWORD, EMAIL, 'alice', 'example.com'])
      assert.ok(!content.includes(secret), secret);
  });

  it('resets an existing file to 0600 and refuses to follow a symbolic link', () => {
    const existing = join(dir.path, 'wide.jsonl');
    writeFileSync(existing, '');
    chmodSync(existing, 0o644);
    fileSink(existing).close?.();
    assert.equal(statSync(existing).mode & 0o777, 0o600);
    const link = join(dir.path, 'link.jsonl');
    symlinkSync(existing, link);
    assert.throws(() => fileSink(link), /ELOOP/);
  });

  it('writes to a logger under securityEvent with logSink', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    });
    const logger = createLogger('orders', { destination });
    const events = createSecurityEvents({ serviceName: 'orders', sink: logSink(logger), subjectKey: key });
    events.emit({ event: 'token.rejected', outcome: 'failure', reason: 'wrong_audience', subject: EMAIL });
    logger.flush();
    const record = JSON.parse(lines.join('')) as { msg: string; securityEvent: SecurityEvent };
    assert.equal(record.msg, 'token.rejected');
    assert.equal(record.securityEvent.reason, 'wrong_audience');
    assert.equal(record.securityEvent.subject, pseudonym(key, EMAIL));
    assert.ok(!lines.join('').includes(EMAIL));
  });

  it('requires a subject key of at least 32 bytes', () => {
    assert.throws(
      () =>
        createSecurityEvents({
          serviceName: 'orders',
          sink: { write: () => undefined },
          subjectKey: randomBytes(16),
        }),
      TypeError,
    );
  });

  it('records client id, route template, source IP and a cleaned user agent', () => {
    const written: SecurityEvent[] = [];
    const events = createSecurityEvents({
      serviceName: 'gateway',
      sink: { write: (event) => written.push(event) },
      subjectKey: key,
    });
    const hostileAgent = `Mozilla/5.0\r\n\u001b[31mfake log line\u202e\u0085${'x'.repeat(400)}`;
    const event = events.emit({
      event: 'request.denied',
      outcome: 'failure',
      reason: 'GW_TOKEN_EXPIRED',
      clientId: 'shop-web',
      route: 'GET /orders/{id}',
      sourceIp: '2001:db8::7',
      userAgent: hostileAgent,
    });
    assert.deepEqual(written, [event]);
    assert.equal(event.clientId, 'shop-web');
    assert.equal(event.route, 'GET /orders/{id}');
    assert.equal(event.sourceIp, '2001:db8::7');
    assert.equal(event.userAgent?.length, 256);
    assert.ok(event.userAgent.startsWith('Mozilla/5.0[31mfake log line'));
    const refused: Partial<SecurityEventInput>[] = [
      { clientId: 'Shop Web' },
      { clientId: EMAIL },
      { route: 'GET /orders/123?email=alice@example.com' },
      { route: '/orders/{id}' },
      { route: `GET /${'a'.repeat(300)}` },
      { sourceIp: 'localhost' },
      { sourceIp: '10.0.0.300' },
      { sourceIp: 'fe80::1%eth0' },
      { sourceIp: ' 10.0.0.1' },
      { userAgent: ['curl'] as unknown as string },
      { event: ['token.rejected'] as unknown as string },
      { subject: { length: 5 } as unknown as string },
    ];
    for (const fields of refused)
      assert.throws(
        () => events.emit({ event: 'request.denied', outcome: 'failure', reason: 'expired', ...fields }),
        TypeError,
        JSON.stringify(fields),
      );
    assert.equal(written.length, 1);
  });

  it('either refuses an input with a TypeError or writes only fields of their documented shape', () => {
    const written: SecurityEvent[] = [];
    const events = createSecurityEvents({
      serviceName: 'orders',
      sink: { write: (event) => written.push(event) },
      subjectKey: key,
    });
    const shapes: Record<keyof SecurityEvent, (value: unknown) => boolean> = {
      id: (v) => typeof v === 'string' && EVENT_ID.test(v),
      time: (v) => typeof v === 'string' && !Number.isNaN(Date.parse(v)) && v.endsWith('Z'),
      event: (v) =>
        typeof v === 'string' && v.length <= 64 && /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(v),
      service: (v) => v === 'orders',
      outcome: (v) => v === 'success' || v === 'failure' || v === 'unknown',
      reason: (v) =>
        typeof v === 'string' && v.length <= 64 && /^([A-Z]+(_[A-Z0-9]+)*|[a-z]+(_[a-z]+)*)$/.test(v),
      peer: (v) => typeof v === 'string' && v.length <= 256 && !v.includes('@'),
      subject: (v) => typeof v === 'string' && PSEUDONYM.test(v),
      requestId: (v) => typeof v === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(v),
      traceId: (v) => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v),
      clientId: (v) => typeof v === 'string' && /^[a-z][a-z0-9-]{0,62}$/.test(v),
      route: (v) => typeof v === 'string' && v.length <= 256 && /^[A-Z]+ \/[^\s?#%@]*$/.test(v),
      sourceIp: (v) => typeof v === 'string' && isIP(v) !== 0,
      userAgent: (v) =>
        typeof v === 'string' &&
        v.length > 0 &&
        v.length <= 256 &&
        v.isWellFormed() &&
        // eslint-disable-next-line no-control-regex -- the property under test
        !/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(v),
    };
    // Mostly well-formed values (so that many events are written), sometimes anything at all.
    const either = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
      fc.oneof(
        { arbitrary: good, weight: 10 },
        { arbitrary: fc.anything(), weight: 1 },
        { arbitrary: fc.string(), weight: 1 },
        { arbitrary: fc.constant(undefined), weight: 3 },
      );
    const input = fc.record(
      {
        event: either(fc.constantFrom('token.rejected', 'request.denied', 'login.failed')),
        outcome: either(fc.constantFrom('success', 'failure', 'unknown')),
        reason: either(fc.constantFrom('expired', 'SDK_CALLER_NOT_ALLOWED')),
        peer: either(fc.constantFrom('payments', 'spiffe://shop.local/service/payments')),
        subject: either(fc.string({ minLength: 1, maxLength: 40 })),
        requestId: either(fc.stringMatching(/^[A-Za-z0-9._:-]{1,20}$/)),
        traceId: either(fc.stringMatching(/^[0-9a-f]{32}$/)),
        clientId: either(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/)),
        route: either(fc.constantFrom('GET /orders/{id}', 'POST /orders', 'DELETE /')),
        sourceIp: either(fc.oneof(fc.ipV4(), fc.ipV6())),
        userAgent: fc.oneof(
          { arbitrary: fc.string({ unit: 'binary', maxLength: 400 }), weight: 4 },
          {
            arbitrary: fc.string({
              unit: fc.constantFrom('\r', '\n', '\u0000', '\u202e', '\ud800', 'a', '\u{1f600}'),
              maxLength: 300,
            }),
            weight: 4,
          },
          { arbitrary: fc.anything(), weight: 1 },
          { arbitrary: fc.constant(undefined), weight: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    let writes = 0;
    fc.assert(
      fc.property(input, (fields) => {
        const before = written.length;
        let event: SecurityEvent;
        try {
          event = events.emit(fields as SecurityEventInput);
        } catch (error) {
          assert.ok(error instanceof TypeError, String(error));
          assert.equal(written.length, before, 'a refused event writes nothing');
          return;
        }
        writes++;
        assert.equal(written.at(-1), event);
        for (const [name, value] of Object.entries(event)) {
          const shape = shapes[name as keyof SecurityEvent] as ((value: unknown) => boolean) | undefined;
          assert.ok(shape?.(value), `${name}: ${JSON.stringify(value)}`);
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(writes > 100, `only ${writes} inputs were written: the generator is too hostile`);
  });
});
