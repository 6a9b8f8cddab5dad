// Slow clients over HTTP/1.1 (issue 10, item 11): node:http enforces `headersTimeout` and
// `requestTimeout` only on its own servers, so on the HTTP/1.1 connections of the gateway's HTTP/2
// listener a client sending one header line every two seconds was still connected after a minute.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type TLSSocket } from 'node:tls';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

const yaml = (ports: FixturePorts): string => `${yamlHead(ports)}
policies:
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /catalog, policy: anyone }
      - { method: POST, path: /upload, policy: anyone, schema: { contentTypes: [application/octet-stream] } }
`;

/** The documented deadline for a request's headers. */
const HEADERS_TIMEOUT_S = 10;

interface Connection {
  readonly socket: TLSSocket;
  /** Everything the gateway sent so far. */
  received(): string;
  /** Resolves with the seconds since the connection was opened, once the gateway has closed it. */
  readonly closed: Promise<number>;
}

async function open(gw: GatewayFixture): Promise<Connection> {
  const socket = connect({
    port: Number(new URL(gw.url).port),
    host: '127.0.0.1',
    ca: [...gw.mesh.bundle],
    ALPNProtocols: ['http/1.1'],
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  assert.equal(socket.alpnProtocol, 'http/1.1');
  const opened = Date.now();
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => {
      resolve((Date.now() - opened) / 1000);
    });
  });
  return { socket, received: () => text, closed };
}

/** Writes `lines` one at a time, `everyMs` apart, until the connection closes or they run out. */
async function trickle(connection: Connection, lines: readonly string[], everyMs: number): Promise<void> {
  for (const line of lines) {
    if (connection.socket.destroyed) return;
    connection.socket.write(line);
    await sleep(everyMs);
  }
}

describe('HTTP/1.1 deadlines on the gateway listener', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml });
  });
  after(async () => {
    await gw.close();
  });
  const denials = (): unknown[] =>
    gw.logs
      .filter((line) => line['msg'] === 'request.denied')
      .map((line) => (line['securityEvent'] as Record<string, unknown>)['reason']);

  it(`answers 408 to headers still arriving after ${HEADERS_TIMEOUT_S} s, closes an idle connection quietly, and keeps serving`, async () => {
    const deniedBefore = denials().length;
    const slow = await open(gw);
    const idle = await open(gw);
    const headerLines = [
      'GET /catalog HTTP/1.1\r\nHost: x\r\n',
      ...Array.from({ length: 40 }, (_, i) => `x-slow-${i}: 1\r\n`),
    ];
    void trickle(slow, headerLines, 1000);
    const [slowAfter, idleAfter] = await Promise.all([slow.closed, idle.closed]);
    assert.ok(
      slowAfter >= HEADERS_TIMEOUT_S - 0.5 && slowAfter < HEADERS_TIMEOUT_S + 3,
      `cut after ${slowAfter} s, not at about ${HEADERS_TIMEOUT_S}`,
    );
    assert.match(slow.received(), /^HTTP\/1\.1 408 /u);
    assert.ok(idleAfter < HEADERS_TIMEOUT_S + 3, `an idle connection closed after ${idleAfter} s`);
    assert.equal(idle.received(), '', 'nothing to answer on a connection that sent nothing');
    // One denial, for the slow headers; the idle connection is no attack.
    assert.deepEqual(denials().slice(deniedBefore), ['ERR_HTTP_REQUEST_TIMEOUT']);
    assert.equal((await gw.call('/catalog')).status, 200);
  });

  it('keeps a keep-alive connection usable between requests, each getting its own deadline', async () => {
    const connection = await open(gw);
    for (let i = 0; i < 3; i++) {
      const before = connection.received().length;
      connection.socket.write('GET /catalog HTTP/1.1\r\nHost: x\r\n\r\n');
      for (let waited = 0; !connection.received().slice(before).includes('\r\n\r\n') && waited < 50; waited++)
        await sleep(100);
      assert.match(connection.received().slice(before), /^HTTP\/1\.1 200 /u, `request ${i + 1}`);
      await sleep(1500);
    }
    assert.equal(connection.socket.destroyed, false);
    connection.socket.destroy();
  });
});

describe('a slow request body over HTTP/1.1', () => {
  let gw: GatewayFixture;
  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml, requestTimeoutMs: 1500 });
  });
  after(async () => {
    await gw.close();
  });

  it('ends a connection whose body is still arriving when the request deadline passes', async () => {
    const connection = await open(gw);
    const head =
      'POST /upload HTTP/1.1\r\nHost: x\r\ncontent-type: application/octet-stream\r\ncontent-length: 100\r\n\r\n';
    void trickle(connection, [head, ...Array.from({ length: 100 }, () => 'x')], 200);
    const after = await connection.closed;
    assert.ok(after >= 1.3 && after < 4, `cut after ${after} s, not at about 1.5`);
    assert.equal((await gw.call('/catalog')).status, 200);
  });
});
