// Every manifest `rampart export k8s` writes is valid against the Kubernetes OpenAPI schemas
// (kubernetes-models, offline), for the shop and for a config using every external dependency.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { scaledExport, shopExport } from './exports.ts';
import { manifestsOf, type Manifest } from './manifests.ts';

/** The models of every kind the export writes; an unknown kind fails the test. */
const MODELS: Readonly<Record<string, (data: Manifest) => { validate(): void }>> = {
  'v1/Namespace': (data) => new Namespace(data),
  'v1/ServiceAccount': (data) => new ServiceAccount(data),
  'v1/Service': (data) => new Service(data),
  'apps/v1/Deployment': (data) => new Deployment(data as never),
  'apps/v1/StatefulSet': (data) => new StatefulSet(data as never),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data),
  'autoscaling/v2/HorizontalPodAutoscaler': (data) => new HorizontalPodAutoscaler(data as never),
  'networking.k8s.io/v1/NetworkPolicy': (data) => new NetworkPolicy(data),
  'rbac.authorization.k8s.io/v1/ClusterRole': (data) => new ClusterRole(data),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (data) => new ClusterRoleBinding(data as never),
};

for (const [name, exported] of [
  ['the shop', shopExport()],
  ['a config on PostgreSQL, Redis and NATS', scaledExport()],
] as const) {
  describe(`${name}: every manifest is valid against the Kubernetes schemas`, () => {
    const manifests = manifestsOf(exported);
    it('writes manifests', () => {
      assert.ok(manifests.length > 10);
    });
    for (const { file, manifest } of manifests) {
      it(`${file}: ${manifest.kind} ${manifest.metadata.name}`, () => {
        const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
        assert.ok(model, `no model for ${manifest.apiVersion} ${manifest.kind}`);
        model(manifest).validate();
      });
    }
  });
}

describe('the schema check catches a broken manifest', () => {
  it('refuses a Deployment whose runAsUser is not an integer', () => {
    const deployment = manifestsOf(shopExport()).find(({ manifest }) => manifest.kind === 'StatefulSet');
    assert.ok(deployment);
    const broken = structuredClone(deployment.manifest) as unknown as {
      spec: { template: { spec: { securityContext: { runAsUser: unknown } } } };
    };
    broken.spec.template.spec.securityContext.runAsUser = 'root';
    assert.throws(() => {
      new StatefulSet(broken as never).validate();
    }, /runAsUser must be integer/);
  });
});
