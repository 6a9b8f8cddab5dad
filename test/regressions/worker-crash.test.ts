// Denial of service by one request: an input that throws outside the pipeline's error handling
// ends the worker thread with every request in flight on it; a few in a minute end the gateway.
// The shape found: `GET / HTTP/2.0` over a TLS connection that negotiated http/1.1 (llhttp accepts
// the version, so the request looked like HTTP/2 and its missing stream was read).
import assert from 'node:assert/strict';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startWorkerPool, type WorkerPool } from '@rampart/gateway';
import { once, requestsServed, setUp, TRUST_DOMAIN, type Ports, type Setup } from '@rampart/gateway/testing';

const WORKERS = 2;

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
services:
  orders:
    entry: orders.ts
    port: ${ports.orders}
    callers: [gateway]
    routes:
      - { method: GET, path: /catalog, policy: anyone }
`;

/** Sends `text` on a TLS connection that negotiates `alpn`; resolves with all the server sent. */
function rawTls(setup: Setup, text: string, alpn = 'http/1.1'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port: setup.ports.gateway, ca: [...setup.mesh.bundle], ALPNProtocols: [alpn] },
      () => {
        assert.equal(socket.alpnProtocol, alpn);
        socket.write(text);
      },
    );
    let answer = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => {
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

describe('regression: one request must not end a gateway worker', () => {
  let running: { setup: Setup; pool: WorkerPool } | undefined;
  const fatal: Error[] = [];
  const started = (): { setup: Setup; pool: WorkerPool } => {
    assert.ok(running, 'the pool started');
    return running;
  };
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

  const shapes: [name: string, request: string, status: RegExp][] = [
    ['GET / HTTP/2.0 over http/1.1 (the report)', 'GET / HTTP/2.0\r\nHost: x\r\n\r\n', / 505 /u],
    [
      'HTTP/2.0 on a route, with a body',
      'POST /catalog HTTP/2.0\r\nHost: x\r\ncontent-length: 2\r\n\r\n{}',
      / 505 /u,
    ],
    ['HTTP/0.9 with headers', 'GET /catalog HTTP/0.9\r\nHost: x\r\n\r\n', / 505 /u],
    ['HTTP/1.2', 'GET /catalog HTTP/1.2\r\nHost: x\r\n\r\n', / 400 /u],
  ];

  for (const [name, request, status] of shapes) {
    it(`${name}: refused, and every worker keeps serving`, async () => {
      const { setup, pool } = started();
      // More than the pool's crash budget (5 a minute): before the fix, this ended the gateway.
      for (let i = 0; i < 8; i++) {
        const answer = await rawTls(setup, request);
        assert.match(
          answer.split('\r\n')[0] ?? '',
          status,
          `answer: ${JSON.stringify(answer.slice(0, 200))}`,
        );
      }
      assert.deepEqual(fatal, []);
      assert.ok(pool.ready(), 'every worker is listening');
      const exits = setup.logs.filter((line) => line['msg'] === 'gateway worker exited; restarting it');
      assert.deepEqual(exits, [], 'no worker exited');
      const before = (await pool.metrics()).map(requestsServed);
      const statuses = await Promise.all(Array.from({ length: 24 }, () => once(setup, '/catalog')));
      assert.deepEqual(new Set(statuses.map((s) => s.status)), new Set([200]));
      const served = (await pool.metrics()).map(requestsServed).map((n, i) => n - (before[i] ?? 0));
      assert.equal(served.length, WORKERS);
      for (const count of served) assert.ok(count > 0, `every worker served some: ${served.join(', ')}`);
    });
  }
});
