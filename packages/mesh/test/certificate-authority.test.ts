import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { chmod, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CertificateAuthority, createWorkloadCsr, pemBlocks, peerSpiffeId } from '@rampart/mesh';
import { RampartError } from '@rampart/errors';
import { tempDir } from '@rampart/testing';
import { csrSignedByAnotherKey, rsaCsr } from './helpers.ts';

const td = 'shop.local';
const orders = 'spiffe://shop.local/service/orders';
const MIN = 60_000;

function verifiesAgainst(leafPem: string, bundlePem: string): boolean {
  const leaf = new X509Certificate(leafPem);
  return pemBlocks(bundlePem).some((rootPem) => {
    const root = new X509Certificate(rootPem);
    return leaf.checkIssued(root) && leaf.verify(root.publicKey);
  });
}

async function leafFor(ca: CertificateAuthority, spiffeId = orders, ttlMs = 5 * MIN): Promise<string> {
  const { csrPem } = await createWorkloadCsr(spiffeId);
  return (await ca.issue({ csrPem, spiffeId, ttlMs })).certPem;
}

describe('CertificateAuthority', async () => {
  const home = await tempDir('rampart-mesh-ca-');
  after(() => home.cleanup());

  it('keeps its key in a 0600 file that no output contains', async () => {
    const dir = join(home.path, 'keys');
    const ca = await CertificateAuthority.open(dir, { trustDomain: td });
    const files = await readdir(dir);
    const keyFiles = files.filter((f) => f.endsWith('.key'));
    assert.equal(keyFiles.length, 1);
    assert.equal((await stat(join(dir, keyFiles[0]!))).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    const keyPem = await readFile(join(dir, keyFiles[0]!), 'utf8');
    const keyBody = keyPem.split('\n')[1]!;
    const { csrPem } = await createWorkloadCsr(orders);
    const issued = await ca.issue({ csrPem, spiffeId: orders });
    const outputs = [
      JSON.stringify(issued),
      await ca.bundlePem(),
      JSON.stringify(ca.roots()),
      JSON.stringify(ca),
      await readFile(join(dir, 'state.json'), 'utf8'),
    ];
    for (const output of outputs) {
      assert.ok(!output.includes(keyBody));
      assert.ok(!output.includes('PRIVATE KEY'));
    }
  });

  it('issues a leaf with exactly the bound ID, whatever the CSR asks for', async () => {
    const ca = await CertificateAuthority.open(join(home.path, 'issue'), { trustDomain: td });
    const { csrPem } = await createWorkloadCsr('spiffe://shop.local/service/payments');
    const before = Date.now();
    const issued = await ca.issue({ csrPem, spiffeId: orders, ttlMs: 10 * MIN, ipSans: ['127.0.0.1'] });
    const leaf = new X509Certificate(issued.certPem);
    assert.equal(leaf.subjectAltName, `URI:${orders}, IP Address:127.0.0.1`);
    assert.equal(peerSpiffeId(leaf), orders);
    assert.equal(leaf.ca, false);
    assert.ok(Math.abs(Date.parse(leaf.validTo) - (before + 10 * MIN)) < 5000);
    assert.ok(Math.abs(Date.parse(leaf.validFrom) - (before - MIN)) < 5000);
    assert.match(leaf.serialNumber, /^[0-9A-F]{32}$/);
    assert.ok(leaf.checkIssued(new X509Certificate(issued.chainPems[0]!)));
    const text = leaf.toLegacyObject();
    assert.deepEqual([...(text.ext_key_usage ?? [])].sort(), ['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    const second = await ca.issue({ csrPem, spiffeId: orders });
    assert.notEqual(second.serial, issued.serial);
  });

  const badCsrs: [string, () => Promise<string>][] = [
    ['signed by a different key than it carries', () => csrSignedByAnotherKey(orders)],
    ['not PEM', () => Promise.resolve('hello')],
    ['truncated', async () => (await createWorkloadCsr(orders)).csrPem.slice(0, 200)],
    ['over an RSA key', rsaCsr],
    ['too large', () => Promise.resolve('A'.repeat(20_000))],
  ];
  for (const [name, make] of badCsrs) {
    it(`refuses a CSR ${name} with MESH_CSR_INVALID`, async () => {
      const ca = await CertificateAuthority.open(join(home.path, 'csr'), { trustDomain: td });
      const csrPem = await make();
      await assert.rejects(ca.issue({ csrPem, spiffeId: orders }), (error: unknown) => {
        assert.ok(error instanceof RampartError);
        assert.equal(error.code, 'MESH_CSR_INVALID');
        return true;
      });
    });
  }

  const misuse: [string, Partial<{ spiffeId: string; ttlMs: number; ipSans: string[] }>][] = [
    ['a TTL under 5 minutes', { ttlMs: 4 * MIN }],
    ['a TTL over 24 hours', { ttlMs: 25 * 60 * MIN }],
    ['a fractional TTL', { ttlMs: 5 * MIN + 0.5 }],
    ['an ID of another trust domain', { spiffeId: 'spiffe://other.local/service/orders' }],
    ['a malformed ID', { spiffeId: 'orders' }],
    ['a bad IP SAN', { ipSans: ['localhost'] }],
  ];
  for (const [name, change] of misuse) {
    it(`throws a TypeError for ${name}`, async () => {
      const ca = await CertificateAuthority.open(join(home.path, 'misuse'), { trustDomain: td });
      const { csrPem } = await createWorkloadCsr(orders);
      await assert.rejects(ca.issue({ csrPem, spiffeId: orders, ...change }), TypeError);
    });
  }

  it('refuses to load a key readable by others, or another trust domain', async () => {
    const dir = join(home.path, 'lax');
    await CertificateAuthority.open(dir, { trustDomain: td });
    await assert.rejects(CertificateAuthority.open(dir, { trustDomain: 'other.local' }), TypeError);
    const keyFile = (await readdir(dir)).find((f) => f.endsWith('.key'))!;
    await chmod(join(dir, keyFile), 0o644);
    await assert.rejects(CertificateAuthority.open(dir, { trustDomain: td }), /chmod 600/);
  });

  it('rotates: old and new leaves verify against the bundle until the old root retires', async () => {
    const dir = join(home.path, 'rotate');
    const ca = await CertificateAuthority.open(dir, { trustDomain: td });
    const oldLeaf = await leafFor(ca);
    await ca.rotate();
    const newLeaf = await leafFor(ca);
    const bundle = await ca.bundlePem();
    assert.equal(pemBlocks(bundle).length, 2);
    assert.ok(verifiesAgainst(oldLeaf, bundle));
    assert.ok(verifiesAgainst(newLeaf, bundle));
    assert.ok(!verifiesAgainst(oldLeaf, pemBlocks(bundle)[0]!), 'new leaves are signed by the new root');

    const reopened = await CertificateAuthority.open(dir, { trustDomain: td });
    assert.equal(await reopened.bundlePem(), bundle, 'a restart keeps both roots and the active one');
    assert.ok(verifiesAgainst(await leafFor(reopened), pemBlocks(bundle)[0]!));

    assert.equal(await reopened.retireOld(), 1);
    const after = await reopened.bundlePem();
    assert.equal(pemBlocks(after).length, 1);
    assert.ok(!verifiesAgainst(oldLeaf, after));
    assert.equal((await readdir(dir)).filter((f) => f.endsWith('.key')).length, 1, 'the old key is deleted');
  });

  it('retires the previous root by itself once its last leaf has expired', async () => {
    let now = Date.now();
    const ca = await CertificateAuthority.open(join(home.path, 'auto'), { trustDomain: td, now: () => now });
    await leafFor(ca, orders, 5 * MIN);
    await ca.rotate();
    assert.equal(pemBlocks(await ca.bundlePem()).length, 2);
    const [, old] = ca.roots();
    assert.ok(old !== undefined && old.retireAt !== null);
    now += 5 * MIN + 30_000;
    assert.equal(pemBlocks(await ca.bundlePem()).length, 2, 'still trusted within the skew minute');
    now += 60_000;
    assert.equal(pemBlocks(await ca.bundlePem()).length, 1);
  });
});
