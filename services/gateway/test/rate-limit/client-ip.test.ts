import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clientIp, ipv6Prefix64, rateLimitKeys } from '../../src/rate-limit/index.ts';

const proxies = ['10.0.0.0/8', '192.0.2.10', 'fd00::/8'] as const;

const cases: readonly (readonly [label: string, peer: string, xff: string | undefined, expected: string])[] =
  [
    ['no header: the socket address', '203.0.113.5', undefined, '203.0.113.5'],
    ['spoofed XFF from an untrusted peer is ignored', '203.0.113.5', '1.1.1.1', '203.0.113.5'],
    ['trusted exact proxy: the client it saw', '192.0.2.10', '198.51.100.7', '198.51.100.7'],
    ['trusted CIDR proxy', '10.1.2.3', '198.51.100.7', '198.51.100.7'],
    [
      'chain of proxies: right-most untrusted wins',
      '10.0.0.1',
      '6.6.6.6, 198.51.100.7, 10.0.0.2, 192.0.2.10',
      '198.51.100.7',
    ],
    ['client-forged left entries are not believed', '10.0.0.1', '127.0.0.1, 198.51.100.7', '198.51.100.7'],
    ['every hop trusted: the furthest', '10.0.0.1', '10.0.0.3, 10.0.0.2', '10.0.0.3'],
    ['IPv6 peer and client', 'fd00::1', '2001:db8::1', '2001:db8::1'],
    ['IPv6 upper case is normalized', 'fd00::1', '2001:DB8::ABCD', '2001:db8::abcd'],
    ['bracketed IPv6 with port', 'fd00::1', '[2001:db8::1]:443', '2001:db8::1'],
    ['IPv4 with port', '10.0.0.1', '198.51.100.7:5555', '198.51.100.7'],
    ['IPv4-mapped peer counts as IPv4', '::ffff:10.0.0.1', '198.51.100.7', '198.51.100.7'],
    ['IPv4-mapped untrusted peer is normalized', '::ffff:203.0.113.5', '1.1.1.1', '203.0.113.5'],
    ['garbage: the socket address', '10.0.0.1', 'not-an-ip', '10.0.0.1'],
    ['garbage on the way: the socket address', '10.0.0.1', '198.51.100.7, evil, 10.0.0.2', '10.0.0.1'],
    ['empty header', '10.0.0.1', '', '10.0.0.1'],
    ['empty entries', '10.0.0.1', ',,', '10.0.0.1'],
    ['out-of-range octets', '10.0.0.1', '999.1.1.1', '10.0.0.1'],
    ['header injection attempt', '10.0.0.1', '1.2.3.4\r\nX-Admin: 1', '10.0.0.1'],
  ];

for (const [label, peer, xff, expected] of cases) {
  test(`clientIp: ${label}`, () => {
    assert.equal(clientIp(peer, xff, proxies), expected);
  });
}

test('clientIp: no trusted proxies means XFF is never read', () => {
  assert.equal(clientIp('10.0.0.1', '198.51.100.7', []), '10.0.0.1');
});

test('clientIp: a malformed trusted-proxy entry is a configuration error', () => {
  for (const bad of ['10.0.0.0/33', 'fd00::/129', 'proxy.local', '10.0.0.0/8/1', '10.0.0.0/x']) {
    assert.throws(() => clientIp('10.0.0.1', '1.2.3.4', [bad]), TypeError, bad);
  }
});

test('ipv6Prefix64 keeps the /64 a subscriber is given', () => {
  assert.equal(ipv6Prefix64('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  assert.equal(ipv6Prefix64('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(ipv6Prefix64('::1'), '0:0:0:0::/64');
  assert.equal(ipv6Prefix64('2001:0db8:0001:0002::'), '2001:db8:1:2::/64');
  assert.equal(ipv6Prefix64('::ffff:1.2.3.4'), '0:0:0:0::/64');
  assert.equal(ipv6Prefix64('1.2.3.4'), undefined);
});

test('rateLimitKeys: fixed length whatever the identity, missing identities skipped', () => {
  const huge = 'x'.repeat(100_000);
  const keys = rateLimitKeys({ route: '/r', ip: '1.2.3.4', user: huge, client: huge }, [
    'ip',
    'client',
    'user',
    'route',
  ]);
  assert.equal(keys.length, 4);
  for (const key of keys) assert.ok(key.length <= 30, key);
  assert.deepEqual(
    rateLimitKeys({ route: '/r', ip: '1.2.3.4' }, undefined).map((k) => k.split(':')[0]),
    ['ip'],
  );
  // Two addresses in one /64 share a key; another /64 does not.
  const [a] = rateLimitKeys({ route: '/r', ip: '2001:db8:0:1::a' }, ['ip']);
  const [b] = rateLimitKeys({ route: '/r', ip: '2001:db8:0:1::b' }, ['ip']);
  const [c] = rateLimitKeys({ route: '/r', ip: '2001:db8:0:2::a' }, ['ip']);
  assert.equal(a, b);
  assert.notEqual(a, c);
});
