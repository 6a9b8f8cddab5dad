import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { parseTraceparent } from '@rampart/sdk';
import type { Echo } from '../forward/mesh-fixture.ts';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

// A real OpenTelemetry SDK, registered once for this process (the global provider can be set only
// once): every span the gateway ends is exported here. tracing-without-sdk.test.ts covers the
// no-op case in a process of its own.
const exporter = new InMemorySpanExporter();
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);

const shop = (ports: FixturePorts): string =>
  `${yamlHead(ports)}
policies:
  read-orders: { scopes: [orders:read] }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - method: GET
        path: /orders/{id}
        policy: read-orders
      - method: GET
        path: /status/{code}
        policy: read-orders
`;

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

/** The spans of one request, by its `X-Request-Id`; the server span ends after the answer is sent. */
async function spansOf(requestId: unknown): Promise<{ server: ReadableSpan; clients: ReadableSpan[] }> {
  assert.equal(typeof requestId, 'string', 'the answer carries x-request-id');
  for (let attempt = 0; attempt < 100; attempt++) {
    const spans = exporter.getFinishedSpans();
    const server = spans.find(
      (span) => span.kind === SpanKind.SERVER && span.attributes['rampart.request_id'] === requestId,
    );
    if (server !== undefined) {
      const clients = spans.filter(
        (span) =>
          span.kind === SpanKind.CLIENT && span.parentSpanContext?.spanId === server.spanContext().spanId,
      );
      return { server, clients };
    }
    await sleep(20);
  }
  assert.fail(`no server span for request ${String(requestId)}`);
}

/** Everything a span says — name and attributes — as one string, to search for what must not be there. */
function textOf(span: ReadableSpan): string {
  return `${span.name} ${JSON.stringify(span.attributes)}`;
}

describe('OpenTelemetry spans and W3C trace context, with an SDK registered', () => {
  let gw: GatewayFixture;
  let token: string;

  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: shop });
    token = await gw.token({ scope: 'orders:read' });
  });
  after(async () => {
    await gw.close();
  });

  it("continues the client's trace: SERVER span under the client's span, CLIENT span under it, sent upstream", async () => {
    const res = await gw.call('/orders/123?secret=q', { token, headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 200);
    const { server, clients } = await spansOf(res.headers['x-request-id']);

    assert.equal(server.spanContext().traceId, CLIENT_TRACE);
    assert.equal(
      server.parentSpanContext?.spanId,
      CLIENT_SPAN,
      "the server span's parent is the client's span",
    );
    assert.equal(server.name, 'GET /orders/{id}');
    assert.equal(server.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(server.attributes, {
      'http.request.method': 'GET',
      'network.protocol.version': '1.1',
      'rampart.request_id': res.headers['x-request-id'],
      'http.route': '/orders/{id}',
      'http.response.status_code': 200,
    });

    assert.equal(clients.length, 1, 'one CLIENT span, child of the server span');
    const [client] = clients;
    assert.ok(client);
    assert.equal(client.spanContext().traceId, CLIENT_TRACE);
    assert.equal(client.name, 'GET /orders/{id}');
    assert.equal(client.attributes['rampart.upstream'], 'orders');
    assert.equal(client.attributes['http.response.status_code'], 200);

    const sent = parseTraceparent((res.json() as unknown as Echo).headers['traceparent']);
    assert.ok(sent, 'the service received a valid traceparent');
    assert.equal(sent.traceId, CLIENT_TRACE);
    assert.equal(sent.spanId, client.spanContext().spanId, "its parent is the gateway's CLIENT span");
    assert.notEqual(sent.spanId, CLIENT_SPAN, "never the client's own span");
    assert.equal(sent.traceFlags, 1, 'sampled, as the SDK decided');

    for (const span of [server, client]) {
      const text = textOf(span);
      assert.ok(!text.includes('/orders/123'), `no raw path in ${text}`);
      assert.ok(!text.includes('secret'), `no query in ${text}`);
      assert.ok(!text.includes(token), `no token in ${text}`);
    }
    const access = gw.logs.find(
      (line) => line['msg'] === 'request' && line['requestId'] === res.headers['x-request-id'],
    );
    assert.equal(access?.['traceId'], CLIENT_TRACE, 'the access log line carries the trace id');
    assert.equal(access['spanId'], server.spanContext().spanId, "and the SERVER span's id");
  });

  it('records a refusal on the server span: the code and the stage, and the security event has the trace id', async () => {
    const res = await gw.call('/orders/7', { token: 'not-a-jwt', headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 401);
    const { server, clients } = await spansOf(res.headers['x-request-id']);
    assert.equal(server.name, 'GET /orders/{id}');
    assert.equal(server.attributes['rampart.denial.code'], 'GW_TOKEN_INVALID');
    assert.equal(server.attributes['rampart.stage'], 'authenticate');
    assert.equal(server.attributes['http.response.status_code'], 401);
    assert.equal(server.status.code, SpanStatusCode.UNSET, "a 4xx is the client's error, not the gateway's");
    assert.deepEqual(clients, [], 'nothing was sent upstream');
    assert.ok(!textOf(server).includes('not-a-jwt'));

    const event = gw.logs.find((line) => {
      const fields = line['securityEvent'] as Record<string, unknown> | undefined;
      return fields?.['event'] === 'request.denied' && fields['requestId'] === res.headers['x-request-id'];
    });
    assert.equal(
      (event?.['securityEvent'] as Record<string, unknown> | undefined)?.['traceId'],
      CLIENT_TRACE,
    );
    // Every line of the request carries the request's trace and span ids: the refusal and the access line.
    const lines = gw.logs.filter((line) => line['requestId'] === res.headers['x-request-id']);
    assert.deepEqual(
      lines.map((line) => line['msg']),
      ['request refused', 'request'],
    );
    for (const line of lines) {
      assert.equal(line['traceId'], CLIENT_TRACE, String(line['msg']));
      assert.equal(line['spanId'], server.spanContext().spanId, String(line['msg']));
    }
  });

  it('names an unmatched request "unmatched", never after its path', async () => {
    const res = await gw.call('/admin/users/42', { headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 404);
    const { server } = await spansOf(res.headers['x-request-id']);
    assert.equal(server.name, 'GET unmatched');
    assert.equal(server.attributes['rampart.stage'], 'route');
    assert.equal(server.attributes['rampart.denial.code'], 'GW_ROUTE_NOT_FOUND');
    assert.ok(!textOf(server).includes('/admin'));
  });

  it('marks a 5xx as an error on both spans', async () => {
    const res = await gw.call('/status/500', { token, headers: { traceparent: TRACEPARENT } });
    assert.equal(res.status, 502);
    const { server, clients } = await spansOf(res.headers['x-request-id']);
    assert.equal(server.status.code, SpanStatusCode.ERROR);
    assert.equal(server.attributes['rampart.denial.code'], 'GW_UPSTREAM_ERROR');
    assert.equal(server.attributes['rampart.stage'], 'forward');
    const [client] = clients;
    assert.ok(client, 'a CLIENT span');
    assert.equal(client.attributes['http.response.status_code'], 500);
    assert.equal(client.status.code, SpanStatusCode.ERROR);
  });

  it('starts a new trace for a malformed traceparent, and drops the tracestate that came with it', async () => {
    const malformed = [
      `00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-01`,
      `ff-${CLIENT_TRACE}-${CLIENT_SPAN}-01`,
      `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`,
      `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01-extra`,
      [TRACEPARENT, TRACEPARENT],
    ];
    for (const traceparent of malformed) {
      const res = await gw.call('/orders/1', { token, headers: { traceparent, tracestate: 'vendor=abc' } });
      assert.equal(res.status, 200);
      const { server, clients } = await spansOf(res.headers['x-request-id']);
      const label = JSON.stringify(traceparent);
      assert.notEqual(server.spanContext().traceId, CLIENT_TRACE, label);
      assert.equal(server.parentSpanContext, undefined, `${label}: a root span`);
      const echo = res.json() as unknown as Echo;
      const sent = parseTraceparent(echo.headers['traceparent']);
      assert.equal(sent?.traceId, server.spanContext().traceId, label);
      assert.equal(sent.spanId, clients[0]?.spanContext().spanId, label);
      assert.equal(echo.headers['tracestate'], undefined, `${label}: tracestate dropped`);
    }
  });

  it('passes a valid tracestate on, and drops an invalid one', async () => {
    const valid = await gw.call('/orders/1', {
      token,
      headers: { traceparent: TRACEPARENT, tracestate: 'vendor=abc,rojo=00f067aa0ba902b7' },
    });
    assert.equal((valid.json() as unknown as Echo).headers['tracestate'], 'vendor=abc,rojo=00f067aa0ba902b7');
    const invalid = await gw.call('/orders/1', {
      token,
      headers: { traceparent: TRACEPARENT, tracestate: 'BAD KEY=1' },
    });
    const echo = invalid.json() as unknown as Echo;
    assert.equal(echo.headers['tracestate'], undefined);
    assert.equal(parseTraceparent(echo.headers['traceparent'])?.traceId, CLIENT_TRACE, 'the trace goes on');
  });

  it('traces HTTP/2 requests alike', async () => {
    const res = await gw.h2('/orders/5', {
      headers: { authorization: `Bearer ${token}`, traceparent: TRACEPARENT },
    });
    assert.equal(res.status, 200);
    const { server, clients } = await spansOf(res.headers['x-request-id']);
    assert.equal(server.attributes['network.protocol.version'], '2');
    assert.equal(server.parentSpanContext?.spanId, CLIENT_SPAN);
    assert.equal(clients.length, 1);
  });

  it("traces the identity mount: its span is named after identity's endpoint, identity gets the CLIENT span", async () => {
    const res = await gw.call('/auth/token?client_id=shop-cli', {
      method: 'POST',
      headers: {
        traceparent: TRACEPARENT,
        authorization: 'Basic c2hvcC1jbGk6czNjcjN0',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(res.status, 200);
    const { server, clients } = await spansOf(res.headers['x-request-id']);
    assert.equal(server.name, 'POST /auth token');
    assert.equal(server.parentSpanContext?.spanId, CLIENT_SPAN);
    assert.equal(clients.length, 1);
    const [client] = clients;
    assert.ok(client);
    assert.equal(client.attributes['rampart.upstream'], 'rampart:identity');
    const sent = parseTraceparent(gw.identity.received.at(-1)?.headers['traceparent']);
    assert.equal(sent?.traceId, CLIENT_TRACE);
    assert.equal(sent.spanId, client.spanContext().spanId);
    for (const span of [server, client]) {
      const text = textOf(span);
      assert.ok(!text.includes('/auth/token') && !text.includes('client_id'), text);
      assert.ok(!text.includes('c2hvcC1jbGk6czNjcjN0'), text);
    }
  });
});
