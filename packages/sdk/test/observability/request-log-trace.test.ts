import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseTraceparent } from '@rampart/sdk';
import { bearer, startWidgets, type Harness } from '../service-harness.ts';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

type Line = Record<string, unknown>;

describe("a service's request log lines carry the request's trace and span ids", () => {
  let h: Harness;
  before(async () => {
    h = await startWidgets();
  });
  after(() => h.close());

  /** The lines a request logged, by the request id the service answered with. */
  function linesOf(requestId: unknown): Line[] {
    assert.equal(typeof requestId, 'string');
    return h.logs.map((line) => JSON.parse(line) as Line).filter((line) => line['reqId'] === requestId);
  }

  function assertOneSpan(lines: readonly Line[], messages: readonly string[], traceId?: string): string {
    assert.deepEqual(
      lines.map((line) => line['msg']),
      messages,
    );
    const spanId = lines[0]?.['spanId'];
    assert.equal(typeof spanId, 'string');
    assert.match(String(spanId), /^[0-9a-f]{16}$/);
    assert.notEqual(spanId, CLIENT_SPAN, "the service's own span, never the caller's");
    for (const line of lines) {
      if (traceId === undefined) assert.match(String(line['traceId']), /^[0-9a-f]{32}$/);
      else assert.equal(line['traceId'], traceId, String(line['msg']));
      assert.equal(line['traceId'], lines[0]?.['traceId'], 'one trace');
      assert.equal(line['spanId'], spanId, String(line['msg']));
    }
    return String(spanId);
  }

  it('the access line of an allowed request, in the caller’s trace', async () => {
    const res = await h.svc.inject({
      method: 'GET',
      url: '/widgets',
      headers: {
        ...bearer(await h.fixture.token({ sub: 'alice', scope: 'widgets:read' })),
        traceparent: TRACEPARENT,
      },
    });
    assert.equal(res.statusCode, 200);
    assertOneSpan(linesOf(res.headers['x-request-id']), ['request'], CLIENT_TRACE);
  });

  it('a request refused by authentication: its denial, its rejection and its access line, and the event', async () => {
    const res = await h.svc.inject({ method: 'GET', url: '/widgets', headers: { traceparent: TRACEPARENT } });
    assert.equal(res.statusCode, 401);
    const lines = linesOf(res.headers['x-request-id']);
    assertOneSpan(lines, ['request denied', 'request rejected', 'request'], CLIENT_TRACE);
    const event = h.logs
      .map((line) => JSON.parse(line) as Line)
      .map((line) => line['securityEvent'] as Line | undefined)
      .find((fields) => fields?.['requestId'] === res.headers['x-request-id']);
    assert.equal(event?.['traceId'], CLIENT_TRACE, 'the security event of a refusal has the trace id');
  });

  it('a handler that fails: `request failed` and the access line', async () => {
    const res = await h.svc.inject({
      method: 'GET',
      url: '/boom',
      headers: { ...bearer(await h.fixture.token({ sub: 'alice' })), traceparent: TRACEPARENT },
    });
    assert.equal(res.statusCode, 500);
    assertOneSpan(linesOf(res.headers['x-request-id']), ['request failed', 'request'], CLIENT_TRACE);
  });

  it('a request without a traceparent, or a malformed one, starts a trace of its own', async () => {
    for (const traceparent of [undefined, `00-${CLIENT_TRACE.toUpperCase()}-${CLIENT_SPAN}-01`]) {
      const res = await h.svc.inject({
        method: 'GET',
        url: '/nowhere',
        headers: traceparent === undefined ? {} : { traceparent },
      });
      const lines = linesOf(res.headers['x-request-id']);
      assertOneSpan(
        lines,
        lines.map((line) => String(line['msg'])),
      );
      assert.notEqual(lines[0]?.['traceId'], CLIENT_TRACE);
      assert.equal(
        parseTraceparent(`00-${String(lines[0]?.['traceId'])}-${String(lines[0]?.['spanId'])}-00`)?.isRemote,
        true,
      );
    }
  });
});
