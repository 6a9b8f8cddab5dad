import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { connect as connectHttp2, constants as http2Constants, type ClientHttp2Stream } from 'node:http2';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { componentSpiffeId, createWorkloadCsr } from '@rampart/mesh';
import { freePort, yamlHead } from '@rampart/testing';
import type { Mesh } from '../forward/mesh-fixture.ts';
import { TRUST_DOMAIN } from '../forward/mesh-fixture.ts';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';

/** The gateway's HTTP/2 request deadline in these tests (30 s in production). */
const REQUEST_TIMEOUT_MS = 400;
/** How often the stand-in audit service writes an event on its live feed. */
const TICK_MS = 100;

/**
 * Stands in for the audit service's live feed: an mTLS HTTPS server presenting the audit
 * service's SPIFFE ID (the gateway's `/audit` mount checks it), answering every request with
 * `text/event-stream` and one event every {@link TICK_MS}, until the gateway goes away.
 */
async function startStreamingAudit(mesh: Mesh, port: number): Promise<{ close(): Promise<void> }> {
  const spiffeId = componentSpiffeId(TRUST_DOMAIN, 'audit');
  const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
  const issued = await mesh.ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
  const server: Server = createServer(
    {
      key: keyPem,
      cert: issued.certPem,
      ca: [...mesh.bundle],
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store' });
      res.write(': stream open\n\n');
      let seq = 0;
      const timer = setInterval(() => {
        res.write(`id: ${++seq}\nevent: audit\ndata: {"seq":${seq}}\n\n`);
      }, TICK_MS);
      res.on('close', () => {
        clearInterval(timer);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** An open HTTP/2 stream of the feed, as a browser's `fetch` holds it: what arrived, and when. */
interface HeldStream {
  readonly stream: ClientHttp2Stream;
  status(): number | undefined;
  /** Each `id:` the feed sent, with `Date.now()` at its arrival. */
  readonly events: { readonly seq: number; readonly at: number }[];
  /** Set when the stream closed, with its HTTP/2 code (0: ended cleanly). */
  closed(): { readonly at: number; readonly code: number } | undefined;
}

function hold(stream: ClientHttp2Stream): HeldStream {
  let status: number | undefined;
  let closed: { at: number; code: number } | undefined;
  const events: { seq: number; at: number }[] = [];
  stream.on('response', (headers) => {
    status = Number(headers[':status']);
  });
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    for (const match of chunk.matchAll(/^id: (\d+)$/gmu))
      events.push({ seq: Number(match[1]), at: Date.now() });
  });
  stream.on('error', () => undefined);
  stream.on('close', () => {
    closed = { at: Date.now(), code: stream.rstCode };
  });
  return { stream, events, status: () => status, closed: () => closed };
}

/**
 * Regression: the gateway cancelled every HTTP/2 stream whose request had not "completed" within
 * `requestTimeout` — and a GET, whose HEADERS frame already ends the request, never reads as
 * complete to node's compat layer when nobody consumes its (empty) body. So the console's live
 * feed (`GET /audit/v1/events/stream`, server-sent events, meant to last) was reset with
 * NGHTTP2_CANCEL after 30 s: Chromium showed `net::ERR_HTTP2_PROTOCOL_ERROR` and the feed went
 * dark. The deadline is for a request that has not arrived, never for an answer that lasts.
 */
describe('the HTTP/2 request deadline and a long answer (the audit live feed)', () => {
  let gw: GatewayFixture;
  let audit: { close(): Promise<void> };
  before(async () => {
    const auditPort = await freePort();
    const yaml = (ports: FixturePorts): string =>
      `${yamlHead(ports).replace(
        `identity: ${ports.identity} }`,
        `identity: ${ports.identity}, audit: ${auditPort} }`,
      )}
policies:
  read: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: read }
`;
    gw = await startGatewayFixture({ services: ['orders'], yaml, requestTimeoutMs: REQUEST_TIMEOUT_MS });
    audit = await startStreamingAudit(gw.mesh, auditPort);
  });
  after(async () => {
    await audit.close();
    await gw.close();
  });

  it('keeps a bodiless GET streaming well past the deadline', async () => {
    const session = connectHttp2(gw.url, { ca: [...gw.mesh.bundle] });
    try {
      const opened = Date.now();
      // endStream: the HEADERS frame ends the request, as a browser sends a GET.
      const feed = hold(
        session.request(
          { ':method': 'GET', ':path': '/audit/v1/events/stream', authorization: 'Bearer a.b.c' },
          { endStream: true },
        ),
      );
      const holdFor = REQUEST_TIMEOUT_MS * 4;
      await sleep(holdFor);
      assert.equal(feed.status(), 200);
      assert.equal(
        feed.closed(),
        undefined,
        `the feed was cut ${(feed.closed()?.at ?? 0) - opened} ms after it opened (HTTP/2 code ${feed.closed()?.code}), past the ${REQUEST_TIMEOUT_MS} ms request deadline`,
      );
      const late = feed.events.filter((event) => event.at - opened > REQUEST_TIMEOUT_MS + TICK_MS);
      assert.ok(
        late.length >= 5,
        `events still arrive after the deadline: ${late.length} of ${feed.events.length} in ${holdFor} ms`,
      );
      const seqs = feed.events.map((event) => event.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
        'in order, none missing',
      );
      feed.stream.close();
    } finally {
      session.close();
    }
    const after = await gw.h2('/orders');
    assert.equal(after.status, 401, 'the gateway still serves');
  });

  it('still cancels a GET whose request never ends (HEADERS without END_STREAM, no body)', async () => {
    const session = connectHttp2(gw.url, { ca: [...gw.mesh.bundle] });
    try {
      const opened = Date.now();
      const slow = hold(
        session.request(
          { ':method': 'GET', ':path': '/audit/v1/events/stream', authorization: 'Bearer a.b.c' },
          { endStream: false },
        ),
      );
      while (slow.closed() === undefined && Date.now() - opened < 5_000) await sleep(50);
      const closed = slow.closed();
      assert.ok(closed !== undefined, 'a request that never arrived whole outlived the deadline');
      assert.equal(closed.code, http2Constants.NGHTTP2_CANCEL);
      assert.ok(closed.at - opened >= REQUEST_TIMEOUT_MS - 50, `cut after ${closed.at - opened} ms`);
    } finally {
      session.close();
    }
  });
});
