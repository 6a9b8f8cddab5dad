// Kubernetes workload identity: `POST /v1/join` with a projected service-account token, verified
// through the real @kubernetes/client-node against a local HTTPS server implementing the
// TokenReview contract, configured by a kubeconfig as in a cluster.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import fc from 'fast-check';
import type { RampartConfig } from '@rampart/config';
import { componentSpiffeId, createWorkloadCsr, peerSpiffeId } from '@rampart/mesh';
import { tempDir, type TempDir } from '@rampart/testing';
import { startFakeApiServer, type FakeApiServer, type FakeToken } from './fake-apiserver.ts';
import { CONFIG, TD, call, id, startMesh, type MeshFixture, type RawResponse } from './helpers.ts';

const NS = 'shop';
const K8S_CONFIG: RampartConfig = { ...CONFIG, mesh: { kubernetes: { namespace: NS } } };
const REVIEW_TIMEOUT_MS = 400;
const pod = (name: string) => ({
  name: `${name}-7d9f8-x2x4q`,
  uid: `0b7c6a52-${name.length}f1-4d2e-9a3b-2c1d0e9f8a7b`,
});
const projected = (serviceAccount: string, overrides: Partial<FakeToken> = {}): FakeToken => ({
  namespace: NS,
  serviceAccount,
  audiences: ['rampart-mesh'],
  pod: pod(serviceAccount),
  ...overrides,
});

function kubeConfigFor(apiserver: FakeApiServer): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(apiserver.kubeconfigFile);
  return kubeConfig;
}

describe('mesh authority: Kubernetes projected service-account tokens (k8s_psat)', () => {
  let dir: TempDir;
  let apiserver: FakeApiServer;
  let fixture: MeshFixture;
  let ca: string;

  const joinWith = async (attestation: unknown, asking = id('orders')): Promise<RawResponse> => {
    const csr = await createWorkloadCsr(asking);
    return call(fixture, '/v1/join', { ca, body: JSON.stringify({ attestation, csr: csr.csrPem }) });
  };
  const psat = (token: string) => ({ type: 'k8s_psat', token });
  const refusal = (since: number) =>
    fixture.securityEvents(since).filter((event) => event['event'] === 'mesh.join_refused');
  const issuedSince = (since: number) =>
    fixture.securityEvents(since).filter((event) => event['event'] === 'certificate.issued');

  before(async () => {
    dir = await tempDir('rampart-psat-');
    apiserver = await startFakeApiServer(dir.path);
    fixture = await startMesh({
      config: K8S_CONFIG,
      kubernetes: {
        kubeConfig: kubeConfigFor(apiserver),
        tokenReviewTimeoutMs: REVIEW_TIMEOUT_MS,
        joinLimits: { perAddress: 10_000 },
      },
    });
    ca = await readFile(fixture.mesh.bundleFile, 'utf8');
  });
  after(async () => {
    await fixture.close();
    await fixture.home.cleanup();
    await apiserver.close();
    await dir.cleanup();
  });

  it('issues the service account’s SPIFFE ID, whatever the CSR asks, and names the pod in the log', async () => {
    const since = fixture.lines.length;
    const reviewsBefore = apiserver.reviews.length;
    const token = apiserver.issue(projected('orders'));
    const response = await joinWith(psat(token), id('payments'));
    assert.equal(response.status, 201, response.text);
    assert.equal(peerSpiffeId(new X509Certificate(response.body['certificate'] as string)), id('orders'));

    // The API server was asked as the kubeconfig says: the mesh's own bearer token, the mesh's audience.
    const seen = apiserver.reviews.slice(reviewsBefore);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.authorization, `Bearer ${apiserver.callerToken}`);
    assert.deepEqual(seen[0].body, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenReview',
      spec: { token, audiences: ['rampart-mesh'] },
    });

    const line = fixture
      .events()
      .slice(since)
      .find((entry) => entry['msg'] === 'certificate issued');
    assert.equal(line?.['evidence'], 'k8s_psat');
    assert.deepEqual(line['workload'], {
      namespace: NS,
      serviceAccount: 'orders',
      podName: pod('orders').name,
      podUid: pod('orders').uid,
    });
    const [issued] = issuedSince(since);
    assert.equal(issued?.['peer'], id('orders'));
    assert.equal(issued['reason'], 'joined');
    assert.ok(!fixture.lines.slice(since).join('\n').includes(token), 'the token is never logged');
  });

  it('maps rampart-<component> to the component’s ID', async () => {
    for (const component of ['gateway', 'identity', 'audit'] as const) {
      const response = await joinWith(psat(apiserver.issue(projected(`rampart-${component}`))));
      assert.equal(response.status, 201, response.text);
      assert.equal(
        peerSpiffeId(new X509Certificate(response.body['certificate'] as string)),
        componentSpiffeId(TD, component),
      );
    }
  });

  const refusals: [string, () => unknown, number, string, string][] = [
    [
      'a token for another audience',
      () => psat(apiserver.issue(projected('orders', { audiences: ['https://kubernetes.default.svc'] }))),
      401,
      'MESH_PSAT_INVALID',
      'psat_wrong_audience',
    ],
    [
      'a token the API server does not know',
      () => psat(apiserver.issue(projected('orders')).replace(/.$/, 'x')),
      401,
      'MESH_PSAT_INVALID',
      'psat_unauthenticated',
    ],
    [
      'a token of a deleted pod',
      () => {
        const token = apiserver.issue(projected('orders'));
        apiserver.revoke(token);
        return psat(token);
      },
      401,
      'MESH_PSAT_INVALID',
      'psat_unauthenticated',
    ],
    [
      'a service account of another namespace',
      () => psat(apiserver.issue(projected('orders', { namespace: 'kube-system' }))),
      403,
      'MESH_PSAT_NOT_ALLOWED',
      'psat_other_namespace',
    ],
    [
      'an unmapped service account',
      () => psat(apiserver.issue(projected('default'))),
      403,
      'MESH_PSAT_NOT_ALLOWED',
      'psat_unmapped_service_account',
    ],
    [
      'the mesh’s own service account',
      () => psat(apiserver.issue(projected('rampart-mesh'))),
      403,
      'MESH_PSAT_NOT_ALLOWED',
      'psat_unmapped_service_account',
    ],
    [
      'a legacy token bound to no pod',
      () => {
        const legacy: FakeToken = { namespace: NS, serviceAccount: 'orders', audiences: ['rampart-mesh'] };
        return psat(apiserver.issue(legacy));
      },
      401,
      'MESH_PSAT_INVALID',
      'psat_not_pod_bound',
    ],
    ['a token that is no JWT', () => psat('orders'), 401, 'MESH_PSAT_INVALID', 'psat_malformed'],
    [
      'an unknown evidence type',
      () => ({ type: 'aws_iid', token: 'x.y.z' }),
      400,
      'MESH_ATTESTATION_UNSUPPORTED',
      'evidence_type_unknown',
    ],
  ];

  for (const [name, evidence, status, code, reason] of refusals) {
    it(`refuses ${name}: ${status} ${code}, recorded as ${reason}, no certificate`, async () => {
      const since = fixture.lines.length;
      const response = await joinWith(evidence());
      assert.equal(response.status, status, response.text);
      assert.equal(response.body['code'], code);
      const [event] = refusal(since);
      assert.equal(event?.['reason'], reason);
      assert.equal(event['outcome'], 'failure');
      assert.equal(event['peer'], undefined, 'a refused workload is named by no peer');
      assert.deepEqual(issuedSince(since), []);
    });
  }

  it('does not send malformed evidence to the API server', async () => {
    const before_ = apiserver.reviews.length;
    assert.equal((await joinWith(psat('a'.repeat(9000)))).status, 401);
    assert.equal((await joinWith(psat('not a jwt'))).status, 401);
    assert.equal(apiserver.reviews.length, before_);
  });

  const outages: [string, FakeApiServer['mode'], string][] = [
    ['lists no audience (audience-unaware)', 'audience-unaware', 'psat_wrong_audience'],
    ['never answers', 'slow', 'apiserver_unavailable'],
    ['answers HTML', 'garbage', 'apiserver_bad_answer'],
    ['answers JSON that is no TokenReview', 'wrong-shape', 'apiserver_bad_answer'],
    ['refuses the mesh (no RBAC for tokenreviews)', 'forbidden', 'apiserver_refused_mesh'],
    ['fails (500)', 'error', 'apiserver_unavailable'],
  ];
  for (const [name, mode, reason] of outages) {
    it(`fails closed, in bounded time, when the API server ${name}`, async () => {
      const since = fixture.lines.length;
      apiserver.mode = mode;
      try {
        const started = performance.now();
        const response = await joinWith(psat(apiserver.issue(projected('orders'))));
        const elapsed = performance.now() - started;
        assert.ok(response.status >= 400, response.text);
        assert.ok(elapsed < REVIEW_TIMEOUT_MS + 1500, `answered in ${Math.round(elapsed)} ms`);
        assert.equal(refusal(since)[0]?.['reason'], reason);
        assert.deepEqual(issuedSince(since), []);
      } finally {
        apiserver.mode = 'normal';
      }
    });
  }

  it('survives hostile evidence (fuzz): every odd body is refused and the authority stays up', async () => {
    const since = fixture.lines.length;
    const csr = (await createWorkloadCsr(id('orders'))).csrPem;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            type: fc.constantFrom('k8s_psat', 'join_token', 'K8S_PSAT', ''),
            token: fc.jsonValue(),
          }),
          fc.record({
            type: fc.constant('k8s_psat'),
            token: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{1,40}\.[A-Za-z0-9_-]{0,40}$/),
          }),
        ),
        fc.boolean(),
        async (attestation, withJoinToken) => {
          const body = JSON.stringify({ attestation, csr, ...(withJoinToken ? { joinToken: 'x' } : {}) });
          const response = await call(fixture, '/v1/join', { ca, body });
          assert.ok([400, 401, 403].includes(response.status), `${response.status} ${response.text}`);
          assert.equal(typeof response.body['code'], 'string');
        },
      ),
      { numRuns: 150 },
    );
    assert.deepEqual(issuedSince(since), [], 'no fuzzed body got a certificate');
    assert.deepEqual(await (await fetch(`${fixture.adminUrl}/readyz`)).json(), {
      status: 'ready',
      revision: 0,
    });
    const response = await joinWith(psat(apiserver.issue(projected('profiles'))));
    assert.equal(response.status, 201, 'a genuine join still works after the fuzzing');
  });

  it('fails closed, in bounded time, when the API server is down', async () => {
    const token = apiserver.issue(projected('orders'));
    await apiserver.close();
    const since = fixture.lines.length;
    const started = performance.now();
    const response = await joinWith(psat(token));
    assert.ok(performance.now() - started < REVIEW_TIMEOUT_MS + 1500);
    assert.equal(response.status, 500, 'a 503 code, answered as the generic 500');
    assert.equal(refusal(since)[0]?.['reason'], 'apiserver_unavailable');
    const line = fixture
      .events()
      .slice(since)
      .find((entry) => entry['msg'] === 'join refused');
    assert.match(String(line?.['detail']), /cannot be reached|no answer/);
  });
});

describe('mesh authority: Kubernetes joins are limited and need mesh.kubernetes', () => {
  let dir: TempDir;
  let apiserver: FakeApiServer;
  before(async () => {
    dir = await tempDir('rampart-psat-limits-');
    apiserver = await startFakeApiServer(dir.path);
  });
  after(async () => {
    await apiserver.close();
    await dir.cleanup();
  });

  it('limits attempts per address (429, Retry-After) without asking the API server', async () => {
    const fixture = await startMesh({
      config: K8S_CONFIG,
      kubernetes: { kubeConfig: kubeConfigFor(apiserver), joinLimits: { perAddress: 3, windowSeconds: 60 } },
    });
    try {
      const ca = await readFile(fixture.mesh.bundleFile, 'utf8');
      const csr = (await createWorkloadCsr(id('orders'))).csrPem;
      const body = JSON.stringify({
        attestation: { type: 'k8s_psat', token: apiserver.issue(projected('orders')) },
        csr,
      });
      for (let i = 0; i < 3; i++) assert.equal((await call(fixture, '/v1/join', { ca, body })).status, 201);
      const reviews = apiserver.reviews.length;
      const since = fixture.lines.length;
      const limited = await call(fixture, '/v1/join', { ca, body });
      assert.equal(limited.status, 429);
      assert.equal(limited.body['code'], 'MESH_JOIN_RATE_LIMITED');
      assert.equal(apiserver.reviews.length, reviews, 'no TokenReview for a limited attempt');
      assert.equal(
        fixture.securityEvents(since).find((event) => event['event'] === 'mesh.join_refused')?.['reason'],
        'rate_limited',
      );
      // Join tokens are not limited by this: rampart up's workloads share 127.0.0.1.
      const joined = await call(fixture, '/v1/join', {
        ca,
        body: JSON.stringify({ joinToken: fixture.joinToken('orders'), csr }),
      });
      assert.equal(joined.status, 201);
    } finally {
      await fixture.close();
      await fixture.home.cleanup();
    }
  });

  it('refuses k8s_psat without mesh.kubernetes, or outside a pod', async () => {
    for (const options of [
      { config: CONFIG, kubernetes: { kubeConfig: kubeConfigFor(apiserver) } },
      { config: K8S_CONFIG },
    ]) {
      const fixture = await startMesh(options);
      try {
        const ca = await readFile(fixture.mesh.bundleFile, 'utf8');
        const csr = (await createWorkloadCsr(id('orders'))).csrPem;
        const body = JSON.stringify({
          attestation: { type: 'k8s_psat', token: apiserver.issue(projected('orders')) },
          csr,
        });
        const response = await call(fixture, '/v1/join', { ca, body });
        assert.equal(response.status, 400);
        assert.equal(response.body['code'], 'MESH_ATTESTATION_UNSUPPORTED');
        assert.equal(
          fixture.securityEvents().find((event) => event['event'] === 'mesh.join_refused')?.['reason'],
          'evidence_type_unsupported',
        );
      } finally {
        await fixture.close();
        await fixture.home.cleanup();
      }
    }
  });

  it('refuses a kubeconfig that would not verify the API server', () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromClusterAndUser(
      { name: 'insecure', server: apiserver.url, skipTLSVerify: true },
      { name: 'mesh', token: 'x' },
    );
    return assert.rejects(
      startMesh({ config: K8S_CONFIG, kubernetes: { kubeConfig } }),
      /skips TLS verification/,
    );
  });
});
