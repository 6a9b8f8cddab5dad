import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  componentSpiffeId,
  parseSpiffeId,
  peerSpiffeId,
  serviceNameOf,
  serviceSpiffeId,
  verifyPeerSpiffeId,
  workloadNameOf,
} from '@rampart/mesh';
import { certificateWith } from './helpers.ts';

describe('SPIFFE IDs', () => {
  it('builds service and component IDs', () => {
    assert.equal(serviceSpiffeId('shop.local', 'orders'), 'spiffe://shop.local/service/orders');
    assert.equal(componentSpiffeId('shop.local', 'mesh'), 'spiffe://shop.local/rampart/mesh');
    assert.equal(serviceNameOf('spiffe://shop.local/service/orders', 'shop.local'), 'orders');
    assert.equal(serviceNameOf('spiffe://other.local/service/orders', 'shop.local'), null);
    assert.equal(serviceNameOf('spiffe://shop.local/rampart/gateway', 'shop.local'), null);
    assert.equal(workloadNameOf('spiffe://shop.local/service/orders', 'shop.local'), 'orders');
    assert.equal(workloadNameOf('spiffe://shop.local/rampart/gateway', 'shop.local'), 'gateway');
    assert.equal(workloadNameOf('spiffe://other.local/rampart/gateway', 'shop.local'), null);
    assert.equal(workloadNameOf('spiffe://shop.local/rampart/gateway/extra', 'shop.local'), null);
    assert.equal(workloadNameOf('spiffe://shop.local/admin/gateway', 'shop.local'), null);
    assert.throws(() => serviceSpiffeId('Shop', 'orders'), TypeError);
    assert.throws(() => serviceSpiffeId('shop.local', '../admin'), TypeError);
  });

  it('parses a well-formed ID', () => {
    assert.deepEqual(parseSpiffeId('spiffe://shop.local/service/orders'), {
      id: 'spiffe://shop.local/service/orders',
      trustDomain: 'shop.local',
      path: '/service/orders',
    });
  });

  const malformed: [string, string][] = [
    ['upper-case scheme', 'SPIFFE://shop.local/service/orders'],
    ['other scheme', 'https://shop.local/service/orders'],
    ['no path', 'spiffe://shop.local'],
    ['root path', 'spiffe://shop.local/'],
    ['trailing slash', 'spiffe://shop.local/service/'],
    ['empty segment', 'spiffe://shop.local/service//orders'],
    ['dot segment', 'spiffe://shop.local/service/./orders'],
    ['dot-dot segment', 'spiffe://shop.local/service/../admin'],
    ['port', 'spiffe://shop.local:8443/service/orders'],
    ['user info', 'spiffe://a@shop.local/service/orders'],
    ['query', 'spiffe://shop.local/service/orders?x=1'],
    ['fragment', 'spiffe://shop.local/service/orders#x'],
    ['percent-encoding', 'spiffe://shop.local/service/%6Frders'],
    ['upper-case trust domain', 'spiffe://Shop.local/service/orders'],
    ['empty trust domain', 'spiffe:///service/orders'],
    ['too long', `spiffe://shop.local/${'a'.repeat(2100)}`],
  ];
  for (const [name, uri] of malformed) {
    it(`rejects an ID with ${name}`, () => {
      assert.equal(parseSpiffeId(uri), null);
    });
  }
});

describe('peerSpiffeId', () => {
  const id = 'spiffe://shop.local/service/orders';

  it('returns the single SPIFFE URI SAN of a certificate', async () => {
    const pem = await certificateWith('CN=orders', [
      { type: 'url', value: id },
      { type: 'dns', value: 'orders' },
    ]);
    const certificate = new X509Certificate(pem);
    assert.equal(peerSpiffeId(certificate), id);
    assert.equal(peerSpiffeId({ raw: certificate.raw }), id);
  });

  const refused: [string, string, { type: 'url' | 'dns' | 'ip'; value: string }[]][] = [
    ['a CN-only certificate', `CN=${id}`, []],
    ['a DNS name only', 'CN=orders', [{ type: 'dns', value: 'orders.shop.local' }]],
    [
      'two URI SANs',
      'CN=x',
      [
        { type: 'url', value: id },
        { type: 'url', value: 'spiffe://shop.local/service/payments' },
      ],
    ],
    ['a non-spiffe URI', 'CN=x', [{ type: 'url', value: 'https://shop.local/service/orders' }]],
    ['a malformed SPIFFE URI', 'CN=x', [{ type: 'url', value: 'spiffe://shop.local/service/../admin' }]],
  ];
  for (const [name, subject, names] of refused) {
    it(`returns null for ${name}`, async () => {
      const certificate = new X509Certificate(await certificateWith(subject, names));
      assert.equal(peerSpiffeId(certificate), null);
    });
  }

  const sanStrings: [string, string, string | null][] = [
    ['one URI', `URI:${id}`, id],
    ['URI beside DNS and IP', `DNS:orders, URI:${id}, IP Address:127.0.0.1`, id],
    ['two URIs', `URI:${id}, URI:spiffe://shop.local/service/payments`, null],
    ['a quoted value hiding a URI', `DNS:"a, URI:${id}"`, null],
    ['no URI', 'DNS:orders', null],
  ];
  for (const [name, subjectaltname, expected] of sanStrings) {
    it(`reads a subjectaltname string with ${name}`, () => {
      assert.equal(peerSpiffeId({ subjectaltname }), expected);
    });
  }

  it('returns null when there is no certificate', () => {
    assert.equal(peerSpiffeId({}), null);
    assert.equal(peerSpiffeId(null), null);
  });

  it('checks a server identity by SPIFFE ID only', async () => {
    const check = verifyPeerSpiffeId(id);
    const good = new X509Certificate(await certificateWith('CN=x', [{ type: 'url', value: id }]));
    const other = new X509Certificate(
      await certificateWith(`CN=${id}`, [{ type: 'url', value: 'spiffe://shop.local/service/payments' }]),
    );
    assert.equal(check('127.0.0.1', { raw: good.raw } as never), undefined);
    assert.ok(check('127.0.0.1', { raw: other.raw } as never) instanceof Error);
    assert.throws(() => verifyPeerSpiffeId('orders'), TypeError);
  });
});
