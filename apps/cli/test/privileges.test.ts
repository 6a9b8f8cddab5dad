import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentUserName, ensureSystemUser } from '../src/up/privileges.ts';

describe('one system user per component', () => {
  it('names platform components and services apart', () => {
    assert.equal(componentUserName({ name: 'mesh', kind: 'mesh' }), 'rampart-mesh');
    assert.equal(componentUserName({ name: 'identity', kind: 'identity' }), 'rampart-identity');
    assert.equal(componentUserName({ name: 'gateway', kind: 'gateway' }), 'rampart-gateway');
    assert.equal(componentUserName({ name: 'orders', kind: 'service' }), 'rampart-svc-orders');
    // A service may be called `mesh`: it is still not the mesh authority's user.
    assert.equal(componentUserName({ name: 'mesh', kind: 'service' }), 'rampart-svc-mesh');
  });

  it('fits useradd (32 characters) with a hash that no other service name can spell', () => {
    const exact = 'a'.repeat(20);
    assert.equal(componentUserName({ name: exact, kind: 'service' }), `rampart-svc-${exact}`);
    const long = `${'a'.repeat(11)}-inventory-reconciliation`;
    const user = componentUserName({ name: long, kind: 'service' });
    assert.match(user, /^rampart-svc-a{11}_[0-9a-f]{8}$/);
    assert.equal(user.length, 32);
    const sibling = componentUserName({
      name: `${'a'.repeat(11)}-inventory-reconciliatio2`,
      kind: 'service',
    });
    assert.notEqual(sibling, user, 'two long names with one prefix');
    // Service names are [a-z0-9-]: none can contain the `_` of a shortened one.
    assert.doesNotMatch(componentUserName({ name: 'a'.repeat(11) + '-0123abcd', kind: 'service' }), /_/);
  });

  it('never runs a component as root, even when a user of that name has uid 0', (t) => {
    if (process.platform !== 'linux') {
      t.skip('reads the user database with getent (Linux)');
      return;
    }
    assert.throws(() => ensureSystemUser('root'), /uid or gid 0/);
  });
});
