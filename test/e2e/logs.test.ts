import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { cliMain, startShop, type RunningShop } from '@rampart/testing';

const run = promisify(execFile);

describe('rampart logs --trace: one request across the gateway and the services', () => {
  let shop: RunningShop;
  let agent: Agent;
  let token: string;

  before(async () => {
    shop = await startShop();
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    const secret = readFileSync(join(shop.home, 'clients/shop-cli.secret'), 'utf8').trim();
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}/auth/token`, {
      dispatcher: agent,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`shop-cli:${secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
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
  });

  async function post(path: string, traceparent: string, payload: unknown): Promise<Record<string, unknown>> {
    const answer = await request(`https://127.0.0.1:${shop.ports.gateway}${path}`, {
      dispatcher: agent,
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', traceparent },
      body: JSON.stringify(payload),
    });
    const body = (await answer.body.json()) as Record<string, unknown>;
    assert.ok(answer.statusCode < 300, `${path}: ${answer.statusCode} ${JSON.stringify(body)}`);
    return body;
  }

  /** `rampart logs <config> --trace <id> --json`, parsed, once every component named has a line. */
  async function traceLines(
    traceId: string,
    components: readonly string[],
  ): Promise<Record<string, unknown>[]> {
    let lines: Record<string, unknown>[] = [];
    for (let attempt = 0; attempt < 50; attempt += 1) {
      const { stdout } = await run(process.execPath, [
        cliMain,
        'logs',
        join(shop.dir, 'rampart.yaml'),
        '--trace',
        traceId,
        '--json',
      ]);
      lines = stdout
        .split('\n')
        .filter((text) => text.length > 0)
        .map((text) => JSON.parse(text) as Record<string, unknown>);
      if (
        components.every((name) => lines.some((line) => line['name'] === name && line['msg'] === 'request'))
      )
        return lines;
      // The components' lines reach their files through rampart up's pipes: a moment later.
      await sleep(200);
    }
    return lines;
  }

  it("joins the gateway's, the orders service's and the payments service's lines of one trace, by time", async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const order = await post('/orders', traceparent, { items: [{ sku: 'TEA-GREEN', quantity: 1 }] });
    assert.equal(typeof order['id'], 'string');
    await post(`/orders/${String(order['id'])}/payment`, traceparent, {
      cardNumber: '4242424242424242',
      expiry: '12/30',
    });

    const lines = await traceLines(traceId, ['gateway', 'orders', 'payments']);
    assert.ok(lines.length > 0, 'lines of the trace');
    for (const line of lines) {
      assert.equal(line['traceId'], traceId);
      assert.match(String(line['spanId']), /^[0-9a-f]{16}$/);
    }
    const byComponent = (name: string): Record<string, unknown>[] =>
      lines.filter((line) => line['name'] === name);
    assert.deepEqual(
      byComponent('gateway').map((line) => line['msg']),
      ['request', 'request'],
      "the gateway's access line of each request",
    );
    assert.ok(
      byComponent('orders').some((line) => line['msg'] === 'order created'),
      "the orders service's own line from its handler",
    );
    assert.ok(byComponent('orders').some((line) => line['msg'] === 'order paid'));
    assert.ok(byComponent('payments').some((line) => line['msg'] === 'payment recorded'));
    // One span per hop: the gateway's, the orders service's and the payments service's differ.
    const spans = new Set(lines.filter((line) => line['msg'] === 'request').map((line) => line['spanId']));
    assert.equal(
      spans.size,
      byComponent('gateway').length +
        byComponent('orders').filter((l) => l['msg'] === 'request').length +
        byComponent('payments').filter((l) => l['msg'] === 'request').length,
    );
    const times = lines.map((line) => Number(line['time']));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'ordered by time',
    );
    // The card number never reaches a log, the trace's lines included.
    assert.ok(!JSON.stringify(lines).includes('4242424242424242'));

    const other = await run(process.execPath, [
      cliMain,
      'logs',
      join(shop.dir, 'rampart.yaml'),
      'gateway',
      '--trace',
      traceId,
    ]);
    assert.match(other.stdout, /gateway INFO {2}request /, 'the readable form');
    assert.ok(!other.stdout.includes(' orders '), 'only the components asked for');
  });
});
