// Replicas of the gateway and identity under `rampart up`: what the supervisor plans for each, and
// how it tells a replica's socket on the shared port from anyone else's.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { componentEnv, parseConfig, readComponentEnv } from '@rampart/config';
import { freePorts } from '@rampart/testing';
import { planComponents } from '../src/up/component-plan.ts';
import { installationRoot } from '../src/up/installation.ts';
import { componentUserName } from '../src/up/privileges.ts';
import { foreignListeners } from '../src/up/shared-port-guard.ts';
import { stateDirFor } from '../src/up/state-dir.ts';

const CONFIG = `version: 1
name: shop
storage:
  sql: { kind: postgres, url: 'postgres://rampart_{service}:\${env:${componentEnv.sqlPassword.name}}@127.0.0.1/db' }
  redis: { url: '\${env:REDIS_URL}' }
gateway: { replicas: 3 }
identity: { replicas: 2 }
policies:
  signed-in: {}
services:
  orders:
    entry: services/orders/main.ts
    port: 7102
    callers: [gateway]
    routes:
      - { method: GET, path: /orders, policy: signed-in }
`;

describe('rampart up plans one component per replica', () => {
  const file = join(installationRoot(), 'examples/shop/rampart.yaml');
  const parsed = parseConfig(CONFIG, file);
  assert.ok(parsed.ok, JSON.stringify(parsed.problems));
  const state = stateDirFor(file);
  const plans = planComponents(parsed.config, {
    configFile: file,
    state,
    logLevel: 'info',
  });
  const byName = new Map(plans.map((plan) => [plan.name, plan]));

  it('names them gateway, gateway-2, gateway-3 and identity, identity-2, each with its own state dir and admin port', () => {
    assert.deepEqual(
      plans.map((plan) => plan.name),
      ['mesh', 'identity', 'identity-2', 'audit', 'orders', 'gateway', 'gateway-2', 'gateway-3'],
    );
    assert.equal(byName.get('gateway')?.readyUrl, 'http://127.0.0.1:9464/readyz');
    assert.equal(byName.get('gateway-3')?.readyUrl, 'http://127.0.0.1:9664/readyz');
    assert.equal(byName.get('identity-2')?.readyUrl, 'http://127.0.0.1:9544/readyz');
    assert.equal(byName.get('gateway-2')?.stateDir, join(state.root, 'gateway-2'));
    assert.equal(byName.get('gateway-2')?.url, byName.get('gateway')?.url, 'one public port');
    assert.equal(byName.get('identity-2')?.url, byName.get('identity')?.url, 'one issuer port');
  });

  it('starts the first identity alone (migrations, keys, bootstrap), the other replicas after it', () => {
    const identity = byName.get('identity');
    const second = byName.get('identity-2');
    assert.ok(identity && second);
    assert.ok(second.wave > identity.wave);
    const audit = byName.get('audit');
    assert.ok(audit && second.wave < 2, 'before the services of the second wave');
  });

  it('shares the keyring among identity replicas, never the state dir or the pseudonym copy', () => {
    const identity = byName.get('identity');
    const second = byName.get('identity-2');
    assert.ok(identity && second);
    assert.deepEqual(second.privateDirs, identity.privateDirs);
    assert.notEqual(second.stateDir, identity.stateDir);
    assert.notEqual(second.pseudonymKeyCopy, identity.pseudonymKeyCopy);
  });

  it('tells each replica which it is, and it reads that back', () => {
    const gateway = byName.get('gateway-2');
    assert.ok(gateway);
    const env = readComponentEnv('gateway', gateway.env);
    assert.equal(env.replica, '2');
    assert.equal(env.component, 'gateway', 'the component variable stays the kind');
    assert.equal(byName.get('identity-2')?.env[componentEnv.replica.name], '2');
    assert.equal(byName.get('identity')?.env[componentEnv.replica.name], '1');
  });

  it('runs every replica as its component’s one user (SO_REUSEPORT works within one user only)', () => {
    assert.equal(componentUserName({ name: 'gateway-2', kind: 'gateway' }), 'rampart-gateway');
    assert.equal(componentUserName({ name: 'identity-2', kind: 'identity' }), 'rampart-identity');
  });
});

describe('the shared-port guard', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  it('counts the replicas’ sockets as theirs and any other as foreign', async (t) => {
    if (process.platform !== 'linux') {
      t.skip('reads /proc');
      return;
    }
    const [port] = await freePorts(1);
    assert.ok(port);
    assert.deepEqual(foreignListeners(port, [process.pid]), []);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) =>
      server.listen({ port, host: '127.0.0.1', reusePort: true }, resolve),
    );
    // This process holds it: one of the "replicas".
    assert.deepEqual(foreignListeners(port, [process.pid]), []);
    // Nobody the supervisor started holds it: an intruder.
    const foreign = foreignListeners(port, []);
    assert.equal(foreign.length, 1);
    assert.equal(foreign[0]?.uid, process.getuid?.());
  });
});
