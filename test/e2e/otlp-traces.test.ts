import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import {
  cliMain,
  SHOP_TRUST_DOMAIN,
  startOtlpReceiver,
  startShop,
  type OtlpReceiver,
  type ReceivedSpan,
  type RunningShop,
} from '@rampart/testing';

const run = promisify(execFile);
const SERVER = 2;
const CLIENT = 3;
const COLLECTOR_CREDENTIAL = `Bearer ${randomBytes(12).toString('hex')}`;

function traceparent(): { traceId: string; spanId: string; header: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

describe('OTLP trace export: the shop under rampart up, into a real OTLP/HTTP receiver', () => {
  let receiver: OtlpReceiver;
  let shop: RunningShop;
  let agent: Agent;
  let token: string;
  const tokenTrace = traceparent();

  before(async () => {
    receiver = await startOtlpReceiver();
    shop = await startShop({
      edit: (yaml) =>
        `${yaml}\ntelemetry:\n  traces:\n    endpoint: ${receiver.url}\n    headers:\n      authorization: \${env:E2E_OTLP_AUTHORIZATION}\n`,
      env: { E2E_OTLP_AUTHORIZATION: COLLECTOR_CREDENTIAL },
    });
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}/auth/token`, {
      dispatcher: agent,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`shop-cli:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        traceparent: tokenTrace.header,
      },
      body: 'grant_type=client_credentials&scope=orders%3Aread%20orders%3Awrite',
    });
    const body = (await answer.body.json()) as { access_token?: string };
    assert.equal(answer.statusCode, 200, JSON.stringify(body));
    assert.ok(body.access_token);
    token = body.access_token;
  });
  after(async () => {
    await agent.close();
    await shop.stop();
    await receiver.close();
  });

  async function call(
    method: 'GET' | 'POST',
    path: string,
    trace: string | undefined,
    payload?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(trace === undefined ? {} : { traceparent: trace }),
      },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: answer.statusCode, body: (await answer.body.json()) as Record<string, unknown> };
  }

  /** The spans of one trace, once `ready` holds (components send a batch about every second). */
  async function spansOf(
    traceId: string,
    ready: (spans: readonly ReceivedSpan[]) => boolean,
  ): Promise<ReceivedSpan[]> {
    let spans: ReceivedSpan[] = [];
    for (let attempt = 0; attempt < 100; attempt += 1) {
      spans = receiver.spans().filter((span) => span.traceId === traceId);
      if (ready(spans)) return spans;
      await sleep(100);
    }
    assert.fail(
      `the trace's spans did not all arrive: ${JSON.stringify(spans.map((s) => [s.service, s.name]))}`,
    );
  }

  it('receives one trace across the gateway, orders and payments, with parent/child links', async () => {
    const client = traceparent();
    const created = await call('POST', '/orders', client.header, {
      items: [{ sku: 'TEA-GREEN', quantity: 1 }],
    });
    assert.ok(created.status < 300, JSON.stringify(created.body));
    const orderId = String(created.body['id']);
    const paid = await call('POST', `/orders/${orderId}/payment`, client.header, {
      cardNumber: '4242424242424242',
      expiry: '12/30',
    });
    assert.ok(paid.status < 300, JSON.stringify(paid.body));

    const spans = await spansOf(
      client.traceId,
      (all) =>
        ['gateway', 'orders', 'payments'].every((service) =>
          all.some((s) => s.service === service && s.kind === SERVER),
        ) && all.filter((s) => s.service === 'gateway' && s.kind === SERVER).length === 2,
    );
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const gatewayServers = spans.filter((s) => s.service === 'gateway' && s.kind === SERVER);
    for (const server of gatewayServers) {
      assert.equal(server.parentSpanId, client.spanId, "the gateway's span is a child of the client's");
      assert.match(server.name, /^POST \/orders(\/\{id\}\/payment)?$/, 'named after the route template');
    }
    const payment = gatewayServers.find((s) => s.name === 'POST /orders/{id}/payment');
    assert.ok(payment, JSON.stringify(gatewayServers.map((s) => s.name)));
    const forward = spans.find(
      (s) => s.service === 'gateway' && s.kind === CLIENT && s.parentSpanId === payment.spanId,
    );
    assert.ok(forward, "the gateway's upstream call is a CLIENT span under its SERVER span");
    assert.equal(forward.attributes['rampart.upstream'], 'orders');
    const orders = spans.find(
      (s) => s.service === 'orders' && s.kind === SERVER && s.parentSpanId === forward.spanId,
    );
    assert.ok(orders, "the orders service's span is a child of the gateway's call");
    const payments = spans.find((s) => s.service === 'payments' && s.kind === SERVER);
    assert.ok(payments);
    assert.equal(
      payments.parentSpanId,
      orders.spanId,
      "payments' span is a child of the orders span that called it",
    );
    for (const span of spans) {
      // Every span's parent is in the trace, or is the client's own span.
      assert.ok(
        span.parentSpanId === client.spanId || byId.has(span.parentSpanId ?? ''),
        `${span.service} ${span.name}`,
      );
      assert.equal(span.resource['rampart.trust_domain'], SHOP_TRUST_DOMAIN);
      assert.equal(span.resource['service.namespace'], 'shop');
    }
    assert.match(String(gatewayServers[0]?.resource['service.version']), /^\d+\.\d+\.\d+/);

    // What the collector saw carries no token, no card number and no order id from a path.
    const seen = JSON.stringify(receiver.spans());
    for (const secret of [token, '4242424242424242', orderId]) assert.ok(!seen.includes(secret));
    // The collector's credential, resolved by rampart up from ${env:…}, on every export.
    assert.ok(receiver.requests().length > 0);
    for (const headers of receiver.requests()) assert.equal(headers['authorization'], COLLECTOR_CREDENTIAL);
  });

  it("joins identity to the gateway's trace: its span is the gateway's call's child and its log lines carry the trace id", async () => {
    const spans = await spansOf(tokenTrace.traceId, (all) => all.some((s) => s.service === 'identity'));
    const gateway = spans.find((s) => s.service === 'gateway' && s.kind === SERVER);
    const forward = spans.find((s) => s.service === 'gateway' && s.kind === CLIENT);
    const identity = spans.find((s) => s.service === 'identity' && s.kind === SERVER);
    assert.ok(gateway && forward && identity, JSON.stringify(spans.map((s) => [s.service, s.kind, s.name])));
    assert.equal(forward.parentSpanId, gateway.spanId);
    assert.equal(identity.parentSpanId, forward.spanId);
    assert.equal(identity.name, 'POST token', "named after identity's endpoint, never the path");

    let lines: Record<string, unknown>[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const { stdout } = await run(process.execPath, [
        cliMain,
        'logs',
        join(shop.dir, 'rampart.yaml'),
        '--trace',
        tokenTrace.traceId,
        '--json',
      ]);
      lines = stdout
        .split('\n')
        .filter((text) => text.length > 0)
        .map((text) => JSON.parse(text) as Record<string, unknown>);
      if (lines.some((line) => line['name'] === 'identity' && line['msg'] === 'request')) break;
      await sleep(200);
    }
    const identityLines = lines.filter((line) => line['name'] === 'identity');
    const access = identityLines.find((line) => line['msg'] === 'request');
    assert.ok(access, `identity's access line: ${JSON.stringify(lines)}`);
    assert.equal(access['traceId'], tokenTrace.traceId, "identity's line carries the gateway's trace id");
    assert.equal(access['spanId'], identity.spanId, 'and its own span id');
    assert.equal(access['route'], 'token');
    assert.equal(access['status'], 200);
    // The token it issued was a security event, logged inside the request: same trace.
    const issued = identityLines.find((line) => line['securityEvent'] !== undefined);
    assert.ok(issued, 'a security event of identity in the trace');
    assert.equal((issued['securityEvent'] as Record<string, unknown>)['traceId'], tokenTrace.traceId);
    assert.ok(lines.some((line) => line['name'] === 'gateway' && line['msg'] === 'request'));
    assert.ok(!JSON.stringify(lines).includes(token), 'the token is in no line');
  });

  it('keeps answering while the collector hangs or is down, and counts what it could not send', async () => {
    const orderId = String(
      (await call('POST', '/orders', undefined, { items: [{ sku: 'TEA-GREEN', quantity: 1 }] })).body['id'],
    );
    for (const mode of ['hang', 'down'] as const) {
      if (mode === 'hang') receiver.setMode('hang');
      else await receiver.close();
      for (let index = 0; index < 15; index += 1) {
        const started = performance.now();
        const answer = await call('GET', `/orders/${orderId}`, traceparent().header);
        assert.equal(answer.status, 200, `${mode}: ${JSON.stringify(answer.body)}`);
        // No request waits for an export: one would take the exporter's whole timeout (10 s).
        assert.ok(performance.now() - started < 10_000, `${mode}: request ${index} waited for the collector`);
      }
      // Let a batch be sent (and hang or fail) between the phases.
      await sleep(1_500);
    }
    const metrics = await request(`http://127.0.0.1:${shop.ports.admin}/metrics`);
    const text = await metrics.body.text();
    assert.match(
      text,
      /trace_spans_exported_total\{service="gateway"\} [1-9]/,
      'the gateway counts its exported spans',
    );
    assert.match(text, /trace_spans_dropped_total/);
  });
});
