// No input may end a gateway worker: thousands of generated malformed HTTP/1.1 requests and raw
// HTTP/2 frame sequences against a gateway with two worker threads; after every batch both are
// alive, and at the end both still serve. See worker-crash.test.ts for the shape that did end one.
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { startWorkerPool, type WorkerPool } from '@rampart/gateway';
import { http1Bytes, http2Bytes } from './malformed-requests.ts';
import { once, requestsServed, setUp, TRUST_DOMAIN, type Ports, type Setup } from '@rampart/gateway/testing';

const WORKERS = 2;
/** Connections sent at once, in one property run. */
const BATCH = 24;
/** Property runs per protocol: 2 × 50 × 24 = 2 400 connections. */
const RUNS = 50;
/** A connection the gateway neither answers nor closes is dropped by the test after this. */
const CONNECTION_TIMEOUT_MS = 1_500;

const yaml = (ports: Ports): string => `version: 1
name: shop
trustDomain: ${TRUST_DOMAIN}
ports: { gateway: ${ports.gateway}, admin: ${ports.admin} }
identity:
  issuer: ${ports.issuer}
  dangerouslyAllowHttpIssuer: true
gateway:
  workers: ${WORKERS}
policies:
  anyone: { public: true }
  read: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.orders}
    callers: [gateway]
    routes:
      - { method: GET, path: /catalog, policy: anyone, cache: { ttl: 1m } }
      - { method: POST, path: /catalog, policy: anyone, schema: { body: { type: object } } }
      - { method: GET, path: "/orders/{id}", policy: read }
`;

/** What came back on one connection: a summary for the statistics, and every byte (up to 64 KiB). */
interface Outcome {
  readonly summary: string;
  readonly bytes: string;
}

/**
 * Writes `bytes` on a fresh TLS connection negotiating `alpn`. HTTP/1.1: the write side is closed at
 * once and the gateway answers, then closes. HTTP/2 (where a closed write side ends the session):
 * the connection is dropped after the first stream ends, a GOAWAY, or 300 ms of silence.
 */
function send(setup: Setup, alpn: 'http/1.1' | 'h2', bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({
      host: '127.0.0.1',
      port: setup.ports.gateway,
      ca: [...setup.mesh.bundle],
      ALPNProtocols: [alpn],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let summary = 'none';
    let silence: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => socket.destroy(), CONNECTION_TIMEOUT_MS);
    socket.once('secureConnect', () => {
      if (alpn === 'http/1.1') socket.end(bytes);
      else socket.write(bytes);
    });
    socket.on('data', (chunk: Buffer) => {
      if (size < 65_536) chunks.push(chunk);
      size += chunk.length;
      if (alpn === 'http/1.1') return;
      const seen = http2Summary(Buffer.concat(chunks));
      if (seen !== undefined) {
        summary = seen;
        socket.destroy();
        return;
      }
      clearTimeout(silence);
      silence = setTimeout(() => socket.destroy(), 300);
    });
    // A reset is an answer too: refusing bad input by closing the connection is fine.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      clearTimeout(silence);
      const text = Buffer.concat(chunks).toString('latin1');
      if (alpn === 'http/1.1')
        summary = /^HTTP\/1\.1 (\d{3}) /u.exec(text)?.[1] ?? (text === '' ? 'none' : 'other');
      resolve({ summary, bytes: text });
    });
  });
}

/** `answered` once a stream ended (END_STREAM), `reset` on RST_STREAM, `goaway` on GOAWAY. */
function http2Summary(received: Buffer): string | undefined {
  for (let at = 0; at + 9 <= received.length; at += 9 + received.readUIntBE(at, 3)) {
    const type = received[at + 3];
    const flags = received[at + 4] ?? 0;
    if ((type === 0x0 || type === 0x1) && (flags & 0x1) !== 0) return 'answered';
    if (type === 0x3) return 'reset';
    if (type === 0x7) return 'goaway';
  }
  return undefined;
}

describe('property: no malformed request ends a gateway worker', () => {
  let running: { setup: Setup; pool: WorkerPool } | undefined;
  const fatal: Error[] = [];
  const started = (): { setup: Setup; pool: WorkerPool } => {
    assert.ok(running, 'the pool started');
    return running;
  };
  const exits = (): unknown[] =>
    started().setup.logs.filter(
      (line) =>
        line['msg'] === 'gateway worker exited; restarting it' || line['msg'] === 'gateway worker failed',
    );
  before(async () => {
    const setup = await setUp(yaml);
    const pool = startWorkerPool({ ...setup.options, count: WORKERS, log: setup.log }, (error) =>
      fatal.push(error),
    );
    running = { setup, pool };
    await pool.started;
  });
  after(async () => {
    await running?.pool.stop();
    await running?.setup.close();
  });

  const cases = [
    ['HTTP/1.1 request lines, headers and bodies', 'http/1.1', http1Bytes],
    ['HTTP/2 frames and header blocks', 'h2', http2Bytes],
  ] as const;

  for (const [name, alpn, arbitrary] of cases) {
    it(`${name}: every worker alive after each batch of ${BATCH}`, async (t) => {
      const { setup, pool } = started();
      const statuses = new Map<string, number>();
      const servedBefore = (await pool.metrics()).map(requestsServed);
      await fc.assert(
        fc.asyncProperty(fc.array(arbitrary, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const outcomes = await Promise.all(batch.map((bytes) => send(setup, alpn, bytes)));
          for (const { summary } of outcomes) statuses.set(summary, (statuses.get(summary) ?? 0) + 1);
          // An internal error is a throw the pipeline did not expect: survivable, still a bug.
          const failed = outcomes.filter((outcome) => outcome.bytes.includes('GW_INTERNAL')).length;
          assert.equal(failed, 0, 'no input makes the gateway fail (GW_INTERNAL)');
          assert.deepEqual(exits(), [], 'no worker exited');
          assert.deepEqual(fatal, []);
          assert.ok(pool.ready(), 'every worker is listening');
        }),
        { numRuns: RUNS, endOnFailure: true },
      );
      const handled = (await pool.metrics()).map(requestsServed).map((n, i) => n - (servedBefore[i] ?? 0));
      t.diagnostic(
        `requests the workers handled: ${handled.join(', ')}; outcomes: ${JSON.stringify(Object.fromEntries(statuses))}`,
      );
    });
  }

  it('afterwards, every worker still serves', async () => {
    const { setup, pool } = started();
    const before = (await pool.metrics()).map(requestsServed);
    const answers = await Promise.all(Array.from({ length: 24 }, () => once(setup, '/catalog')));
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
    const served = (await pool.metrics()).map(requestsServed).map((n, i) => n - (before[i] ?? 0));
    assert.equal(served.length, WORKERS);
    for (const count of served) assert.ok(count > 0, `every worker served some: ${served.join(', ')}`);
  });
});
