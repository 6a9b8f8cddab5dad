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
    const issued = await ca.issue({
      csrPem,
      spiffeId: orders,
      ttlMs: 10 * MIN,
      ipSans: ['127.0.0.1'],
      dnsSans: ['localhost'],
    });
    const leaf = new X509Certificate(issued.certPem);
    assert.equal(leaf.subjectAltName, `URI:${orders}, IP Address:127.0.0.1, DNS:localhost`);
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

  const misuse: [
    string,
    Partial<{ spiffeId: string; ttlMs: number; ipSans: string[]; dnsSans: string[] }>,
  ][] = [
    ['a TTL under 5 minutes', { ttlMs: 4 * MIN }],
    ['a TTL over 24 hours', { ttlMs: 25 * 60 * MIN }],
    ['a fractional TTL', { ttlMs: 5 * MIN + 0.5 }],
    ['an ID of another trust domain', { spiffeId: 'spiffe://other.local/service/orders' }],
    ['a malformed ID', { spiffeId: 'orders' }],
    ['a bad IP SAN', { ipSans: ['localhost'] }],
    ['a bad DNS SAN', { dnsSans: ['evil.example/x'] }],
    ['a wildcard DNS SAN', { dnsSans: ['*.example.com'] }],
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
    const { root } = await ca.rotate();
    assert.equal(await ca.activatePending(), root);
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
    await ca.activatePending();
    assert.equal(pemBlocks(await ca.bundlePem()).length, 2);
    const [, old] = ca.roots();
    assert.ok(old !== undefined && old.status === 'retiring' && old.retireAt !== null);
    now += 5 * MIN + 30_000;
    assert.equal(pemBlocks(await ca.bundlePem()).length, 2, 'still trusted within the skew minute');
    now += 60_000;
    assert.equal(pemBlocks(await ca.bundlePem()).length, 1);
  });

  describe('rotation: publish first, sign later', () => {
    /** A CA on a clock the test moves, with a first leaf of `ttlMs` issued before the rotation. */
    async function rotating(name: string, ttlMs = 10 * MIN) {
      const clock = { now: Date.now() };
      const dir = join(home.path, name);
      const open = () => CertificateAuthority.open(dir, { trustDomain: td, now: () => clock.now });
      const ca = await open();
      const beforeBundle = await ca.bundlePem();
      const [oldRoot] = pemBlocks(beforeBundle);
      const preRotationLeaf = await leafFor(ca, orders, ttlMs);
      const rotation = await ca.rotate();
      const rotatedBundle = await ca.bundlePem();
      return {
        clock,
        dir,
        open,
        ca,
        beforeBundle,
        oldRoot: oldRoot!,
        preRotationLeaf,
        rotation,
        rotatedBundle,
      };
    }

    it('publishes the new root at once but keeps signing with the old one until activation', async () => {
      const { clock, ca, beforeBundle, oldRoot, rotation, rotatedBundle } = await rotating('publish');
      assert.equal(rotation.activatesAt.getTime(), clock.now + 10 * MIN + MIN, 'last old leaf expiry + skew');
      assert.equal(pemBlocks(rotatedBundle).length, 2, 'the new root is in the bundle at once');
      assert.equal(pemBlocks(rotatedBundle)[0], oldRoot, 'the active root comes first');
      const newRoot = pemBlocks(rotatedBundle)[1]!;
      assert.deepEqual(
        ca.roots().map((r) => [r.id, r.status]),
        [
          [ca.roots()[0]!.id, 'active'],
          [rotation.root, 'pending'],
        ],
      );
      assert.equal(ca.roots()[1]!.activatesAt?.getTime(), rotation.activatesAt.getTime());
      await assert.rejects(ca.rotate(), /already in progress/, 'one rotation at a time');

      const leaves: string[] = [];
      for (const step of [0, 3 * MIN, 7 * MIN, 10 * MIN + 59_000]) {
        clock.now = rotation.activatesAt.getTime() - 11 * MIN + step;
        const leaf = await leafFor(ca);
        leaves.push(leaf);
        assert.ok(verifiesAgainst(leaf, oldRoot), `still signed by the old root ${step} ms after rotate()`);
        assert.ok(!verifiesAgainst(leaf, newRoot));
        assert.ok(verifiesAgainst(leaf, beforeBundle), 'a peer with the pre-rotation bundle accepts it');
        assert.ok(verifiesAgainst(leaf, rotatedBundle));
      }

      clock.now = rotation.activatesAt.getTime();
      const activeLeaf = await leafFor(ca);
      assert.ok(verifiesAgainst(activeLeaf, newRoot), 'the new root signs once the delay has passed');
      assert.ok(!verifiesAgainst(activeLeaf, oldRoot));
      assert.ok(
        verifiesAgainst(activeLeaf, rotatedBundle),
        'a peer with the bundle from rotate() accepts it',
      );
      for (const leaf of leaves) assert.ok(verifiesAgainst(leaf, rotatedBundle));
      assert.deepEqual(
        ca.roots().map((r) => r.status),
        ['active', 'retiring'],
      );
      assert.equal(pemBlocks(await ca.bundlePem())[0], newRoot, 'the new active root comes first');
    });

    it('activates at once with activatePending()', async () => {
      const { ca, oldRoot, rotation, rotatedBundle, preRotationLeaf } = await rotating('explicit');
      assert.equal(await ca.activatePending(), rotation.root);
      assert.equal(await ca.activatePending(), null, 'nothing pending any more');
      const leaf = await leafFor(ca);
      assert.ok(!verifiesAgainst(leaf, oldRoot));
      assert.ok(verifiesAgainst(leaf, rotatedBundle));
      assert.ok(verifiesAgainst(preRotationLeaf, rotatedBundle));
      assert.equal(await ca.retireOld(), 1, 'the old root is retiring');
      assert.equal(pemBlocks(await ca.bundlePem()).length, 1);
    });

    it('activates at once when the old root has no leaf to wait for', async () => {
      let now = Date.now();
      const ca = await CertificateAuthority.open(join(home.path, 'unused'), {
        trustDomain: td,
        now: () => now,
      });
      const { root, activatesAt } = await ca.rotate();
      assert.equal(activatesAt.getTime(), now);
      assert.equal(ca.roots()[0]!.id, root);
      now += MIN;
      assert.equal(pemBlocks(await ca.bundlePem()).length, 1, 'the unused old root is dropped');
    });

    it('keeps the pending state across a restart, and activates on time after it', async () => {
      const { clock, dir, open, ca, oldRoot, rotation, rotatedBundle } = await rotating('restart');
      const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(state['pending'], {
        id: rotation.root,
        activatesAt: rotation.activatesAt.toISOString(),
      });
      const reopened = await open();
      assert.deepEqual(reopened.roots(), ca.roots());
      assert.equal(await reopened.bundlePem(), rotatedBundle);
      assert.ok(verifiesAgainst(await leafFor(reopened), oldRoot), 'still pending after the restart');
      await assert.rejects(reopened.rotate(), /already in progress/);

      clock.now = rotation.activatesAt.getTime();
      const again = await open();
      assert.equal(again.roots()[0]!.id, rotation.root, 'activates on time after a restart');
      assert.ok(!verifiesAgainst(await leafFor(again), oldRoot));
      const persisted = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(persisted['active'], rotation.root);
      assert.equal(persisted['pending'], null);
    });

    it('keeps the old root until its last leaf, issued during the rotation, has expired', async () => {
      const { clock, ca, oldRoot, rotation, rotatedBundle, beforeBundle } = await rotating(
        'overlap',
        5 * MIN,
      );
      const activation = rotation.activatesAt.getTime();
      clock.now = activation - 10_000;
      const lastOldLeaf = await leafFor(ca, orders, 30 * MIN);
      assert.ok(verifiesAgainst(lastOldLeaf, beforeBundle));
      clock.now = activation;
      const newLeaf = await leafFor(ca);
      const retiring = ca.roots().find((r) => r.status === 'retiring');
      assert.equal(retiring?.retireAt?.getTime(), activation - 10_000 + 30 * MIN + MIN);

      clock.now = activation - 10_000 + 30 * MIN;
      const bundle = await ca.bundlePem();
      assert.equal(pemBlocks(bundle).length, 2, 'the old root is trusted while its last leaf is valid');
      assert.ok(verifiesAgainst(lastOldLeaf, bundle));
      assert.ok(verifiesAgainst(newLeaf, bundle));
      clock.now += MIN;
      const after = await ca.bundlePem();
      assert.deepEqual(pemBlocks(after), [pemBlocks(rotatedBundle)[1]]);
      assert.ok(!pemBlocks(after).includes(oldRoot));
      assert.ok(verifiesAgainst(newLeaf, after));
    });
  });
});
