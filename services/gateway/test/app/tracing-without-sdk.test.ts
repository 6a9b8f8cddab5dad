import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTraceparent } from '@rampart/sdk';
import type { Echo } from '../forward/mesh-fixture.ts';
import { startGatewayFixture, type FixturePorts, type GatewayFixture } from './gateway-fixture.ts';
import { yamlHead } from '@rampart/testing';

// No OpenTelemetry SDK is registered in this process: the gateway's tracer is the API's no-op.
// (tracing.test.ts registers one, in a process of its own.)

const shop = (ports: FixturePorts): string =>
  `${yamlHead(ports)}
policies:
  anyone: { public: true }
services:
  orders:
    entry: orders.ts
    port: ${ports.services['orders']}
    callers: [gateway]
    routes:
      - method: GET
        path: /orders/{id}
        policy: anyone
`;

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

describe('W3C trace context without an OpenTelemetry SDK', () => {
  let gw: GatewayFixture;

  before(async () => {
    gw = await startGatewayFixture({ services: ['orders'], yaml: shop });
  });
  after(async () => {
    await gw.close();
  });

  const sentUpstream = async (headers: Record<string, string>) => {
    const res = await gw.call('/orders/1', { headers });
    assert.equal(res.status, 200);
    const echo = res.json() as unknown as Echo;
    const sent = parseTraceparent(echo.headers['traceparent']);
    assert.ok(sent, 'the service received a valid traceparent');
    const access = gw.logs.find(
      (line) => line['msg'] === 'request' && line['requestId'] === res.headers['x-request-id'],
    );
    return { sent, tracestate: echo.headers['tracestate'], loggedTraceId: access?.['traceId'] };
  };

  it("keeps the client's trace id with a span id of the gateway's own, fresh for every request", async () => {
    const headers = { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' };
    const first = await sentUpstream(headers);
    const second = await sentUpstream(headers);
    for (const { sent, tracestate, loggedTraceId } of [first, second]) {
      assert.equal(sent.traceId, CLIENT_TRACE);
      assert.notEqual(sent.spanId, CLIENT_SPAN, "never the client's span");
      assert.equal(sent.traceFlags, 1, "the client's flags");
      assert.equal(tracestate, 'vendor=abc');
      assert.equal(loggedTraceId, CLIENT_TRACE);
    }
    assert.notEqual(first.sent.spanId, second.sent.spanId);
  });

  it('starts a trace when the client sent none (or a malformed one), unsampled, and logs its id', async () => {
    for (const headers of [{}, { traceparent: `00-${CLIENT_TRACE}-${'0'.repeat(16)}-01` }]) {
      const { sent, loggedTraceId } = await sentUpstream(headers);
      assert.notEqual(sent.traceId, CLIENT_TRACE);
      assert.equal(sent.traceFlags, 0, 'a gateway that records nothing does not claim it sampled');
      assert.equal(loggedTraceId, sent.traceId);
    }
  });
});
