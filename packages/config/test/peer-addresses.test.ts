import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  componentEnv,
  hostProblem,
  listenHost,
  peerOrigin,
  readComponentEnv,
  writeComponentEnv,
} from '@rampart/config';

const LISTEN = componentEnv.listenHost.name;
const PEERS = componentEnv.peerHosts.name;

/** The message of the TypeError `read` throws. */
function refusal(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    assert.ok(error instanceof TypeError, 'a deployment mistake is a TypeError');
    return error.message;
  }
  assert.fail('expected a refusal');
}

const serviceEnv = {
  RAMPART_CONFIG: '/srv/rampart.yaml',
  RAMPART_COMPONENT: 'orders',
  RAMPART_STATE_DIR: '/srv/.rampart/orders',
  RAMPART_INTERNAL_TOKEN_KEY: '/srv/.rampart/keys/internal-token.pub.pem',
};

describe('where a component listens: RAMPART_LISTEN_HOST', () => {
  it('is 127.0.0.1 when unset or empty', () => {
    assert.equal(listenHost({}), '127.0.0.1');
    assert.equal(listenHost({ [LISTEN]: '' }), '127.0.0.1');
  });

  for (const address of ['0.0.0.0', '::', '127.0.0.3', '10.1.2.3', 'fd00::7']) {
    it(`takes the IP address ${address}`, () => {
      assert.equal(listenHost({ [LISTEN]: address }), address);
    });
  }

  for (const bad of ['localhost', 'rampart-identity.shop.svc', '0.0.0.0:8444', '[::]', '10.0.0.300']) {
    it(`refuses ${JSON.stringify(bad)}, naming the variable and without echoing it`, () => {
      const message = refusal(() => listenHost({ [LISTEN]: bad }));
      assert.match(message, new RegExp(`^${LISTEN} must be an IP address`, 'u'));
      assert.match(message, /the value is not an IP address/u);
      assert.ok(!message.includes(bad), message);
    });
  }

  it('is checked at boot with the rest of the contract', () => {
    const message = refusal(() => readComponentEnv('service', { ...serviceEnv, [LISTEN]: 'localhost' }));
    assert.match(message, new RegExp(`${LISTEN} must be an IP address`, 'u'));
    assert.equal(readComponentEnv('service', { ...serviceEnv, [LISTEN]: '0.0.0.0' }).listenHost, '0.0.0.0');
  });
});

describe('where a peer is: RAMPART_PEER_HOSTS and peerOrigin', () => {
  const peers = (map: Record<string, string>) => ({ [PEERS]: JSON.stringify(map) });

  it('is 127.0.0.1 for every peer when unset', () => {
    assert.equal(peerOrigin('identity', 8444, {}), 'https://127.0.0.1:8444');
  });

  it('is the named host for a peer in the map, 127.0.0.1 for one not in it', () => {
    const env = peers({ identity: 'rampart-identity.shop.svc', orders: '127.0.0.10', audit: 'fd00::4' });
    assert.equal(peerOrigin('identity', 8444, env), 'https://rampart-identity.shop.svc:8444');
    assert.equal(peerOrigin('orders', 7102, env), 'https://127.0.0.10:7102');
    assert.equal(peerOrigin('audit', 8446, env), 'https://[fd00::4]:8446', 'an IPv6 host in brackets');
    assert.equal(peerOrigin('payments', 7103, env), 'https://127.0.0.1:7103');
  });

  it('never takes a peer from the prototype of the map', () => {
    const env = peers({ identity: 'rampart-identity.shop.svc' });
    assert.equal(peerOrigin('constructor', 1, env), 'https://127.0.0.1:1');
    assert.equal(peerOrigin('__proto__', 1, env), 'https://127.0.0.1:1');
  });

  it('follows the process environment when it changes', () => {
    const before = process.env[PEERS];
    try {
      process.env[PEERS] = JSON.stringify({ identity: '127.0.0.3' });
      assert.equal(peerOrigin('identity', 8444), 'https://127.0.0.3:8444');
      process.env[PEERS] = JSON.stringify({ identity: '127.0.0.9' });
      assert.equal(peerOrigin('identity', 8444), 'https://127.0.0.9:8444');
    } finally {
      // Unset again (the test runner does not set it): `delete` of a computed key is not allowed.
      process.env[PEERS] = before ?? '';
    }
  });

  const refused: [label: string, host: string][] = [
    ['a scheme', 'https://rampart-identity.shop.svc'],
    ['a port', 'rampart-identity.shop.svc:8444'],
    ['a path', 'identity/auth'],
    ['user info', 'user@identity'],
    ['IPv6 in brackets', '[fd00::4]'],
    ['an empty host', ''],
    ['a space', 'rampart identity'],
    ['a trailing dot', 'rampart-identity.shop.svc.'],
    ['a label over 63 characters', `${'a'.repeat(64)}.svc`],
    ['a label ending in -', 'identity-.svc'],
    ['an IPv4 address out of range', '10.0.0.300'],
  ];
  for (const [label, host] of refused) {
    it(`refuses a host with ${label}, naming the entry, not the value`, () => {
      assert.ok(hostProblem(host) !== undefined, label);
      const message = refusal(() => peerOrigin('identity', 8444, peers({ identity: host })));
      assert.match(message, new RegExp(`^${PEERS} must be a JSON object`, 'u'));
      assert.match(message, /the entry "identity" is not a host name or an IP address/u);
      if (host !== '') assert.ok(!message.includes(host), message);
    });
  }

  for (const [label, raw] of [
    ['not JSON', '{identity: x}'],
    ['an array', '["identity"]'],
    ['a name that is no component or service', '{"Identity!":"x"}'],
    ['a host that is no string', '{"identity":8444}'],
  ] as const) {
    it(`refuses a map that is ${label}`, () => {
      assert.match(
        refusal(() => peerOrigin('identity', 8444, { [PEERS]: raw })),
        new RegExp(`^${PEERS} must be`, 'u'),
      );
    });
  }

  it('is checked at boot, and by the writer, with the rest of the contract', () => {
    const bad = { ...serviceEnv, ...peers({ identity: 'identity:8444' }) };
    assert.match(
      refusal(() => readComponentEnv('service', bad)),
      /the entry "identity" is not a host name/u,
    );
    assert.throws(
      () =>
        writeComponentEnv('service', {
          configFile: '/srv/rampart.yaml',
          component: 'orders',
          stateDir: '/srv/.rampart/orders',
          internalTokenKeyFile: '/srv/k.pem',
          peerHosts: { identity: 'https://identity' },
        }),
      new RegExp(`^TypeError: ${PEERS} must be`, 'u'),
    );
  });

  it('is given only to the components that dial peers', () => {
    assert.deepEqual(Object.keys(componentEnv.peerHosts.components).sort(), ['audit', 'gateway', 'service']);
  });
});
