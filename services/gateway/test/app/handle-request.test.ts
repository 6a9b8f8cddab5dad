import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { createLogger, createMetrics, createSecurityEvents, type SecurityEventSink } from '@rampart/sdk';
import type { PipelineDeps } from '../../src/pipeline/deps.ts';
import { createRequestHandler, type RequestHandlerContext } from '../../src/pipeline/handle-request.ts';

/** Where a throw happens, for each case: always outside what the pipeline's own refusals cover. */
interface Faults {
  deps?: boolean;
  trustedProxies?: boolean;
  eventSink?: boolean;
}

describe('the request handler: a throw fails its request alone', () => {
  const logs: Record<string, unknown>[] = [];
  let faults: Faults = {};
  let server: Server;
  let url = '';

  before(async () => {
    const log = createLogger('gateway', {
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          logs.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      }),
    });
    const sink: SecurityEventSink = {
      write() {
        if (faults.eventSink === true) throw new Error('event sink down');
      },
    };
    const metrics = createMetrics('gateway');
    const context: RequestHandlerContext = {
      log,
      metrics,
      events: createSecurityEvents({ serviceName: 'gateway', sink, subjectKey: randomBytes(32), metrics }),
      requestTimeoutMs: 5_000,
      deps: () => {
        if (faults.deps === true) throw new TypeError('deps broken');
        // No stage reads these: every request here is refused at canonicalization (`%2f`).
        return {} as PipelineDeps;
      },
      trustedProxies: () => {
        if (faults.trustedProxies === true) throw new TypeError('proxy list broken');
        return [];
      },
    };
    server = createServer(createRequestHandler(context));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  const cases: [name: string, faults: Faults][] = [
    ['the pipeline deps throw', { deps: true }],
    ['reading the client address throws (before the pipeline runs)', { trustedProxies: true }],
    ['the security event of a refusal cannot be written', { eventSink: true }],
  ];

  for (const [name, given] of cases) {
    it(`${name}: a GW_INTERNAL 500 with the request id, logged under it; the next request is served`, async () => {
      faults = given;
      const answer = await request(`${url}/a%2fb`);
      const body = (await answer.body.json()) as Record<string, unknown>;
      assert.equal(answer.statusCode, 500);
      assert.equal(answer.headers['content-type'], 'application/problem+json');
      assert.equal(body['code'], 'GW_INTERNAL');
      assert.equal(typeof body['requestId'], 'string');
      assert.equal(answer.headers['x-request-id'], body['requestId']);
      assert.ok(
        !JSON.stringify(body).includes('broken') && !JSON.stringify(body).includes('down'),
        'no detail',
      );
      const failed = logs.filter(
        (line) => line['msg'] === 'request failed' && line['requestId'] === body['requestId'],
      );
      assert.equal(failed.length, 1, 'logged once, under the request id');

      faults = {};
      const next = await request(`${url}/a%2fb`);
      await next.body.dump();
      assert.equal(next.statusCode, 400, 'refused by the pipeline (GW_BAD_PATH), as before');
    });
  }
});
