import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { tempDir } from '@rampart/testing';
import {
  createMetrics,
  createSecurityEvents,
  openAuditOutbox,
  type AuditLogger,
  type AuditOutbox,
  type SecurityEvent,
} from '../../src/index.ts';

const subjectKey = randomBytes(32);

function captureLog(): AuditLogger & { readonly lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  return {
    lines,
    warn: (_object, message) => lines.push({ level: 'warn', message }),
    error: (_object, message) => lines.push({ level: 'error', message }),
  };
}

function segmentNames(outbox: AuditOutbox): string[] {
  return readdirSync(outbox.dir)
    .filter((name) => name.startsWith('segment-'))
    .sort();
}

describe('openAuditOutbox', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function stateDir(): Promise<string> {
    const dir = await tempDir('rampart-outbox-');
    cleanups.push(() => dir.cleanup());
    return dir.path;
  }

  function open(dir: string, options: { segmentBytes?: number; maxBytes?: number; now?: () => number } = {}) {
    const log = captureLog();
    const metrics = createMetrics('orders');
    const outbox = openAuditOutbox({ stateDir: dir, log, metrics, ...options });
    const events = createSecurityEvents({ serviceName: 'orders', sink: outbox, subjectKey, metrics });
    cleanups.push(() => {
      events.close();
    });
    const emit = (reason = 'expired'): SecurityEvent =>
      events.emit({ event: 'token.rejected', outcome: 'failure', reason, userAgent: 'ua'.repeat(40) });
    return { outbox, events, emit, log, metrics };
  }

  it('keeps a 0700 directory of 0600 segments, one JSON line per event', async () => {
    const dir = await stateDir();
    const { outbox, emit } = open(dir);
    const sent = [emit(), emit()];
    assert.equal(outbox.dir, join(dir, 'audit-outbox'));
    assert.equal(statSync(outbox.dir).mode & 0o777, 0o700);
    const [segment] = segmentNames(outbox);
    assert.match(segment ?? '', /^segment-\d{16}\.jsonl$/);
    const path = join(outbox.dir, segment!);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(
      readFileSync(path, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
      sent.map((event) => JSON.parse(JSON.stringify(event)) as unknown),
    );
    assert.equal(outbox.pendingEvents, 2);
  });

  it('refuses an outbox directory that is a symbolic link', async () => {
    const dir = await stateDir();
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'audit-outbox'));
    assert.throws(() => openAuditOutbox({ stateDir: dir, log: captureLog() }), /not a directory/);
  });

  it('rotates segments at their size, reads within limits, and deletes what was delivered', async () => {
    const dir = await stateDir();
    const { outbox, emit } = open(dir, { segmentBytes: 4096 });
    const ids = Array.from({ length: 40 }, () => emit().id);
    assert.ok(segmentNames(outbox).length >= 3, segmentNames(outbox).join());
    const seen: string[] = [];
    for (;;) {
      const batch = await outbox.read({ maxEvents: 3, maxBytes: 4096 });
      if (batch.start.segment === batch.end.segment && batch.start.offset === batch.end.offset) break;
      assert.ok(batch.lines.length <= 3);
      assert.ok(batch.bytes + batch.lines.length <= 4096);
      seen.push(...batch.lines.map((line) => (JSON.parse(line) as SecurityEvent).id));
      await outbox.acknowledge(batch);
    }
    assert.deepEqual(seen, ids);
    assert.equal(outbox.pendingEvents, 0);
    assert.equal(segmentNames(outbox).length, 1, 'only the segment being written is left');
    const ack = JSON.parse(readFileSync(join(outbox.dir, 'ack.json'), 'utf8')) as { segment: number };
    assert.equal(`segment-${String(ack.segment).padStart(16, '0')}.jsonl`, segmentNames(outbox)[0]);
  });

  it('refuses to acknowledge a batch twice or out of order', async () => {
    const dir = await stateDir();
    const { outbox, emit } = open(dir);
    emit();
    emit();
    const first = await outbox.read({ maxEvents: 1, maxBytes: 65_536 });
    await outbox.acknowledge(first);
    await assert.rejects(outbox.acknowledge(first), TypeError);
  });

  it('picks up, after a restart, from the acknowledged position', async () => {
    const dir = await stateDir();
    const first = open(dir);
    const ids = Array.from({ length: 5 }, () => first.emit().id);
    await first.outbox.acknowledge(await first.outbox.read({ maxEvents: 2, maxBytes: 65_536 }));
    first.events.close();

    const second = open(dir);
    assert.equal(second.outbox.pendingEvents, 3);
    ids.push(second.emit().id);
    const batches: string[] = [];
    for (;;) {
      const batch = await second.outbox.read({ maxEvents: 100, maxBytes: 65_536 });
      if (batch.start.segment === batch.end.segment && batch.start.offset === batch.end.offset) break;
      batches.push(...batch.lines.map((line) => (JSON.parse(line) as SecurityEvent).id));
      await second.outbox.acknowledge(batch);
    }
    assert.deepEqual(batches, ids.slice(2));
  });

  it('starts over, sending everything again, when ack.json is unreadable', async () => {
    const dir = await stateDir();
    const first = open(dir);
    first.emit();
    first.emit();
    first.events.close();
    writeFileSync(join(dir, 'audit-outbox', 'ack.json'), '{"segment":');
    const second = open(dir);
    assert.equal(second.outbox.pendingEvents, 2);
    assert.ok(second.log.lines.some((line) => line.level === 'error' && /ack\.json/.test(line.message)));
  });

  it('drops and counts events past its bound, logs once a minute, and never throws', async () => {
    const dir = await stateDir();
    let clock = 0;
    const { outbox, emit, log, metrics } = open(dir, {
      segmentBytes: 4096,
      maxBytes: 8192,
      now: () => clock,
    });
    for (let i = 0; i < 200; i++) emit();
    assert.ok(outbox.bytes <= 8192);
    const kept = outbox.pendingEvents;
    assert.ok(kept > 0 && kept < 200);
    assert.match(
      await metrics.registry.metrics(),
      new RegExp(`audit_outbox_dropped_total\\{reason="full",service="orders"\\} ${200 - kept}`),
    );
    assert.equal(log.lines.filter((line) => line.level === 'error').length, 1);
    clock += 60_000;
    emit();
    assert.equal(log.lines.filter((line) => line.level === 'error').length, 2);
    // Delivering makes room again.
    for (;;) {
      const batch = await outbox.read({ maxEvents: 500, maxBytes: 65_536 });
      if (batch.start.segment === batch.end.segment && batch.start.offset === batch.end.offset) break;
      await outbox.acknowledge(batch);
    }
    emit();
    emit();
    assert.equal(outbox.pendingEvents, 2);
  });
});
