import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attemptKeys, clientKey } from '../../src/accounts/brute-force-keys.ts';

describe('brute-force counter keys', () => {
  it('count a username the way the store normalizes it', () => {
    assert.deepEqual(
      attemptKeys('Alice', '203.0.113.9'),
      attemptKeys('\uff41\uff4c\uff49\uff43\uff45', '203.0.113.9'),
    );
    assert.notEqual(
      attemptKeys('alice', '203.0.113.9').account,
      attemptKeys('alicia', '203.0.113.9').account,
    );
  });

  it('separate pairs by IP but keep one account key across IPs', () => {
    const a = attemptKeys('alice', '203.0.113.9');
    const b = attemptKeys('alice', '198.51.100.7');
    assert.equal(a.account, b.account);
    assert.notEqual(a.pair, b.pair);
    assert.notEqual(a.ip, b.ip);
  });

  it('reduce a client to an IPv4 address or an IPv6 /64', () => {
    const table: [string, string][] = [
      ['203.0.113.9', '203.0.113.9'],
      ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
      ['2001:0DB8:0001:0002::ffff', '2001:db8:1:2::/64'],
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['::1', '0:0:0:0::/64'],
      ['::ffff:203.0.113.9', '203.0.113.9'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['not an address', 'other:not an address'],
    ];
    for (const [input, expected] of table) assert.equal(clientKey(input), expected, input);
  });

  it('give every IPv6 address its own /64 (checked against node:net)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const key = clientKey(address);
        const blocks = new BlockList();
        if (key.endsWith('::/64')) blocks.addSubnet(key.slice(0, -3), 64, 'ipv6');
        else blocks.addAddress(key, 'ipv4');
        return blocks.check(address, 'ipv6') || blocks.check(key, 'ipv4');
      }),
    );
  });

  it('are 22 characters whatever the input, so attackers cannot grow them', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 5000, unit: 'binary' }),
        fc.string({ maxLength: 200 }),
        (username, ip) => {
          const keys = attemptKeys(username, ip);
          return [keys.pair, keys.ip, keys.account].every((key) => /^[A-Za-z0-9_-]{22}$/.test(key));
        },
      ),
    );
  });
});
