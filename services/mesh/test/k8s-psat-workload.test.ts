// The workload's side on Kubernetes: the SDK joins with the projected token file, reads it anew at
// every join (the kubelet rotates it), renews over mTLS as everywhere, and joins again by itself
// once its certificate has expired.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { componentEnv, type RampartConfig } from '@rampart/config';
import { peerSpiffeId, startWorkloadIdentity } from '@rampart/mesh';
import { meshJoinEvidence } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.ts';
import { CONFIG, MESH_ID, id, startMesh, type MeshFixture } from './helpers.ts';

const K8S_CONFIG: RampartConfig = { ...CONFIG, mesh: { kubernetes: { namespace: 'shop' } } };

describe('SDK on Kubernetes: joining with the projected token file (componentEnv.meshPsatFile)', () => {
  let dir: TempDir;
  let apiserver: FakeApiServer;
  let fixture: MeshFixture;
  let tokenFile: string;
  const orders = () => ({
    namespace: 'shop',
    serviceAccount: 'orders',
    audiences: ['rampart-mesh'],
    pod: { name: 'orders-5c9d-abcde', uid: '3f1e2d4c-5b6a-4978-8e9f-0a1b2c3d4e5f' },
  });
  const reviewedTokens = () =>
    apiserver.reviews.map((review) => (review.body as { spec: { token: string } }).spec.token);

  before(async () => {
    dir = await tempDir('rampart-psat-sdk-');
    apiserver = await startFakeApiServer(dir.path);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(apiserver.kubeconfigFile);
    fixture = await startMesh({ config: K8S_CONFIG, kubernetes: { kubeConfig } });
    tokenFile = join(dir.path, 'mesh-token');
  });
  after(async () => {
    await fixture.close();
    await fixture.home.cleanup();
    await apiserver.close();
    await dir.cleanup();
  });

  it('joins with the file’s token, renews over mTLS, and joins again with the rotated token after expiry', async () => {
    const first = apiserver.issue(orders());
    await writeFile(tokenFile, `${first}\n`);
    let clock = Date.now();
    const identity = await startWorkloadIdentity({
      authorityUrl: fixture.url,
      authoritySpiffeId: MESH_ID,
      bundlePem: await readFile(fixture.mesh.bundleFile, 'utf8'),
      joinEvidence: meshJoinEvidence({ env: {} }, tokenFile),
      spiffeId: id('orders'),
      now: () => clock,
    });
    try {
      assert.equal(peerSpiffeId(new X509Certificate(identity.current().certPem)), id('orders'));
      assert.deepEqual(reviewedTokens(), [first], 'the trailing newline is not part of the token');

      // The kubelet rotates the file; a renewal before expiry still goes over mTLS, no review.
      const second = apiserver.issue(orders());
      await writeFile(tokenFile, second);
      const renewed = await identity.renew();
      assert.equal(peerSpiffeId(new X509Certificate(renewed.certPem)), id('orders'));
      assert.deepEqual(reviewedTokens(), [first]);

      // Expired (the mesh was away longer than a certificate lives): it joins again, with the file
      // as it is now — and no `expired` event, which would mean "needs a new join token".
      let expired = false;
      identity.on('expired', () => {
        expired = true;
      });
      clock = renewed.notAfter.getTime() + 1000;
      const rejoined = await identity.renew();
      assert.notEqual(rejoined.certPem, renewed.certPem);
      assert.notEqual(rejoined.keyPem, renewed.keyPem);
      assert.deepEqual(reviewedTokens(), [first, second]);
      assert.equal(expired, false);
    } finally {
      identity.stop();
    }
  });

  it('prefers the join token rampart up hands over, and says where the evidence should come from', async () => {
    assert.deepEqual(await meshJoinEvidence({ joinToken: 'one-time', env: {} }, tokenFile)(), {
      type: 'join_token',
      token: 'one-time',
    });
    assert.throws(
      () => meshJoinEvidence({ env: {} }, undefined),
      new RegExp(`^TypeError: no mesh join token: .*${componentEnv.meshPsatFile.name}`),
    );
    const empty = join(dir.path, 'empty-token');
    await writeFile(empty, '\n');
    await assert.rejects(meshJoinEvidence({ env: {} }, empty)(), /is empty/);
    await assert.rejects(meshJoinEvidence({ env: {} }, join(dir.path, 'absent'))(), /cannot be read/);
  });
});
