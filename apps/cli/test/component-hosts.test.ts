// `rampart up --rehearse-cluster`: which address each component gets, what its plan says, and the
// port preflight at those addresses (a port taken on 127.0.0.1 no longer stops a component that
// will listen elsewhere; one taken at its own address, or on a wildcard, does).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { componentEnv, loadConfig, parseConfig, type RampartConfig } from '@rampart/config';
import { isRampartError } from '@rampart/errors';
import { freePorts } from '@rampart/testing';
import { componentHosts } from '../src/up/component-hosts.ts';
import { planComponents } from '../src/up/component-plan.ts';
import { installationRoot } from '../src/up/installation.ts';
import { preflightPorts } from '../src/up/port-preflight.ts';
import { stateDirFor } from '../src/up/state-dir.ts';

const shopFile = join(installationRoot(), 'examples/shop/rampart.yaml');

function parse(text: string): RampartConfig {
  const loaded = parseConfig(text, '/tmp/rampart.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  return loaded.config;
}

describe('componentHosts', () => {
  it('puts every component on 127.0.0.1, with no peer named, outside the rehearsal', async () => {
    const loaded = await loadConfig(shopFile);
    assert.ok(loaded.ok);
    const hosts = componentHosts(loaded.config, false);
    for (const name of ['mesh', 'identity', 'audit', 'gateway', 'orders'])
      assert.equal(hosts.hostOf(name), '127.0.0.1');
    assert.deepEqual(hosts.peers, {});
  });

  it('gives each component its own loopback address in the rehearsal, services by name from 127.0.0.10', async () => {
    const loaded = await loadConfig(shopFile);
    assert.ok(loaded.ok);
    const hosts = componentHosts(loaded.config, true, 'linux');
    assert.deepEqual(hosts.peers, {
      mesh: '127.0.0.2',
      identity: '127.0.0.3',
      audit: '127.0.0.4',
      gateway: '127.0.0.5',
      orders: '127.0.0.10',
      payments: '127.0.0.11',
      profiles: '127.0.0.12',
      reviews: '127.0.0.13',
      stock: '127.0.0.14',
    });
    assert.equal(
      new Set(Object.values(hosts.peers)).size,
      Object.keys(hosts.peers).length,
      'no address twice',
    );
  });

  it('refuses the rehearsal off Linux, and more services than 127.0.0.10–254 holds', async () => {
    const loaded = await loadConfig(shopFile);
    assert.ok(loaded.ok);
    assert.throws(() => componentHosts(loaded.config, true, 'darwin'), /--rehearse-cluster needs Linux/u);
    const many = Array.from({ length: 246 }, (_, i) => `  s${i}: { entry: s.ts, port: ${10_000 + i} }`).join(
      '\n',
    );
    assert.throws(
      () => componentHosts(parse(`version: 1\nname: big\nservices:\n${many}\n`), true, 'linux'),
      /246 services do not fit/u,
    );
  });

  it("writes each plan's address and peers into its environment, and its URLs", async () => {
    const loaded = await loadConfig(shopFile);
    assert.ok(loaded.ok);
    const plans = planComponents(loaded.config, {
      configFile: loaded.file,
      state: stateDirFor(loaded.file),
      logLevel: 'info',
      hosts: componentHosts(loaded.config, true, 'linux'),
    });
    const plan = (name: string) => {
      const found = plans.find((candidate) => candidate.name === name);
      assert.ok(found, name);
      return found;
    };
    assert.equal(plan('identity').env[componentEnv.listenHost.name], '127.0.0.3');
    assert.match(plan('identity').readyUrl, /^http:\/\/127\.0\.0\.3:\d+\/readyz$/u);
    assert.match(plan('orders').env[componentEnv.meshUrl.name] ?? '', /^https:\/\/127\.0\.0\.2:\d+$/u);
    assert.match(plan('orders').env[componentEnv.auditUrl.name] ?? '', /^https:\/\/127\.0\.0\.4:\d+$/u);
    assert.equal(
      (JSON.parse(plan('gateway').env[componentEnv.peerHosts.name] ?? '{}') as Record<string, string>)[
        'reviews'
      ],
      '127.0.0.13',
    );
    assert.equal(plan('mesh').env[componentEnv.peerHosts.name], undefined, 'the mesh dials no peer');
  });
});

describe('the port preflight at each component’s address', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });
  async function hold(port: number, host: string): Promise<void> {
    const server = createServer();
    servers.push(server);
    server.listen({ port, host, exclusive: true });
    await once(server, 'listening');
  }

  it('checks identity’s port at 127.0.0.3 in the rehearsal, and at 127.0.0.1 otherwise', async () => {
    const [gateway, admin, identity, identityAdmin, mesh, meshAdmin, audit, auditAdmin, orders] =
      await freePorts(9);
    const config = parse(
      `version: 1\nname: t\nports: { gateway: ${gateway}, admin: ${admin}, identity: ${identity}, identityAdmin: ${identityAdmin}, ` +
        `mesh: ${mesh}, meshAdmin: ${meshAdmin}, audit: ${audit}, auditAdmin: ${auditAdmin} }\n` +
        `services:\n  orders: { entry: o.ts, port: ${orders} }\n`,
    );
    const rehearsal = componentHosts(config, true, 'linux');
    await hold(identity ?? 0, '127.0.0.1');
    // Someone else's 127.0.0.1:<identity> does not take connections to 127.0.0.3.
    await preflightPorts(config, new Set(), rehearsal);
    await assert.rejects(
      preflightPorts(config),
      (error: unknown) => isRampartError(error) && error.code === 'SUP_PORT_IN_USE',
    );
    await hold(orders ?? 0, '127.0.0.10');
    await assert.rejects(
      preflightPorts(config, new Set(), rehearsal),
      (error: unknown) =>
        isRampartError(error) &&
        error.code === 'SUP_PORT_IN_USE' &&
        /services\.orders\.port: port \d+ on 127\.0\.0\.10/u.test(error.detail ?? ''),
    );
  });
});
