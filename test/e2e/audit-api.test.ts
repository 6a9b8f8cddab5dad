import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { childPids, startShop, type RunningShop } from '@rampart/testing';
import { adminAccess, type AdminAccess } from '@rampart/identity/testing';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): Record<string, unknown>;
}

type Event = Record<string, unknown> & { seq: number };

/**
 * The audit service's admin query API as the console uses it: through the gateway's `/audit`
 * mount, with the admin token identity's admin API accepts — real gateway, identity and audit
 * service under `rampart up`.
 */
describe('the audit API through the gateway', () => {
  let shop: RunningShop;
  let agent: Agent;
  let admin: AdminAccess;
  let base: string;

  before(async () => {
    shop = await startShop();
    agent = new Agent({ connect: { ca: readFileSync(join(shop.home, 'ca.pem'), 'utf8') } });
    admin = await adminAccess(shop);
    base = `https://127.0.0.1:${shop.ports.gateway}`;
  });
  after(async () => {
    await agent.close();
    await shop.stop();
  });

  async function call(
    path: string,
    options: {
      token?: string | null;
      method?: string;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Answer> {
    const token = options.token === undefined ? admin.token : options.token;
    const res = await request(`${base}${path}`, {
      dispatcher: agent,
      method: (options.method ?? 'GET') as 'GET',
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers,
      text,
      json: () => JSON.parse(text) as Record<string, unknown>,
    };
  }

  async function events(query: string): Promise<Event[]> {
    const answer = await call(`/audit/v1/events?${query}`);
    assert.equal(answer.status, 200, answer.text);
    return answer.json()['events'] as Event[];
  }

  /** The events matching `query` once `predicate` holds for them (shipping takes a moment). */
  async function eventually(query: string, predicate: (found: Event[]) => boolean): Promise<Event[]> {
    const deadline = Date.now() + 10_000;
    let found = await events(query);
    while (!predicate(found) && Date.now() < deadline) {
      await sleep(100);
      found = await events(query);
    }
    return found;
  }

  async function userIdOf(username: string): Promise<string> {
    const list = await call('/auth/admin/users?limit=100');
    assert.equal(list.status, 200, list.text);
    const found = (list.json()['items'] as { id: string; username: string }[]).find(
      (u) => u.username === username,
    );
    assert.ok(found, username);
    return found.id;
  }

  it('an admin with MFA searches the trail: events newest first with their seq, paged by an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) {
      const denied = await request(`${base}/orders`, { dispatcher: agent });
      assert.equal(denied.statusCode, 401);
      await denied.body.dump();
    }
    // All three stored before paging: a page of 2 read while the third is still on its way would
    // not be the page the cursor then continues from.
    await eventually('event=request.denied&service=gateway&limit=3', (list) => list.length === 3);
    const found = await events('event=request.denied&service=gateway&limit=2');
    assert.equal(found.length, 2);
    const [first, second] = found;
    assert.ok(first !== undefined && second !== undefined);
    assert.ok(first.seq > second.seq, 'newest first');
    assert.equal(first['event'], 'request.denied');
    assert.equal(first['sourceIp'], '127.0.0.1');
    const page = await call('/audit/v1/events?event=request.denied&service=gateway&limit=2');
    const next = page.json()['next'];
    assert.equal(typeof next, 'string');
    const older = await events(`event=request.denied&service=gateway&limit=2&cursor=${String(next)}`);
    assert.ok(older.every((event) => event.seq < second.seq));
    assert.equal(page.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(
      page.headers['strict-transport-security'] !== undefined,
      true,
      'the gateway adds its headers',
    );
  });

  it('a search leaves an audit.read event naming the admin (pseudonymous), the client and the address', async () => {
    const marker = await call('/audit/v1/events?event=token.issued&limit=1');
    assert.equal(marker.status, 200);
    const requestId = marker.headers['x-request-id'];
    const reads = await eventually('event=audit.read&limit=50', (list) =>
      list.some((event) => event['requestId'] === requestId),
    );
    const read = reads.find((event) => event['requestId'] === requestId);
    assert.ok(read, 'the read is in the trail under the gateway request id');
    assert.equal(read['reason'], 'events_searched');
    assert.equal(read['outcome'], 'success');
    assert.match(String(read['subject']), /^ps_[A-Za-z0-9_-]{22}$/);
    assert.equal(read['clientId'], 'rampart-cli');
    assert.equal(read['sourceIp'], '127.0.0.1');
    assert.equal(read['service'], 'audit');
    assert.equal(read['route'], 'GET /audit/v1/events');
    assert.ok(!JSON.stringify(read).includes(admin.adminId), 'never the user id');
  });

  it('refuses every token that is not an admin token now, with a challenge, and records each refusal', async () => {
    const bob = await userIdOf('bob');
    const cases: [name: string, token: string | null, status: number, code: string, deny: string][] = [
      ['no token', null, 401, 'AUDIT_TOKEN_MISSING', 'missing_token'],
      ['not a JWS', 'not-a-token', 401, 'AUDIT_TOKEN_INVALID', 'malformed_token'],
      [
        'no MFA',
        (await adminAccess(shop, { amr: ['pwd'] })).token,
        403,
        'AUDIT_MFA_REQUIRED',
        'mfa_required',
      ],
      [
        'another audience',
        (await adminAccess(shop, { audience: base })).token,
        401,
        'AUDIT_TOKEN_INVALID',
        'wrong_audience',
      ],
      [
        'no admin scope',
        (await adminAccess(shop, { scope: 'orders:read' })).token,
        403,
        'AUDIT_INSUFFICIENT_SCOPE',
        'insufficient_scope',
      ],
      [
        'a user who is no admin',
        (await adminAccess(shop, { subject: bob })).token,
        403,
        'AUDIT_ACCESS_DENIED',
        'not_admin',
      ],
      [
        'not an admin client',
        (await adminAccess(shop, { clientId: 'shop-web' })).token,
        401,
        'AUDIT_TOKEN_INVALID',
        'not_admin_client',
      ],
    ];
    const refused: string[] = [];
    for (const [name, token, status, code, deny] of cases) {
      const answer = await call('/audit/v1/events', { token });
      assert.equal(answer.status, status, `${name}: ${answer.text}`);
      assert.match(String(answer.headers['content-type']), /^application\/problem\+json/u, name);
      const problem = answer.json();
      assert.equal(problem['code'], code, name);
      assert.deepEqual(Object.keys(problem).sort(), ['code', 'requestId', 'status', 'title', 'type'], name);
      assert.match(String(answer.headers['www-authenticate']), /^Bearer realm="rampart-audit"/u, name);
      refused.push(`${String(problem['requestId'])} ${deny}`);
    }
    const denials = await eventually('event=audit.denied&limit=100', (list) =>
      refused.every((entry) =>
        list.some((event) => `${String(event['requestId'])} ${String(event['reason'])}` === entry),
      ),
    );
    for (const entry of refused) {
      assert.ok(
        denials.some((event) => `${String(event['requestId'])} ${String(event['reason'])}` === entry),
        `no audit.denied for ${entry}`,
      );
    }
    const notAdmin = denials.find((event) => event['reason'] === 'not_admin');
    assert.match(String(notAdmin?.['subject']), /^ps_/u, 'the refused subject, pseudonymous');
  });

  it('a disabled admin is refused within 10 s of being disabled; a role change is a stored alert that survives a restart', async () => {
    const created = await call('/auth/admin/users', {
      method: 'POST',
      // rampart-ignore secrets/generic-secret the password of an account this test creates in a throwaway identity store
      body: { username: `auditor${Date.now() % 100000}`, password: 'Correct-Horse-Battery-9-Staple' },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json()['user'] as { id: string }).id;
    const granted = await call(`/auth/admin/users/${id}`, { method: 'PATCH', body: { roles: ['admin'] } });
    assert.equal(granted.status, 200, granted.text);
    const second = await adminAccess(shop, { subject: id });
    assert.equal((await call('/audit/v1/verify', { token: second.token })).status, 200);
    const disabled = await call(`/auth/admin/users/${id}`, { method: 'PATCH', body: { disabled: true } });
    assert.equal(disabled.status, 200, disabled.text);
    await sleep(10_500); // the audit service reuses identity's verdict on one token for ≤ 10 s
    const refused = await call('/audit/v1/verify', { token: second.token });
    assert.equal(refused.status, 403, refused.text);
    assert.equal(refused.json()['code'], 'AUDIT_ACCESS_DENIED');

    // The role change fired admin-role-changed: stored, listed with its evidence.
    const deadline = Date.now() + 10_000;
    let alerts: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      alerts = (await call('/audit/v1/alerts?limit=50')).json()['alerts'] as Record<string, unknown>[];
      if (alerts.some((alert) => alert['rule'] === 'admin-role-changed')) break;
      await sleep(200);
    }
    const alert = alerts.find((one) => one['rule'] === 'admin-role-changed');
    assert.ok(alert, JSON.stringify(alerts));
    assert.equal(typeof alert['seq'], 'number');
    // Its evidence names the admin.user_updated event in the trail, by seq and id.
    const [evidence] = alert['evidence'] as { seq: number; id: string }[];
    assert.ok(evidence);
    const updates = await events('event=admin.user_updated&limit=50');
    const cause = updates.find((event) => event.seq === evidence.seq);
    assert.ok(cause, 'the evidence is in the trail');
    assert.equal(cause['id'], evidence.id);
    assert.equal(cause['reason'], 'roles_changed');

    const auditPid = childPids(shop.up.child.pid ?? 0).find((pid) =>
      readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('services/audit/src/main.ts'),
    );
    assert.ok(auditPid, 'no audit service under rampart up');
    const from = shop.up.output.length;
    process.kill(auditPid, 'SIGKILL');
    await shop.up.waitFor(/audit .*restarted and ready/, 60_000, from);
    const again = (await call('/audit/v1/alerts?limit=50')).json()['alerts'] as Record<string, unknown>[];
    assert.ok(
      again.some((one) => one['id'] === alert['id'] && one['seq'] === alert['seq']),
      'the alert survived the restart',
    );
  });

  it('the live feed (server-sent events) delivers a fresh denial through the gateway within 1 s', async () => {
    const controller = new AbortController();
    const stream = await request(`${base}/audit/v1/events/stream?event=request.denied`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${admin.token}` },
      signal: controller.signal,
    });
    try {
      assert.equal(stream.statusCode, 200);
      assert.equal(stream.headers['content-type'], 'text/event-stream; charset=utf-8');
      let buffer = '';
      const arrivals = new Map<string, number>();
      const reading = (async () => {
        for await (const chunk of stream.body) {
          buffer += (chunk as Buffer).toString('utf8');
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const message = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = /^data: (.*)$/mu.exec(message)?.[1];
            const id = /^id: (\d+)$/mu.exec(message)?.[1];
            if (data === undefined) continue;
            const event = JSON.parse(data) as Event;
            assert.equal(String(event.seq), id);
            assert.match(message, /^event: audit$/mu);
            arrivals.set(String(event['requestId']), Date.now());
          }
        }
      })().catch(() => undefined);
      await sleep(300); // the stream is open
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        const denied = await request(`${base}/orders`, { dispatcher: agent });
        const sent = Date.now();
        const requestId = String(denied.headers['x-request-id']);
        await denied.body.dump();
        while (!arrivals.has(requestId) && Date.now() - sent < 3_000) await sleep(10);
        const at = arrivals.get(requestId);
        assert.ok(at !== undefined, `denial ${requestId} never reached the feed`);
        delays.push(at - sent);
      }
      assert.ok(Math.max(...delays) < 1_000, `denial → feed delays ${delays.join(', ')} ms`);
      controller.abort();
      await reading;
    } finally {
      controller.abort();
    }
  });

  it('exports JSON lines and an OTLP/JSON ExportLogsServiceRequest', async () => {
    const lines = await call('/audit/v1/export?format=jsonl&service=gateway&limit=5');
    assert.equal(lines.status, 200, lines.text);
    assert.equal(lines.headers['content-type'], 'application/jsonl; charset=utf-8');
    const rows = lines.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event);
    assert.equal(rows.length, 5);
    for (const row of rows) {
      assert.equal(row['service'], 'gateway');
      assert.equal(typeof row.seq, 'number');
    }
    assert.equal(typeof lines.headers['audit-next-cursor'], 'string');

    const otlp = await call('/audit/v1/export?format=otlp&limit=20');
    assert.equal(otlp.status, 200, otlp.text);
    const body = otlp.json() as {
      resourceLogs: {
        resource: { attributes: { key: string; value: { stringValue: string } }[] };
        scopeLogs: {
          logRecords: {
            timeUnixNano: string;
            severityText: string;
            body: { stringValue: string };
            attributes: { key: string }[];
          }[];
        }[];
      }[];
    };
    assert.ok(body.resourceLogs.length >= 1);
    for (const resource of body.resourceLogs) {
      const name = resource.resource.attributes.find((a) => a.key === 'service.name');
      assert.ok(name !== undefined && /^[a-z][a-z0-9-]*$/u.test(name.value.stringValue));
      for (const record of resource.scopeLogs.flatMap((scope) => scope.logRecords)) {
        assert.match(record.timeUnixNano, /^\d{19}$/u);
        assert.ok(['INFO', 'WARN'].includes(record.severityText));
        assert.match(record.body.stringValue, /^[a-z_]+\.[a-z_]+$/u);
        assert.ok(record.attributes.some((a) => a.key === 'rampart.seq'));
      }
    }
  });

  it('verify, topology, a bad filter named, and no write through the mount', async () => {
    const verified = await call('/audit/v1/verify');
    assert.equal(verified.status, 200, verified.text);
    const result = verified.json();
    assert.equal(result['ok'], true);
    assert.ok(Number(result['events']) > 0);

    const topology = await call('/audit/v1/topology');
    assert.equal(topology.status, 200);
    const services = topology.json()['services'] as {
      name: string;
      callers: string[];
      routes: { method: string; path: string }[];
    }[];
    assert.deepEqual(services.find((s) => s.name === 'payments')?.callers, ['orders']);
    assert.ok(services.find((s) => s.name === 'orders')?.routes.some((r) => r.path === '/orders/{id}'));
    assert.doesNotMatch(topology.text, /secret|sqlite|postgres|entry/iu);

    const bad = await call('/audit/v1/events?subject=alice');
    assert.equal(bad.status, 400);
    assert.equal(bad.json()['code'], 'AUDIT_BAD_QUERY');
    assert.equal(bad.json()['field'], 'subject');
    assert.equal((await call('/audit/v1/events?limit=501')).json()['field'], 'limit');
    assert.equal((await call('/audit/v1/events?colour=red')).json()['field'], 'colour');

    const post = await call('/audit/v1/events', { method: 'POST', body: {} });
    assert.equal(post.status, 405);
    assert.equal(post.headers['allow'], 'GET, HEAD');
  });

  it('generated hostile query strings never give a 500, and the service stays up', async () => {
    const names = [
      'from',
      'to',
      'event',
      'outcome',
      'subject',
      'clientId',
      'sourceIp',
      'route',
      'traceId',
      'requestId',
      'service',
      'limit',
      'cursor',
      'after',
      'format',
    ];
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom(
        '',
        '0',
        '-1',
        '1e3',
        '9007199254740993',
        'NaN',
        '2026-13-45',
        '::1',
        '%00',
        '%ff%fe',
        'token.',
        '..',
        "' OR 1=1 --",
        'djEuMA',
      ),
    );
    const pair = fc.tuple(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 })), value);
    const paths = [
      '/audit/v1/events',
      '/audit/v1/events/stream',
      '/audit/v1/export',
      '/audit/v1/alerts',
      '/audit/v1/nope',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.array(pair, { maxLength: 6 }), async (path, pairs) => {
        const query = pairs
          .map(([name, v]) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`)
          .join('&');
        const controller = new AbortController();
        const res = await request(`${base}${path}?${query}`, {
          dispatcher: agent,
          headers: { authorization: `Bearer ${admin.token}` },
          signal: controller.signal,
        });
        controller.abort(); // a stream that opened is closed at once
        await res.body.dump().catch(() => undefined);
        assert.ok(res.statusCode < 500, `${path}?${query} → ${res.statusCode}`);
      }),
      { numRuns: 150 },
    );
    const alive = await call('/audit/v1/events?limit=1');
    assert.equal(alive.status, 200);
  });
});
