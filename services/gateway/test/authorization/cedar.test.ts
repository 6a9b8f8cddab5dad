import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyConfig } from '@rampart/config';
import { isRampartError } from '@rampart/errors';
import {
  authorize,
  compileCedarPolicySet,
  type AccessPrincipal,
  type CedarPolicySet,
  type CedarRequest,
} from '../../src/authorization/index.ts';
import { buildRouteTable } from '../../src/routing/index.ts';
import { configWith } from '../routing/fixtures.ts';

const principal = (subject: string, over: Partial<AccessPrincipal> = {}): AccessPrincipal => ({
  subject,
  clientId: 'shop-web',
  scopes: ['orders:read'],
  groups: ['customers'],
  amr: ['pwd'],
  acr: undefined,
  ...over,
});
const alice = principal('alice');
const bob = principal('bob');

const request = (over: Partial<Omit<CedarRequest, 'mfa'>> = {}): Omit<CedarRequest, 'mfa'> => ({
  method: 'GET',
  template: '/users/{userId}/orders',
  service: 'orders',
  params: { userId: 'alice' },
  ip: '192.0.2.10',
  ...over,
});

/** Runs `authorize` as the pipeline does; returns 'allow' or the error's code and detail. */
function decide(
  policy: PolicyConfig,
  policySet: CedarPolicySet,
  who: AccessPrincipal,
  req = request(),
): 'allow' | { code: string; detail: string | undefined } {
  try {
    authorize(policy, who, { policySet, request: req });
    return 'allow';
  } catch (error) {
    assert.ok(isRampartError(error), String(error));
    return { code: error.code, detail: error.detail };
  }
}

const OWNER =
  'permit(principal, action == Action::"GET", resource) when { resource.userId == principal.sub };';

describe('cedar: an ownership rule over path parameters', () => {
  const policy: PolicyConfig = { cedar: OWNER };
  const set = compileCedarPolicySet('owner', OWNER);
  set.checkRoute({ label: 'GET /users/{userId}/orders', paramNames: ['userId'] });

  it('lets alice read her own orders', () => {
    assert.equal(decide(policy, set, alice), 'allow');
  });
  it("denies bob alice's orders (default deny), with the reason for the audit trail only", () => {
    assert.deepEqual(decide(policy, set, bob), {
      code: 'GW_FORBIDDEN',
      detail: 'cedar policy "owner": no permit applies',
    });
  });
  it('denies another action on the same resource', () => {
    assert.equal(
      (decide(policy, set, alice, request({ method: 'DELETE' })) as { code: string }).code,
      'GW_FORBIDDEN',
    );
  });
  it('gives the same answer from the decision cache, per principal and parameters', () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(decide(policy, set, alice), 'allow');
      assert.notEqual(decide(policy, set, bob), 'allow');
      assert.notEqual(decide(policy, set, alice, request({ params: { userId: 'bob' } })), 'allow');
      assert.equal(decide(policy, set, bob, request({ params: { userId: 'bob' } })), 'allow');
    }
  });
});

describe('cedar: the ownership rule as written in the issue', () => {
  const text = 'permit(principal, action, resource) when { resource.id == principal.id };';
  const set = compileCedarPolicySet('owner-by-id', text);
  set.checkRoute({ label: 'GET /profiles/{id}', paramNames: ['id'] });
  const req = (id: string) => request({ template: '/profiles/{id}', params: { id } });
  it('principal.id is the subject: alice reads /profiles/alice, not /profiles/bob', () => {
    assert.equal(decide({ cedar: text }, set, alice, req('alice')), 'allow');
    assert.notEqual(decide({ cedar: text }, set, alice, req('bob')), 'allow');
  });
});

describe('cedar: forbid wins over permit', () => {
  const text = [
    'permit(principal, action, resource) when { principal.scopes.contains("orders:read") };',
    'forbid(principal, action == Action::"DELETE", resource) unless { context.mfa };',
    'forbid(principal, action, resource) when { context.ip.isInRange(ip("10.0.0.0/8")) };',
    'forbid(principal, action, resource) when { principal.groups.contains("suspended") };',
  ].join('\n');
  const policy: PolicyConfig = { cedar: text };
  const set = compileCedarPolicySet('guarded', text);

  it('permits a plain read', () => {
    assert.equal(decide(policy, set, alice), 'allow');
  });
  it('forbids a DELETE without a second factor, though a permit applies', () => {
    assert.deepEqual(decide(policy, set, alice, request({ method: 'DELETE' })), {
      code: 'GW_FORBIDDEN',
      detail: 'cedar policy "guarded": forbidden by policy1',
    });
  });
  it('permits the DELETE with a second factor (context.mfa from amr)', () => {
    assert.equal(
      decide(policy, set, principal('alice', { amr: ['pwd', 'otp'] }), request({ method: 'DELETE' })),
      'allow',
    );
  });
  it('forbids by client IP range (context.ip is an ipaddr)', () => {
    assert.deepEqual(decide(policy, set, alice, request({ ip: '10.1.2.3' })), {
      code: 'GW_FORBIDDEN',
      detail: 'cedar policy "guarded": forbidden by policy2',
    });
    assert.equal(decide(policy, set, alice, request({ ip: '2001:db8::1' })), 'allow');
  });
  it('forbids by group', () => {
    assert.notEqual(decide(policy, set, principal('alice', { groups: ['suspended'] })), 'allow');
  });
  it('fails closed when evaluation errors, even where the erroring policy is a forbid', () => {
    const outcome = decide(policy, set, alice, request({ ip: 'not-an-ip' }));
    assert.notEqual(outcome, 'allow');
    assert.match((outcome as { detail: string }).detail, /failed|error/u);
  });
});

describe('cedar: evaluated after scopes, groups and MFA', () => {
  const set = compileCedarPolicySet('all', 'permit(principal, action, resource);');
  it('a missing scope is reported as such, not as a cedar denial', () => {
    assert.deepEqual(
      decide({ scopes: ['orders:write'], cedar: 'permit(principal, action, resource);' }, set, alice),
      {
        code: 'GW_FORBIDDEN',
        detail: 'missing scopes: orders:write',
      },
    );
  });
  it('a missing second factor is GW_MFA_REQUIRED before cedar runs', () => {
    assert.equal(
      (decide({ mfa: true, cedar: 'permit(principal, action, resource);' }, set, alice) as { code: string })
        .code,
      'GW_MFA_REQUIRED',
    );
  });
  it('an anonymous request never reaches cedar', () => {
    assert.throws(
      () => {
        authorize({ cedar: 'permit(principal, action, resource);' }, null, {
          policySet: set,
          request: request(),
        });
      },
      (error: unknown) => isRampartError(error) && error.code === 'GW_TOKEN_MISSING',
    );
  });
});

describe('cedar: a policy set is checked when the route table is built', () => {
  const build = (cedar: string, path = '/orders/{id}') =>
    buildRouteTable(configWith({ orders: [{ method: 'GET', path, policy: 'mine' }] }, { mine: { cedar } }));

  it('accepts a valid set and attaches it to the route', () => {
    const table = build('permit(principal, action, resource) when { resource.id == principal.sub };');
    assert.equal(table.match('GET', ['orders', 'alice'], false).cedar?.name, 'mine');
  });

  const refusals: [label: string, cedar: string, message: RegExp, path?: string][] = [
    [
      'a set that does not parse',
      'permit(principal, action, resource) when { principal.sub == ',
      /policy "mine": its cedar policy set does not parse: .*unexpected end of input/u,
    ],
    [
      'a set that is not Cedar at all',
      'allow everyone',
      /policy "mine": its cedar policy set does not parse/u,
    ],
    [
      'an attribute the route does not have',
      'permit(principal, action, resource) when { resource.orderId == principal.sub };',
      /policy "mine" on route GET \/orders\/\{id\} \(service orders\): its cedar policy set does not validate: .*orderId.*did you mean `id`/u,
    ],
    [
      'a type error',
      'permit(principal, action, resource) when { principal.scopes == "orders:read" };',
      /does not validate/u,
    ],
    [
      'an unknown entity type',
      'permit(principal in Group::"admins", action, resource);',
      /does not validate/u,
    ],
    [
      'a path parameter named service',
      'permit(principal, action, resource);',
      /parameter \{service\}/u,
      '/orders/{service}',
    ],
  ];
  for (const [label, cedar, message, path] of refusals) {
    it(`refuses ${label}, naming the policy`, () => {
      assert.throws(
        () => build(cedar, path),
        (error: unknown) => error instanceof TypeError && message.test(error.message),
      );
    });
  }
});
