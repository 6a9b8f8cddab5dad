// A client that goes away is not a refusal: only real refusals are `request.denied` security
// events (issue 10, item 12: 3 of 5 ordinary curl requests over HTTP/2 were reported as
// `malformed_request`, which makes alerting on denials useless).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as connectHttp2 } from 'node:http2';
import { connect as tcpConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { tempDir, type TempDir, yamlHead, frame, hpackLiterals, HTTP2_PREFACE } from '@rampart/testing';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';

const run = promisify(execFile);

const yaml = (ports: FixturePorts): string => `${yamlHead(ports)}
policies:
  anyone: { public: true }
  read: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /catalog, policy: anyone }
      - { method: POST, path: /upload, policy: anyone, schema: { contentTypes: [application/octet-stream] } }
      - { method: GET, path: /orders, policy: read }
`;

describe('security events: a client that goes away is not a denial', () => {
  let started: GatewayFixture | undefined;
  let dir: TempDir | undefined;
  let caFile = '';
  let port = 0;
  const fixture = (): GatewayFixture => {
    assert.ok(started, 'the gateway started');
    return started;
  };

  before(async () => {
    dir = await tempDir('rampart-disconnects-');
    started = await startGatewayFixture({ services: ['orders'], yaml });
    caFile = join(dir.path, 'ca.pem');
    await writeFile(caFile, started.mesh.bundle.join('\n'));
    port = Number(new URL(started.url).port);
  });
  after(async () => {
    await started?.close();
    await dir?.cleanup();
  });

  const denials = (): Record<string, unknown>[] =>
    fixture()
      .logs.filter((line) => line['msg'] === 'request.denied')
      .map((line) => line['securityEvent'] as Record<string, unknown>);
  /** Runs `act`, lets the gateway see the connections close, and returns the denials it emitted. */
  const denialsDuring = async (act: () => Promise<void>): Promise<Record<string, unknown>[]> => {
    const before = denials().length;
    await act();
    await sleep(300);
    return denials().slice(before);
  };

  /** A TLS connection whose TCP socket the test can reset (RST), as a client that crashes does. */
  const resettable = (alpn: string): { tls: TLSSocket; reset: () => void } => {
    const tcp = tcpConnect(port, '127.0.0.1');
    const tls = tlsConnect({
      socket: tcp,
      host: '127.0.0.1',
      ca: [...fixture().mesh.bundle],
      ALPNProtocols: [alpn],
    });
    return {
      tls,
      reset: () => {
        tcp.resetAndDestroy();
      },
    };
  };
  const secure = (tls: TLSSocket): Promise<void> =>
    new Promise((resolve, reject) => {
      tls.once('error', reject);
      tls.once('secureConnect', () => {
        tls.off('error', reject);
        // A reset the test causes itself is expected from here on.
        tls.on('error', () => undefined);
        resolve();
      });
    });
  const firstData = (tls: TLSSocket): Promise<Buffer> =>
    new Promise((resolve) => {
      tls.once('data', resolve);
    });
  const post = (path: string, type: string): Buffer =>
    frame(
      0x1,
      0x4, // END_HEADERS, the stream stays open for the body
      1,
      hpackLiterals([
        [':method', 'POST'],
        [':path', path],
        [':scheme', 'https'],
        [':authority', '127.0.0.1'],
        ['content-type', type],
      ]),
    );

  it('five curl requests over HTTP/2: five answers, no denial', async () => {
    const found = await denialsDuring(async () => {
      for (let i = 0; i < 5; i++) {
        const { stdout } = await run('curl', [
          '-s',
          '--http2',
          '--cacert',
          caFile,
          '-o',
          '/dev/null',
          '-w',
          '%{http_version} %{http_code}',
          `${fixture().url}/catalog`,
        ]);
        assert.equal(stdout, '2 200');
      }
    });
    assert.deepEqual(found, []);
  });

  it('HTTP/2: a connection reset after the answer is no denial', async () => {
    const found = await denialsDuring(async () => {
      for (let i = 0; i < 3; i++) {
        const { tls, reset } = resettable('h2');
        // node's own client (it acknowledges SETTINGS and sends WINDOW_UPDATEs, as curl does)
        const session = connectHttp2(fixture().url, { createConnection: () => tls });
        session.on('error', () => undefined);
        const stream = session.request({ ':path': '/catalog' });
        stream.resume();
        await new Promise<void>((resolve) => {
          stream.once('end', resolve);
        });
        reset();
      }
    });
    assert.deepEqual(found, []);
  });

  it('HTTP/2: a stream cancelled mid-body is abandoned — not denied, and never forwarded cut short', async () => {
    const hits = fixture().services.get('orders')?.hits;
    const forwarded = hits?.get('/upload') ?? 0;
    const found = await denialsDuring(async () => {
      for (let i = 0; i < 3; i++) {
        const { tls } = resettable('h2');
        await secure(tls);
        tls.write(
          Buffer.concat([
            HTTP2_PREFACE,
            frame(0x4, 0, 0, Buffer.alloc(0)),
            post('/upload', 'application/octet-stream'),
            frame(0x0, 0, 1, Buffer.from('first half')),
          ]),
        );
        await sleep(100);
        const cancel = Buffer.alloc(4);
        cancel.writeUInt32BE(0x8); // CANCEL
        tls.write(frame(0x3, 0, 1, cancel));
        await sleep(100);
        tls.end();
      }
    });
    assert.deepEqual(found, []);
    assert.equal(hits?.get('/upload') ?? 0, forwarded, 'a body cut short is not forwarded as if whole');
    const abandoned = fixture().logs.filter((line) => line['msg'] === 'request abandoned by the client');
    assert.ok(abandoned.length >= 3, 'logged as abandoned');
  });

  it('HTTP/1.1: a reset after the answer, or in the middle of a body, is no denial and no error', async () => {
    const errors = fixture().logs.filter((line) => line['level'] === 50).length;
    const found = await denialsDuring(async () => {
      for (let i = 0; i < 3; i++) {
        const after = resettable('http/1.1');
        await secure(after.tls);
        after.tls.write('GET /catalog HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
        await firstData(after.tls);
        after.reset();
        const midBody = resettable('http/1.1');
        await secure(midBody.tls);
        midBody.tls.write(
          'POST /upload HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/octet-stream\r\ncontent-length: 100\r\n\r\nfirst half',
        );
        await sleep(100);
        midBody.reset();
      }
    });
    assert.deepEqual(found, []);
    assert.equal(
      fixture().logs.filter((line) => line['level'] === 50).length,
      errors,
      'nothing logged as an error',
    );
  });

  it('real refusals still are denials: a request llhttp refuses, an HTTP/2 protocol violation, a missing token', async () => {
    const parser = await denialsDuring(async () => {
      const answer = await fixture().raw(['GET /catalog HTTP/1.1', 'host: 127.0.0.1', 'bad header']);
      assert.match(answer, /^HTTP\/1\.1 400 /u);
    });
    assert.deepEqual(
      parser.map((event) => event['reason']),
      ['HPE_INVALID_HEADER_TOKEN'],
    );

    const protocol = await denialsDuring(async () => {
      const { tls } = resettable('h2');
      await secure(tls);
      // A DATA frame on stream 0 is a connection error (RFC 9113 §6.1): PROTOCOL_ERROR.
      tls.write(
        Buffer.concat([HTTP2_PREFACE, frame(0x4, 0, 0, Buffer.alloc(0)), frame(0x0, 0, 0, Buffer.from('x'))]),
      );
      await sleep(300);
      tls.destroy();
    });
    assert.equal(protocol.length, 1, JSON.stringify(protocol));

    const token = await denialsDuring(async () => {
      const answer = await fixture().call('/orders');
      assert.equal(answer.status, 401);
    });
    assert.deepEqual(
      token.map((event) => event['reason']),
      ['GW_TOKEN_MISSING'],
    );
  });
});
