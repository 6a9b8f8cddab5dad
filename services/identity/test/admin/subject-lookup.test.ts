import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Agent, request } from 'undici';
import {
  CertificateAuthority,
  componentSpiffeId,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
} from '@rampart/mesh';
import { createMetrics } from '@rampart/sdk';
import { freePort, tempDir, type TempDir } from '@rampart/testing';
import { SubjectPseudonyms } from '../../src/accounts/index.ts';
import { subjectLookup } from '../../src/admin/subject-lookup.ts';
import { identityReadiness } from '../../src/http/readiness.ts';
import { startIdentityServers, type IdentityServers } from '../../src/http/servers.ts';
import { PASSWORD, startAdminHarness, type AdminHarness } from './admin-support.ts';

const TRUST_DOMAIN = 'shop.local';
/** The harness's pseudonym key (its security events use it). */
const SUBJECT_KEY = new Uint8Array(32).fill(7);

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * `POST /internal/subject-lookup` on identity's real mTLS listener, with workload certificates from
 * a real mesh CA: the audit service re-identifies for an admin whose token identity checks again;
 * nobody else reaches it, and no lookup is answered for a token that is not an admin token now.
 */
describe('re-identification for the audit service (/internal/subject-lookup)', () => {
  let a: AdminHarness;
  let servers: IdentityServers;
  let dir: TempDir;
  let asAudit: Agent;
  let asGateway: Agent;
  let asOrders: Agent;
  let pseudonyms: SubjectPseudonyms;

  const lookup = async (
    body: unknown,
    options: { agent?: Agent; token?: string | null; path?: string; type?: string } = {},
  ): Promise<Answer> => {
    const token = options.token === undefined ? await a.token() : options.token;
    const response = await request(`${servers.url}${options.path ?? '/internal/subject-lookup'}`, {
      dispatcher: options.agent ?? asAudit,
      method: 'POST',
      headers: {
        'content-type': options.type ?? 'application/json',
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.body.text();
    return {
      status: response.statusCode,
      body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
    };
  };

  before(async () => {
    a = await startAdminHarness();
    pseudonyms = new SubjectPseudonyms({ store: a.h.identity.store, key: SUBJECT_KEY });
    dir = await tempDir('rampart-identity-subject-lookup-');
    const ca = await CertificateAuthority.open(dir.path, { trustDomain: TRUST_DOMAIN });
    const bundle = [await ca.bundlePem()];
    const issue = async (spiffeId: string): Promise<{ keyPem: string; certPem: string }> => {
      const { keyPem, csrPem } = await createWorkloadCsr(spiffeId);
      const issued = await ca.issue({ csrPem, spiffeId, ipSans: ['127.0.0.1'] });
      return { keyPem, certPem: issued.certPem };
    };
    const identityCert = await issue(componentSpiffeId(TRUST_DOMAIN, 'identity'));
    servers = await startIdentityServers({
      identity: a.h.identity,
      metrics: createMetrics('identity'),
      health: {
        revision: () => 0,
        notReady: identityReadiness({
          keys: a.h.identity.keys,
          store: a.h.identity.store,
          stopping: () => false,
        }),
      },
      trustDomain: TRUST_DOMAIN,
      credentials: () => ({
        ...identityCert,
        caPems: bundle,
        tokenKeyPems: [],
        notAfter: new Date(Date.now() + 3_600_000),
      }),
      port: await freePort(),
      adminPort: await freePort(),
      subjectLookup: subjectLookup({ identity: a.h.identity, pseudonyms }),
    });
    const agentAs = async (spiffeId: string): Promise<Agent> => {
      const own = await issue(spiffeId);
      return new Agent({
        connect: {
          ca: bundle,
          cert: own.certPem,
          key: own.keyPem,
          checkServerIdentity: verifyPeerSpiffeId(componentSpiffeId(TRUST_DOMAIN, 'identity')),
        },
      });
    };
    asAudit = await agentAs(componentSpiffeId(TRUST_DOMAIN, 'audit'));
    asGateway = await agentAs(componentSpiffeId(TRUST_DOMAIN, 'gateway'));
    asOrders = await agentAs(serviceSpiffeId(TRUST_DOMAIN, 'orders'));
  });
  after(async () => {
    await asAudit.close();
    await asGateway.close();
    await asOrders.close();
    await servers.close();
    await a.close();
    await dir.cleanup();
  });

  it('resolves a pseudonym to its user, and a username or user id to the pseudonym events carry', async () => {
    const carol = await a.h.identity.accounts.createUser({ username: 'Carol', password: PASSWORD });
    const subject = a.subjectOf(carol.id);
    const from = a.h.events.length;
    // Created a moment ago: the index catches up on the miss.
    const reverse = await lookup({ pseudonym: subject });
    assert.equal(reverse.status, 200);
    assert.deepEqual(reverse.body, {
      active: true,
      admin: a.subjectOf(a.admin.id),
      clientId: 'rampart-cli',
      user: { id: carol.id, username: 'carol', subject },
    });
    const byName = await lookup({ username: 'CAROL' });
    assert.deepEqual(byName.body['user'], { id: carol.id, username: 'carol', subject });
    const byId = await lookup({ userId: carol.id });
    assert.deepEqual(byId.body['user'], { id: carol.id, username: 'carol', subject });
    // Each lookup is identity's own event, the admin as subject; nothing of what was asked or found.
    const resolved = a.eventsSince(from).filter((event) => event.event === 'subject.resolved');
    assert.deepEqual(
      resolved.map((event) => [event.reason, event.outcome, event.subject]),
      [
        ['by_pseudonym', 'success', a.subjectOf(a.admin.id)],
        ['by_username', 'success', a.subjectOf(a.admin.id)],
        ['by_user_id', 'success', a.subjectOf(a.admin.id)],
      ],
    );
    const written = JSON.stringify(a.eventsSince(from));
    for (const value of [carol.id, 'carol', subject]) assert.ok(!written.includes(value), value);
  });

  it('finds nobody for an unknown pseudonym, user or id, and a deleted user vanishes from the index', async () => {
    const dave = await a.h.identity.accounts.createUser({ username: 'dave', password: PASSWORD });
    assert.equal((await lookup({ pseudonym: a.subjectOf(dave.id) })).body['user'] !== null, true);
    await a.h.identity.accounts.deleteUser(dave.id);
    for (const body of [
      { pseudonym: a.subjectOf(dave.id) },
      { pseudonym: a.subjectOf(randomUUID()) },
      { username: 'nobody-here' },
      { userId: randomUUID() },
    ]) {
      const answer = await lookup(body);
      assert.equal(answer.status, 200, JSON.stringify(body));
      assert.equal(answer.body['user'], null, JSON.stringify(body));
      assert.equal(answer.body['active'], true);
    }
    const row = await a.h.identity.store.get('SELECT user_id FROM user_pseudonyms WHERE user_id = ?', [
      dave.id,
    ]);
    assert.equal(row, undefined, 'the index row went with the user');
  });

  it('a row pointing a pseudonym at another user resolves to nobody (checked by recomputing it)', async () => {
    const erin = await a.h.identity.accounts.createUser({ username: 'erin', password: PASSWORD });
    const frank = await a.h.identity.accounts.createUser({ username: 'frank', password: PASSWORD });
    await pseudonyms.sync();
    await a.h.identity.store.run('UPDATE user_pseudonyms SET pseudonym = ? WHERE user_id = ?', [
      a.subjectOf(erin.id),
      frank.id,
    ]);
    await a.h.identity.store.run('DELETE FROM user_pseudonyms WHERE user_id = ?', [erin.id]);
    // The forged row is read, fails the check; the catch-up re-indexes erin, who is then found.
    const answer = await lookup({ pseudonym: a.subjectOf(erin.id) });
    assert.deepEqual(answer.body['user'], { id: erin.id, username: 'erin', subject: a.subjectOf(erin.id) });
  });

  it('answers only for an admin token identity accepts now: each refusal in the admin-token shape', async () => {
    const bob = await a.h.identity.accounts.createUser({ username: 'bob', password: PASSWORD });
    const disabled = await a.h.identity.accounts.createUser({
      username: 'disabled-admin',
      password: PASSWORD,
      roles: ['admin'],
    });
    await a.h.identity.accounts.disableUser(disabled.id);
    const cases: [string, string | null, string][] = [
      ['no token', null, 'missing_token'],
      ['no MFA', await a.token({ amr: ['pwd'] }), 'mfa_required'],
      ['no admin', await a.token({ sub: bob.id }), 'not_admin'],
      ['a disabled admin', await a.token({ sub: disabled.id }), 'account_disabled'],
      ['another audience', await a.token({ aud: 'https://127.0.0.1:8443' }), 'wrong_audience'],
    ];
    const from = a.h.events.length;
    for (const [name, token, deny] of cases) {
      const answer = await lookup({ pseudonym: a.subjectOf(bob.id) }, { token });
      assert.equal(answer.status, 200, name);
      assert.equal(answer.body['active'], false, name);
      assert.equal(answer.body['deny'], deny, name);
      assert.equal(answer.body['user'], undefined, name);
    }
    assert.equal(
      a.eventsSince(from).filter((event) => event.event === 'subject.resolved').length,
      0,
      'nothing was looked up',
    );
  });

  it('serves the audit service alone: the gateway and a service are refused by their SPIFFE ID', async () => {
    const body = { username: 'root-admin' };
    assert.equal((await lookup(body, { agent: asOrders })).status, 403);
    const viaGateway = await lookup(body, { agent: asGateway });
    assert.notEqual(viaGateway.status, 200);
    assert.equal(viaGateway.body['user'], undefined);
    // The audit service at any other internal path: refused like any peer that is not the gateway.
    assert.equal((await lookup(body, { path: '/internal/introspect' })).status, 403);
  });

  it('refuses a malformed body without looking anything up: generated bodies never give a 5xx', async () => {
    const from = a.h.events.length;
    const fixed: unknown[] = [
      {},
      { pseudonym: 'ps_short' },
      { pseudonym: 'alice' },
      { username: '' },
      { username: 'a b' },
      { userId: 'not-a-uuid' },
      { username: 'alice', userId: randomUUID() },
      { username: 42 },
      [],
      'null',
      '{"__proto__": {"username": "alice"}}',
      `{"username": "${'a'.repeat(2000)}"}`,
    ];
    for (const body of fixed) {
      const answer = await lookup(body);
      assert.ok(answer.status === 400 || answer.status === 413, `${JSON.stringify(body)} → ${answer.status}`);
      assert.deepEqual(answer.body, { error: 'invalid_request' });
    }
    assert.equal((await lookup({ username: 'alice' }, { type: 'text/plain' })).status, 415);
    assert.deepEqual(
      a.eventsSince(from).filter((event) => event.event === 'subject.resolved'),
      [],
      'a refused body looks nothing up',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.dictionary(fc.constantFrom('pseudonym', 'username', 'userId', 'x'), fc.jsonValue(), {
            maxKeys: 3,
          }),
          fc.string({ maxLength: 200 }),
        ),
        async (body) => {
          const answer = await lookup(typeof body === 'string' ? body : JSON.stringify(body));
          assert.ok(answer.status < 500, `${JSON.stringify(body)} → ${answer.status}`);
        },
      ),
      { numRuns: 100 },
    );
  });
});
