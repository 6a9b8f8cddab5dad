import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, describe, it } from 'node:test';
import {
  WorkloadIdentityError,
  pemBlocks,
  peerSpiffeId,
  startWorkloadIdentity,
  type WorkloadCredentials,
  type WorkloadIdentity,
} from '@rampart/mesh';
import { MESH_ID, id, startMesh, type MeshFixture } from './helpers.ts';

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function meshWithWorkload(
  options: Partial<Parameters<typeof startWorkloadIdentity>[0]> = {},
): Promise<{ fixture: MeshFixture; identity: WorkloadIdentity }> {
  const fixture = await startMesh();
  cleanups.push(
    () => fixture.home.cleanup(),
    () => fixture.close(),
  );
  const identity = await startWorkloadIdentity({
    authorityUrl: fixture.url,
    authoritySpiffeId: MESH_ID,
    bundlePem: await readFile(fixture.mesh.bundleFile, 'utf8'),
    joinToken: fixture.joinToken('orders'),
    spiffeId: id('orders'),
    ...options,
  });
  cleanups.push(() => {
    identity.stop();
  });
  return { fixture, identity };
}

function issuerOf(credentials: WorkloadCredentials): X509Certificate | undefined {
  const leaf = new X509Certificate(credentials.certPem);
  return credentials.caPems.map((pem) => new X509Certificate(pem)).find((root) => leaf.checkIssued(root));
}

describe('workload identity', () => {
  it('joins, then renews with a new key for the same ID', async () => {
    const { fixture, identity } = await meshWithWorkload();
    const first = identity.current();
    assert.equal(peerSpiffeId(new X509Certificate(first.certPem)), id('orders'));
    assert.deepEqual(first.tokenKeyPems, [fixture.keys.publicPem, fixture.gatewayKeys.publicPem]);
    const rotated: WorkloadCredentials[] = [];
    identity.onRotated((credentials) => rotated.push(credentials));
    const second = await identity.renew();
    assert.notEqual(second.keyPem, first.keyPem);
    assert.notEqual(second.certPem, first.certPem);
    assert.equal(peerSpiffeId(new X509Certificate(second.certPem)), id('orders'));
    assert.deepEqual(rotated, [second]);
  });

  it('refuses to start with a used join token, or an authority of another identity', async () => {
    const fixture = await startMesh();
    cleanups.push(
      () => fixture.home.cleanup(),
      () => fixture.close(),
    );
    const bundlePem = await readFile(fixture.mesh.bundleFile, 'utf8');
    const base = { authorityUrl: fixture.url, bundlePem, spiffeId: id('orders') };
    await assert.rejects(
      startWorkloadIdentity({ ...base, authoritySpiffeId: MESH_ID, joinToken: 'unknown' }),
      (error: unknown) =>
        error instanceof WorkloadIdentityError && /MESH_JOIN_TOKEN_INVALID/.test(error.message),
    );
    await assert.rejects(
      startWorkloadIdentity({
        ...base,
        authoritySpiffeId: 'spiffe://shop.local/rampart/impostor',
        joinToken: fixture.joinToken('orders'),
      }),
      /unreachable/,
    );
  });

  it('picks up a rotated CA at its next renewal, and the new root signs only once activated', async () => {
    const { fixture, identity } = await meshWithWorkload();
    const before = identity.current();
    assert.equal(before.caPems.length, 1);
    const [oldRoot] = before.caPems;
    const bundleChanges: WorkloadCredentials[] = [];
    identity.on('bundle_changed', (credentials) => bundleChanges.push(credentials));

    const { root, activatesAt } = await fixture.mesh.rotateCa();
    assert.ok(activatesAt.getTime() > Date.now(), 'the new root does not sign yet');
    const published = await readFile(fixture.mesh.bundleFile, 'utf8');
    assert.equal(pemBlocks(published).length, 2, 'bundle.pem rewritten at once');
    assert.ok(
      fixture
        .events()
        .some((e) => e['msg'] === 'CA rotation started: new root published' && e['root'] === root),
      'the rotation logged with its root',
    );
    assert.ok(
      fixture.securityEvents().some((e) => e['event'] === 'ca.rotated' && e['outcome'] === 'success'),
      'ca.rotated recorded',
    );

    const during = await identity.renew();
    assert.equal(during.caPems.length, 2, 'the renewal brought the new root');
    assert.equal(bundleChanges.length, 1);
    assert.equal(issuerOf(during)?.fingerprint256, new X509Certificate(oldRoot!).fingerprint256);
    assert.ok(
      issuerOf({ ...during, caPems: before.caPems }) !== undefined,
      'a peer with the pre-rotation bundle accepts a leaf issued during the rotation',
    );

    assert.equal(await fixture.mesh.activatePendingCa(), root);
    const after = await identity.renew();
    assert.equal(after.caPems.length, 2);
    const newRoot = new X509Certificate(after.caPems[0]!);
    assert.notEqual(newRoot.fingerprint256, new X509Certificate(oldRoot!).fingerprint256);
    assert.equal(
      issuerOf(after)?.fingerprint256,
      newRoot.fingerprint256,
      'the new leaf is from the new root',
    );
    assert.ok(
      issuerOf({ ...after, caPems: pemBlocks(published) }) !== undefined,
      'bundle.pem of rotate() suffices',
    );
    assert.ok(issuerOf({ ...after, certPem: before.certPem }) !== undefined, 'the old leaf still verifies');
    assert.equal(bundleChanges.length, 1, 'the roots did not change at activation');
    await identity.renew();
  });

  it('emits rotated and bundle_changed when only the bundle changed', async () => {
    const { fixture, identity } = await meshWithWorkload();
    const held = identity.current();
    const rotated: WorkloadCredentials[] = [];
    const changed: WorkloadCredentials[] = [];
    identity.onRotated((credentials) => rotated.push(credentials));
    identity.on('bundle_changed', (credentials) => changed.push(credentials));

    assert.equal(await identity.refreshBundle(), held, 'nothing changed: same credentials, no event');
    assert.equal(rotated.length + changed.length, 0);

    await fixture.mesh.rotateCa();
    const next = await identity.refreshBundle();
    assert.equal(next.certPem, held.certPem, 'same certificate');
    assert.equal(next.keyPem, held.keyPem, 'same key');
    assert.equal(next.caPems.length, 2, 'new roots');
    assert.deepEqual(rotated, [next]);
    assert.deepEqual(changed, [next]);
    assert.equal(identity.current(), next);
    await identity.refreshBundle();
    assert.equal(rotated.length, 1, 'no event when nothing changed');
  });

  it('refreshes the bundle between renewals when asked to', async () => {
    const { fixture, identity } = await meshWithWorkload({ bundleRefreshMs: 1000 });
    const changed = new Promise<WorkloadCredentials>((resolve) => identity.on('bundle_changed', resolve));
    await fixture.mesh.rotateCa();
    const next = await changed;
    assert.equal(next.caPems.length, 2);
    await assert.rejects(
      startWorkloadIdentity({
        authorityUrl: fixture.url,
        authoritySpiffeId: MESH_ID,
        bundlePem: '',
        joinToken: 't',
        spiffeId: id('orders'),
        bundleRefreshMs: 10,
      }),
      TypeError,
    );
  });

  it('keeps its certificate through an outage and renews once the authority is back', async () => {
    const { fixture, identity } = await meshWithWorkload({ retry: { minDelayMs: 20, maxDelayMs: 50 } });
    const held = identity.current();
    const port = Number(new URL(fixture.url).port);
    await fixture.close();

    const failures: number[] = [];
    identity.on('renewal_failed', (_error, delay) => failures.push(delay));
    await assert.rejects(identity.renew(), WorkloadIdentityError);
    assert.equal(identity.current(), held, 'the current certificate stays in use');
    assert.ok(failures.length >= 1);

    const rotated = new Promise<WorkloadCredentials>((resolve) => identity.onRotated(resolve));
    const back = await startMesh({ home: fixture.home, keys: fixture.keys, port });
    cleanups.push(() => back.close());
    const renewed = await rotated;
    assert.notEqual(renewed.certPem, held.certPem);
    assert.equal(peerSpiffeId(new X509Certificate(renewed.certPem)), id('orders'));
  });

  it('renews by itself at the configured fraction of the lifetime', async () => {
    const { identity } = await meshWithWorkload({ renewAt: 0.001 });
    const first = identity.current();
    const renewed = await new Promise<WorkloadCredentials>((resolve) => identity.onRotated(resolve));
    assert.notEqual(renewed.certPem, first.certPem);
    assert.ok(renewed.notAfter.getTime() > first.notAfter.getTime());
  });

  it('rejects options that cannot work', async () => {
    const base = {
      authorityUrl: 'https://127.0.0.1:1',
      authoritySpiffeId: MESH_ID,
      bundlePem: '',
      joinToken: 't',
      spiffeId: id('orders'),
    };
    await assert.rejects(startWorkloadIdentity({ ...base, renewAt: 1 }), TypeError);
    await assert.rejects(startWorkloadIdentity({ ...base, spiffeId: 'orders' }), TypeError);
    await assert.rejects(startWorkloadIdentity({ ...base, authorityUrl: 'http://127.0.0.1:1' }), TypeError);
  });
});
