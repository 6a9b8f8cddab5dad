import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
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
    assert.deepEqual(lines[0], {
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
});
