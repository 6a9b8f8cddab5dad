import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { fastify, type FastifyInstance } from 'fastify';
import {
  createTracer,
  extractTraceContext,
  formatTraceparent,
  injectTraceContext,
  parseTraceparent,
  parseTraceState,
  registerHttpTracing,
} from '../../src/observability/index.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const VALID = `00-${TRACE_ID}-${SPAN_ID}-01`;

describe('parseTraceparent (W3C Trace Context, version 00)', () => {
  it('accepts a valid header', () => {
    assert.deepEqual(parseTraceparent(VALID), {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-00`)?.traceFlags, 0);
    assert.equal(parseTraceparent([VALID])?.traceId, TRACE_ID);
  });

  const invalid: [name: string, value: string | string[] | undefined][] = [
    ['absent', undefined],
    ['empty', ''],
    ['version 01', `01-${TRACE_ID}-${SPAN_ID}-01`],
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['trace id too short', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['trace id too long', `00-${TRACE_ID}0-${SPAN_ID}-01`],
    ['parent id too short', `00-${TRACE_ID}-${SPAN_ID.slice(1)}-01`],
    ['parent id too long', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['flags one digit', `00-${TRACE_ID}-${SPAN_ID}-1`],
    ['flags three digits', `00-${TRACE_ID}-${SPAN_ID}-001`],
    ['upper-case trace id', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['upper-case parent id', `00-${TRACE_ID}-${SPAN_ID.toUpperCase()}-01`],
    ['upper-case flags', `00-${TRACE_ID}-${SPAN_ID}-0A`],
    ['non-hex', `00-${TRACE_ID.replace('4', 'g')}-${SPAN_ID}-01`],
    ['trailing data', `${VALID}-extra`],
    ['leading space', ` ${VALID}`],
    ['trailing newline', `${VALID}\n`],
    ['wrong separator', VALID.replaceAll('-', '_')],
    ['two headers', [VALID, VALID]],
  ];
  for (const [name, value] of invalid) {
    it(`rejects ${name}`, () => {
      assert.equal(parseTraceparent(value), undefined);
    });
  }
});

describe('extractTraceContext and injectTraceContext', () => {
  it('round-trips traceparent and tracestate', () => {
    const ctx = extractTraceContext({ traceparent: VALID, tracestate: 'rampart=abc,other=1' });
    const headers: Record<string, string> = {};
    injectTraceContext(headers, ctx);
    assert.deepEqual(headers, { traceparent: VALID, tracestate: 'rampart=abc,other=1' });
  });

  it('gives the base context for a malformed header, and injects nothing for it', () => {
    const ctx = extractTraceContext({ traceparent: `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01` });
    assert.equal(ctx, ROOT_CONTEXT);
    const headers: Record<string, string> = {};
    injectTraceContext(headers, ctx);
    assert.deepEqual(headers, {});
  });

  it('formats flags as two lower-case hex digits', () => {
    assert.equal(
      formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0 }),
      `00-${TRACE_ID}-${SPAN_ID}-00`,
    );
  });
});

describe('createTracer and registerHttpTracing (no SDK installed)', () => {
  async function tracedApp(): Promise<FastifyInstance> {
    const tracer = createTracer('orders');
    const app = fastify();
    registerHttpTracing(app, tracer);
    app.get('/orders/:id', (request) => {
      const outgoing: Record<string, string> = {};
      tracer.inject(outgoing, tracer.contextOf(request));
      return Promise.resolve({ outgoing, traceId: tracer.traceIdOf(request) ?? null });
    });
    await app.ready();
    return app;
  }

  it("continues the caller's trace with a span id of its own", async () => {
    const app = await tracedApp();
    const response = await app.inject({ url: '/orders/1', headers: { traceparent: VALID } });
    const body = response.json<{ outgoing: { traceparent: string }; traceId: string }>();
    const child = parseTraceparent(body.outgoing.traceparent);
    assert.ok(child);
    assert.equal(child.traceId, TRACE_ID);
    assert.notEqual(child.spanId, SPAN_ID);
    assert.equal(child.traceFlags, 1);
    assert.equal(body.traceId, TRACE_ID);
    await app.close();
  });

  it('starts a new trace when the header is absent or malformed', async () => {
    const app = await tracedApp();
    for (const headers of [{}, { traceparent: `00-${'0'.repeat(32)}-${SPAN_ID}-01` }]) {
      const response = await app.inject({ url: '/orders/1', headers });
      const body = response.json<{ outgoing: { traceparent: string }; traceId: string }>();
      const child = parseTraceparent(body.outgoing.traceparent);
      assert.ok(child, 'a valid traceparent goes out');
      assert.notEqual(child.traceId, TRACE_ID);
      assert.equal(body.traceId, child.traceId);
    }
    await app.close();
  });

  it('refuses a tracer that createTracer did not make', () => {
    const app = fastify();
    const fake = { ...createTracer('orders') };
    assert.throws(() => {
      registerHttpTracing(app, fake);
    }, TypeError);
    assert.equal(trace.getSpanContext(ROOT_CONTEXT), undefined);
  });
});

describe('parseTraceState', () => {
  it('keeps valid members in order and drops empty ones', () => {
    const state = parseTraceState('rampart=abc, ,tenant@vendor=x y,other=1');
    assert.equal(state?.serialize(), 'rampart=abc,tenant@vendor=x y,other=1');
    assert.equal(state.get('other'), '1');
    assert.equal(state.set('other', '2').serialize(), 'other=2,rampart=abc,tenant@vendor=x y');
    assert.equal(state.unset('rampart').serialize(), 'tenant@vendor=x y,other=1');
  });

  const invalid = ['', 'Upper=1', 'a=', 'a=1,a=2', 'a=b=c', 'a=tab\tin', 'novalue', 'a=1,b'];
  for (const header of invalid) {
    it(`rejects ${JSON.stringify(header)}`, () => {
      assert.equal(parseTraceState(header), undefined);
    });
  }

  it('rejects more than 32 members', () => {
    const header = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',');
    assert.equal(parseTraceState(header), undefined);
  });

  it('drops an invalid tracestate but keeps the traceparent', () => {
    const headers: Record<string, string> = {};
    injectTraceContext(headers, extractTraceContext({ traceparent: VALID, tracestate: 'BAD KEY=1' }));
    assert.deepEqual(headers, { traceparent: VALID });
  });
});
