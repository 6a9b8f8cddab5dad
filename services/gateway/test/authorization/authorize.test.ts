import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PolicyConfig } from '@rampart/config';
import { isRampartError, type ErrorCode } from '@rampart/errors';
import { authorize, MFA_AMR_VALUES, type AccessPrincipal } from '../../src/authorization/index.ts';

const principal = (over: Partial<AccessPrincipal> = {}): AccessPrincipal => ({
  subject: 'user-1',
  clientId: 'shop-web',
  scopes: ['orders:read'],
  groups: ['staff'],
  amr: ['pwd'],
  acr: undefined,
  ...over,
});

const alice = principal();
const aliceMfa = principal({ amr: ['pwd', 'otp'] });
const admin = principal({
  scopes: ['orders:read', 'orders:write'],
  groups: ['admins', 'staff'],
  amr: ['hwk'],
});
const bare = principal({ scopes: [], groups: [], amr: [] });

type Outcome = 'allow' | ErrorCode;

const cases: readonly (readonly [
  label: string,
  policy: PolicyConfig,
  who: AccessPrincipal | null,
  outcome: Outcome,
])[] = [
  ['public, anonymous', { public: true }, null, 'allow'],
  ['public, with a token', { public: true }, bare, 'allow'],
  ['empty policy: any valid token', {}, bare, 'allow'],
  ['empty policy, anonymous', {}, null, 'GW_TOKEN_MISSING'],
  ['mfa: false is no requirement', { mfa: false }, bare, 'allow'],
  ['empty scope list is no requirement', { scopes: [] }, bare, 'allow'],
  ['scope held', { scopes: ['orders:read'] }, alice, 'allow'],
  ['scopes, anonymous', { scopes: ['orders:read'] }, null, 'GW_TOKEN_MISSING'],
  ['one of two scopes missing', { scopes: ['orders:read', 'orders:write'] }, alice, 'GW_FORBIDDEN'],
  ['both scopes held', { scopes: ['orders:read', 'orders:write'] }, admin, 'allow'],
  [
    'scopes compare exactly',
    { scopes: ['orders:read'] },
    principal({ scopes: ['orders:READ', 'orders'] }),
    'GW_FORBIDDEN',
  ],
  ['a prefix is not the scope', { scopes: ['orders'] }, alice, 'GW_FORBIDDEN'],
  ['one of the groups', { groups: ['admins', 'staff'] }, alice, 'allow'],
  ['none of the groups', { groups: ['admins'] }, alice, 'GW_FORBIDDEN'],
  ['groups, anonymous', { groups: ['admins'] }, null, 'GW_TOKEN_MISSING'],
  ['empty group list admits no one', { groups: [] }, admin, 'GW_FORBIDDEN'],
  ['mfa without a second factor', { mfa: true }, alice, 'GW_MFA_REQUIRED'],
  ['mfa with otp', { mfa: true }, aliceMfa, 'allow'],
  ['mfa with a hardware key', { mfa: true }, admin, 'allow'],
  [
    'mfa, amr compared exactly',
    { mfa: true },
    principal({ amr: ['OTP', 'sms', 'pwd', 'pin'] }),
    'GW_MFA_REQUIRED',
  ],
  ['mfa, anonymous', { mfa: true }, null, 'GW_TOKEN_MISSING'],
  ['scopes fail before mfa', { scopes: ['orders:write'], mfa: true }, alice, 'GW_FORBIDDEN'],
  ['groups fail before mfa', { groups: ['admins'], mfa: true }, alice, 'GW_FORBIDDEN'],
  [
    'scopes and groups held, mfa missing',
    { scopes: ['orders:read'], groups: ['staff'], mfa: true },
    alice,
    'GW_MFA_REQUIRED',
  ],
  ['everything held', { scopes: ['orders:write'], groups: ['admins'], mfa: true }, admin, 'allow'],
  [
    'cedar without a compiled policy set: denied (fail closed)',
    { cedar: 'permit(principal, action, resource);' },
    admin,
    'GW_FORBIDDEN',
  ],
  ['cedar, anonymous', { cedar: 'permit(principal, action, resource);' }, null, 'GW_TOKEN_MISSING'],
  [
    'cedar with public: a token is still required, and no compiled set denies',
    { public: true, cedar: 'permit(principal, action, resource);' },
    admin,
    'GW_FORBIDDEN',
  ],
  [
    'public with scopes: the scopes apply',
    { public: true, scopes: ['orders:read'] },
    null,
    'GW_TOKEN_MISSING',
  ],
  ['public with scopes, held', { public: true, scopes: ['orders:read'] }, alice, 'allow'],
  ['public with mfa, without it', { public: true, mfa: true }, alice, 'GW_MFA_REQUIRED'],
];

describe('authorize: policy × principal', () => {
  for (const [label, policy, who, outcome] of cases) {
    it(`${label} → ${outcome}`, () => {
      if (outcome === 'allow') {
        assert.doesNotThrow(() => {
          authorize(policy, who);
        });
        return;
      }
      assert.throws(
        () => {
          authorize(policy, who);
        },
        (error: unknown) => {
          assert.ok(isRampartError(error), String(error));
          assert.equal(error.code, outcome, error.message);
          assert.ok(error.detail !== undefined && error.detail.length > 0);
          return true;
        },
      );
    });
  }
});

describe('authorize: details for the audit trail', () => {
  const detailOf = (policy: PolicyConfig, who: AccessPrincipal | null): string | undefined => {
    try {
      authorize(policy, who);
    } catch (error) {
      if (isRampartError(error)) return error.detail;
    }
    return undefined;
  };
  it('lists exactly the missing scopes', () => {
    assert.equal(detailOf({ scopes: ['orders:read', 'a', 'b'] }, alice), 'missing scopes: a b');
  });
  it('names the groups required', () => {
    assert.equal(detailOf({ groups: ['admins', 'ops'] }, alice), 'in none of the groups: admins, ops');
  });
  it('says when a cedar policy set was not compiled for the route', () => {
    assert.equal(
      detailOf({ cedar: 'forbid(principal, action, resource);' }, admin),
      'the cedar policy set was not compiled for this route',
    );
  });
  it('never includes the subject', () => {
    for (const [, policy, who] of cases) assert.ok(!(detailOf(policy, who) ?? '').includes('user-1'));
  });
  it('every RFC 8176 MFA value is accepted alone', () => {
    assert.deepEqual(MFA_AMR_VALUES, ['otp', 'hwk', 'swk', 'mfa', 'fpt', 'face']);
    for (const amr of MFA_AMR_VALUES) authorize({ mfa: true }, principal({ amr: [amr] }));
  });
});
