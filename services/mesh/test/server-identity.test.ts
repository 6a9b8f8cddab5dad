import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { CertificateAuthority, pemBlocks } from '@rampart/mesh';
import { createLogger } from '@rampart/sdk';
import { tempDir } from '@rampart/testing';
import { ServerIdentity } from '../src/server-identity.ts';
import { MESH_ID, TD } from './helpers.ts';

const MIN = 60_000;
const TTL = 10 * MIN;

function issuerIndex(certPem: string, bundlePem: string): number {
  const leaf = new X509Certificate(certPem);
  return pemBlocks(bundlePem).findIndex((rootPem) => {
    const root = new X509Certificate(rootPem);
    return leaf.checkIssued(root) && leaf.verify(root.publicKey);
  });
}

describe("the mesh's own certificate during a CA rotation", async () => {
  const home = await tempDir('rampart-mesh-server-identity-');
  after(() => home.cleanup());

  it('stays on the old root until the new one activates, and trusts both meanwhile', async () => {
    const clock = { now: Date.now() };
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    const log = createLogger('mesh', { destination, level: 'debug' });
    const ca = await CertificateAuthority.open(join(home.path, 'ca'), {
      trustDomain: TD,
      now: () => clock.now,
    });
    const bundleFile = join(home.path, 'bundle.pem');
    const identity = await ServerIdentity.create({
      ca,
      spiffeId: MESH_ID,
      ttlMs: TTL,
      bundleFile,
      log,
      now: () => clock.now,
      onRootActivated: (root) => activated.push(root),
    });
    const activated: string[] = [];
    const beforeBundle = await readFile(bundleFile, 'utf8');
    const cert = (): string => String(identity.secureContextOptions().cert);

    const { activatesAt, root: newRoot } = await ca.rotate();
    assert.equal(activatesAt.getTime(), clock.now + TTL + MIN, 'after its own leaf has expired');
    await identity.refreshTrust();
    const rotatedBundle = await readFile(bundleFile, 'utf8');
    assert.equal(pemBlocks(rotatedBundle).length, 2, 'bundle.pem holds the pending root');
    assert.equal(
      identity.secureContextOptions().ca,
      rotatedBundle,
      'client certificates of both roots accepted',
    );

    clock.now += TTL / 2;
    await identity.renewIfDue();
    assert.equal(
      issuerIndex(cert(), beforeBundle),
      0,
      'renewed from the old root while the new one is pending',
    );

    clock.now = activatesAt.getTime();
    await identity.refreshTrust();
    identity.noteActivation();
    const activeBundle = await readFile(bundleFile, 'utf8');
    assert.equal(pemBlocks(activeBundle)[0], pemBlocks(rotatedBundle)[1], 'the new root is listed first');
    assert.ok(lines.some((line) => line.includes('CA root activated')));
    assert.deepEqual(activated, [newRoot], 'told once, with the new root');
    identity.noteActivation();
    assert.equal(activated.length, 1, 'not told again for the same root');
    await identity.renewIfDue();
    assert.equal(issuerIndex(cert(), rotatedBundle), 1, 'renewed from the new root once active');
    assert.equal(issuerIndex(cert(), beforeBundle), -1);
  });
});
