import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clientIdConflict, clientSubject, parseConfig, principalKindOf } from '@rampart/config';
import { BASE } from './helpers.ts';

const withClient = (id: string): string => `${BASE}identity:
  clients:
    - id: ${id}
      type: confidential
      grants: [client_credentials]
`;

describe('client ids never alias another kind of principal', () => {
  it('refuses a client id shaped like a user id, at its position', () => {
    const result = parseConfig(withClient('e3b0c442-98fc-4c14-9afb-f4c8996fb924'), 'rampart.yaml');
    assert.equal(result.ok, false);
    const problem = result.problems.find((p) => p.code === 'CFG_INVALID_CLIENT');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.equal(problem.line, 16);
    assert.match(
      problem.message,
      /client `e3b0c442-98fc-4c14-9afb-f4c8996fb924`, `id`: looks like a user id/u,
    );
  });

  it('accepts ordinary client ids', () => {
    for (const id of ['shop-cli', 'billing-job', 'e3b0c442-98fc', 'a-0b0e3c5e-7d1a-4f57-9f0e-2f7c1f1b6a11']) {
      const result = parseConfig(withClient(id), 'rampart.yaml');
      assert.equal(result.ok, true, `${id}: ${JSON.stringify(result.ok ? [] : result.problems)}`);
    }
  });

  it('keeps user and client subjects apart, and tells their kind', () => {
    const uuid = 'e3b0c442-98fc-4c14-9afb-f4c8996fb924';
    assert.equal(clientSubject('shop-cli'), 'client:shop-cli');
    assert.equal(principalKindOf('client:shop-cli'), 'client');
    assert.equal(principalKindOf(uuid), 'user');
    assert.notEqual(clientSubject(uuid), uuid);
    assert.equal(clientIdConflict(uuid), 'looks like a user id (a UUID)');
    assert.equal(clientIdConflict(uuid.toUpperCase()), 'looks like a user id (a UUID)');
    for (const malformed of ['client:', 'client:Shop', `client:${uuid}`, 'client:a b', 'client:client:x']) {
      assert.equal(principalKindOf(malformed), undefined, malformed);
    }
  });
});
