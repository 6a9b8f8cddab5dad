import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import { componentSpiffeId, serviceSpiffeId, verifyPeerSpiffeId } from '@rampart/mesh';
import { cliMain, SHOP_TRUST_DOMAIN, startShop, type RunningShop } from '@rampart/testing';
import { adminAccess, type AdminAccess } from '@rampart/identity/testing';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): Record<string, unknown>;
}

type Event = Record<string, unknown> & { seq: number };

const PSEUDONYM = /^ps_[A-Za-z0-9_-]{22}$/u;

/**
 * Re-identification through the gateway's `/audit` mount under `rampart up` (real gateway, identity
 * and audit service): an admin with MFA asks who a pseudonym is and searches a user's events; each
 * lookup is in the trail before the answer; refusals are refused and recorded.
 */
describe('re-identification through the audit API', () => {
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
    options: { token?: string | null; method?: string; body?: unknown } = {},
  ): Promise<Answer> {
    const token = options.token === undefined ? admin.token : options.token;
    const res = await request(`${base}${path}`, {
      dispatcher: agent,
      method: (options.method ?? 'GET') as 'GET',
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
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

  /** The audit service's own events of one request, read at once (no waiting: they are committed). */
  async function ownEventsOf(requestId: unknown): Promise<Event[]> {
    const answer = await call(`/audit/v1/events?service=audit&requestId=${String(requestId)}`);
    assert.equal(answer.status, 200, answer.text);
    return answer.json()['events'] as Event[];
  }

  async function newAdmin(name: string): Promise<{ id: string; token: string }> {
    const created = await call('/auth/admin/users', {
      method: 'POST',
      body: {
        username: `${name}${randomBytes(3).toString('hex')}`,
        // rampart-ignore secrets/generic-secret the password of an account this test creates in a throwaway identity store
        password: 'Correct-Horse-Battery-9-Staple',
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = (created.json()['user'] as { id: string }).id;
    const granted = await call(`/auth/admin/users/${id}`, { method: 'PATCH', body: { roles: ['admin'] } });
    assert.equal(granted.status, 200, granted.text);
    return { id, token: (await adminAccess(shop, { subject: id })).token };
  }

  let alice: { id: string; subject: string };

  it("searches a user's events by username: the trail names the lookup before the answer", async () => {
    const answer = await call('/audit/v1/events?user=Alice&reason=incident_response&ticket=INC-42&limit=20');
    assert.equal(answer.status, 200, answer.text);
    const body = answer.json();
    const user = body['user'] as { id: string; username: string; subject: string };
    assert.equal(user.username, 'alice');
    assert.match(user.subject, PSEUDONYM);
    alice = { id: user.id, subject: user.subject };
    for (const event of body['events'] as Event[]) assert.equal(event['subject'], user.subject);
    // Read right after the answer, without waiting: the lookup was committed before it.
    const [reidentified, ...others] = await ownEventsOf(answer.headers['x-request-id']);
    assert.equal(others.length, 0, 'one event for the lookup (it is also the read)');
    assert.ok(reidentified);
    assert.equal(reidentified['event'], 'audit.reidentified');
    assert.equal(reidentified['outcome'], 'success');
    assert.equal(reidentified['reason'], 'incident_response');
    assert.equal(reidentified['ticket'], 'INC-42');
    assert.equal(reidentified['target'], user.subject);
    assert.match(String(reidentified['subject']), PSEUDONYM);
    assert.notEqual(reidentified['subject'], user.subject, 'the admin is the subject');
    assert.equal(reidentified['route'], 'GET /audit/v1/events');
    assert.equal(reidentified['clientId'], 'rampart-cli');
    const text = JSON.stringify(reidentified);
    for (const value of [user.id, 'alice', admin.adminId]) assert.ok(!text.includes(value), value);
  });

  it('reveals who a pseudonym is, by user id too; each lookup in the trail before the answer', async () => {
    const reveal = await call(`/audit/v1/subjects/${alice.subject}?reason=abuse_report`);
    assert.equal(reveal.status, 200, reveal.text);
    assert.deepEqual(reveal.json(), {
      subject: alice.subject,
      user: { id: alice.id, username: 'alice', subject: alice.subject },
    });
    assert.equal(reveal.headers['cache-control'], 'no-store');
    const [event] = await ownEventsOf(reveal.headers['x-request-id']);
    assert.equal(event?.['event'], 'audit.reidentified');
    assert.equal(event['target'], alice.subject);
    assert.equal(event['reason'], 'abuse_report');
    assert.equal(event['route'], 'GET /audit/v1/subjects/{pseudonym}');
    assert.equal(event['ticket'], undefined);

    const byId = await call(`/audit/v1/events?userId=${alice.id}&reason=data_subject_request`);
    assert.equal(byId.status, 200, byId.text);
    assert.equal((byId.json()['user'] as { username: string }).username, 'alice');
    // Identity's own record of each lookup reaches the trail too (shipped from its outbox).
    const deadline = Date.now() + 10_000;
    let resolved: Event[] = [];
    while (Date.now() < deadline) {
      resolved = (await call('/audit/v1/events?event=subject.resolved&service=identity&limit=50')).json()[
        'events'
      ] as Event[];
      if (resolved.length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(resolved.length >= 3, `identity recorded ${resolved.length} lookups`);
    assert.ok(resolved.every((one) => !JSON.stringify(one).includes(alice.subject)));
  });

  it('an unknown pseudonym or user is a 404, recorded as audit.denied; a missing reason is a 400', async () => {
    const unknown = `ps_${randomBytes(16).toString('base64url')}`;
    const cases: [path: string, status: number, code: string, deny: string, target?: string][] = [
      [
        `/audit/v1/subjects/${unknown}?reason=incident_response`,
        404,
        'AUDIT_UNKNOWN_SUBJECT',
        'unknown_subject',
        unknown,
      ],
      [
        '/audit/v1/events?user=nobody-at-all&reason=incident_response',
        404,
        'AUDIT_UNKNOWN_USER',
        'unknown_user',
      ],
      [`/audit/v1/subjects/${alice.subject}`, 400, 'AUDIT_BAD_QUERY', 'bad_query'],
      [`/audit/v1/subjects/${alice.subject}?reason=curiosity`, 400, 'AUDIT_BAD_QUERY', 'bad_query'],
      [
        `/audit/v1/subjects/${alice.subject}?reason=legal_request&ticket=bob%40example.com`,
        400,
        'AUDIT_BAD_QUERY',
        'bad_query',
      ],
      ['/audit/v1/events?user=alice', 400, 'AUDIT_BAD_QUERY', 'bad_query'],
      [
        `/audit/v1/events?user=alice&subject=${alice.subject}&reason=legal_request`,
        400,
        'AUDIT_BAD_QUERY',
        'bad_query',
      ],
      ['/audit/v1/events?reason=legal_request', 400, 'AUDIT_BAD_QUERY', 'bad_query'],
      ['/audit/v1/subjects/alice?reason=legal_request', 400, 'AUDIT_BAD_QUERY', 'bad_query'],
    ];
    for (const [path, status, code, deny, target] of cases) {
      const answer = await call(path);
      assert.equal(answer.status, status, `${path}: ${answer.text}`);
      assert.equal(answer.json()['code'], code, path);
      assert.equal(answer.json()['user'], undefined, path);
      const events = await ownEventsOf(answer.headers['x-request-id']);
      assert.deepEqual(
        events.map((event) => [event['event'], event['reason'], event['target']]),
        [['audit.denied', deny, target]],
        path,
      );
    }
  });

  it('refuses a non-admin, a token without MFA and a disabled admin — at once, not after the 10 s cache', async () => {
    const bob = (await call('/audit/v1/events?user=bob&reason=support_case&limit=1')).json()['user'] as {
      id: string;
    };
    const disabled = await newAdmin('revoked');
    // Admitted once: the audit service now holds a verdict for this token for 10 s.
    assert.equal((await call('/audit/v1/verify', { token: disabled.token })).status, 200);
    const off = await call(`/auth/admin/users/${disabled.id}`, { method: 'PATCH', body: { disabled: true } });
    assert.equal(off.status, 200, off.text);
    const cases: [name: string, token: string, status: number, code: string, deny: string][] = [
      [
        'no admin',
        (await adminAccess(shop, { subject: bob.id })).token,
        403,
        'AUDIT_ACCESS_DENIED',
        'not_admin',
      ],
      [
        'no MFA',
        (await adminAccess(shop, { amr: ['pwd'] })).token,
        403,
        'AUDIT_MFA_REQUIRED',
        'mfa_required',
      ],
      // The audit service's cache still admits it; identity, asked with the lookup, does not.
      ['a disabled admin', disabled.token, 403, 'AUDIT_ACCESS_DENIED', 'account_disabled'],
    ];
    for (const [name, token, status, code, deny] of cases) {
      for (const path of [
        `/audit/v1/subjects/${alice.subject}?reason=incident_response`,
        '/audit/v1/events?user=alice&reason=incident_response',
      ]) {
        const answer = await call(path, { token });
        assert.equal(answer.status, status, `${name} ${path}: ${answer.text}`);
        assert.equal(answer.json()['code'], code, name);
        assert.equal(answer.json()['user'], undefined, name);
        assert.ok(!answer.text.includes(alice.id), name);
        const events = await ownEventsOf(answer.headers['x-request-id']);
        assert.deepEqual(
          events.map((event) => [event['event'], event['reason']]),
          [['audit.denied', deny]],
          `${name} ${path}`,
        );
      }
    }
  });

  it('limits each admin to 30 lookups in 15 minutes (429 with Retry-After, recorded)', async () => {
    const busy = await newAdmin('busy');
    for (let i = 0; i < 30; i++) {
      const answer = await call(`/audit/v1/subjects/${alice.subject}?reason=incident_response`, {
        token: busy.token,
      });
      assert.equal(answer.status, 200, `lookup ${i + 1}: ${answer.text}`);
    }
    const limited = await call(`/audit/v1/subjects/${alice.subject}?reason=incident_response`, {
      token: busy.token,
    });
    assert.equal(limited.status, 429, limited.text);
    assert.equal(limited.json()['code'], 'AUDIT_REIDENTIFY_LIMITED');
    assert.ok(Number(limited.headers['retry-after']) > 0);
    assert.equal(limited.json()['user'], undefined);
    const [event] = await ownEventsOf(limited.headers['x-request-id']);
    assert.equal(event?.['event'], 'audit.denied');
    assert.equal(event['reason'], 'rate_limited');
    // Another admin is not held back by this one.
    assert.equal((await call(`/audit/v1/subjects/${alice.subject}?reason=incident_response`)).status, 200);
  });

  it("no component's log holds who was looked up: not the audit service's, identity's or the gateway's", () => {
    for (const component of ['audit', 'identity', 'gateway']) {
      const log = readFileSync(join(shop.home, 'logs', `${component}.log`), 'utf8');
      assert.ok(!log.includes(alice.id), `${component}.log names alice's id`);
      assert.ok(!log.includes('"alice"') && !log.includes('user=alice'), `${component}.log names alice`);
    }
  });

  it("identity's lookup answers the audit service's SPIFFE ID alone: the gateway's and a service's certificates are refused", async () => {
    const ask = async (spiffeId: string, token: string): Promise<{ status: number; text: string }> => {
      const own = await shop.credentials(spiffeId);
      const as = new Agent({
        connect: {
          ca: shop.bundle(),
          cert: own.cert,
          key: own.key,
          checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(SHOP_TRUST_DOMAIN, 'identity')),
        },
      });
      try {
        const res = await request(`https://127.0.0.1:${shop.ports.identity}/internal/subject-lookup`, {
          dispatcher: as,
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'alice' }),
        });
        return { status: res.statusCode, text: await res.body.text() };
      } finally {
        await as.close();
      }
    };
    // The audit service's identity, with an admin token: answered (the control).
    const audit = await ask(componentSpiffeId(SHOP_TRUST_DOMAIN, 'audit'), admin.token);
    assert.equal(audit.status, 200, audit.text);
    assert.ok(audit.text.includes(alice.id));
    for (const spiffeId of [
      serviceSpiffeId(SHOP_TRUST_DOMAIN, 'orders'),
      componentSpiffeId(SHOP_TRUST_DOMAIN, 'gateway'),
      componentSpiffeId(SHOP_TRUST_DOMAIN, 'mesh'),
    ]) {
      const answer = await ask(spiffeId, admin.token);
      assert.notEqual(answer.status, 200, spiffeId);
      assert.ok(!answer.text.includes(alice.id), spiffeId);
    }
  });

  it('rampart audit search --user goes through the audited API with the admin token', () => {
    const tokenFile = join(shop.home, 'cli-admin-token');
    writeFileSync(tokenFile, `${admin.token}\n`, { mode: 0o600 });
    const configFile = join(shop.dir, 'rampart.yaml');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [cliMain, 'audit', 'search', configFile, ...args], {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1' },
      });
    const refused = run('--user', 'alice', '--token-file', tokenFile);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /give --reason/u);
    const found = run(
      '--user',
      'alice',
      '--reason',
      'incident_response',
      '--ticket',
      'INC-7',
      '--json',
      '--token-file',
      tokenFile,
    );
    assert.equal(found.status, 0, found.stderr);
    assert.match(
      found.stderr,
      new RegExp(`events of alice \\(user id ${alice.id}, pseudonym ${alice.subject}\\)`, 'u'),
    );
    for (const line of found.stdout
      .trim()
      .split('\n')
      .filter((one) => one !== '')) {
      assert.equal((JSON.parse(line) as Event)['subject'], alice.subject);
    }
    const unknown = run(
      '--user',
      'nobody-at-all',
      '--reason',
      'incident_response',
      '--token-file',
      tokenFile,
    );
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /AUDIT_UNKNOWN_USER/u);
    const noToken = run(
      '--user',
      'alice',
      '--reason',
      'incident_response',
      '--token-file',
      join(shop.home, 'none'),
    );
    assert.equal(noToken.status, 1);
    assert.match(noToken.stderr, /rampart admin login/u);
  });

  it("identity's lookup is not reachable through the gateway", async () => {
    for (const path of ['/auth/internal/subject-lookup', '/internal/subject-lookup']) {
      const answer = await call(path, { method: 'POST', body: { username: 'alice' } });
      assert.notEqual(answer.status, 200, path);
      assert.ok(!answer.text.includes(alice.id), path);
    }
  });

  it('generated values of the new parameters never give a 500, and the service stays up', async () => {
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.string({ unit: 'binary', maxLength: 30 }),
      fc.constantFrom(
        '',
        'alice',
        'ALICE',
        'ａｌｉｃｅ',
        alice.subject,
        alice.id,
        'incident_response',
        'INC-1',
        '%00',
        '..',
        'ps_',
      ),
    );
    const names = fc.constantFrom('user', 'userId', 'reason', 'ticket', 'subject', 'limit', 'cursor');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.constant('/audit/v1/events'),
          value.map((v) => `/audit/v1/subjects/${encodeURIComponent(v)}`),
        ),
        fc.array(fc.tuple(names, value), { maxLength: 5 }),
        async (path, pairs) => {
          const query = pairs.map(([n, v]) => `${n}=${encodeURIComponent(v)}`).join('&');
          const res = await request(`${base}${path}?${query}`, {
            dispatcher: agent,
            headers: { authorization: `Bearer ${admin.token}` },
          });
          await res.body.dump();
          assert.ok(res.statusCode < 500, `${path}?${query} → ${res.statusCode}`);
        },
      ),
      { numRuns: 120 },
    );
    assert.equal((await call('/audit/v1/events?limit=1')).status, 200);
  });
});
