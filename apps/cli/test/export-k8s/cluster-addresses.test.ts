// How the exported pods find each other: each container listens on its pod's every address
// (RAMPART_LISTEN_HOST) and reaches each peer at the name of the Service the export writes for it
// (RAMPART_PEER_HOSTS), on the port that Service serves; and the export warns when rampart.yaml
// names no public URL, which the tokens and redirects would then lack.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { componentEnv, peerOrigin, type ComponentKind } from '@rampart/config';
import { exportK8s } from '../../src/export/k8s/export-k8s.ts';
import { scaledExport, SHOP_OPTIONS, shopConfig, shopExport } from './exports.ts';
import { manifestsOf, type Manifest } from './manifests.ts';

interface Container {
  readonly env?: readonly { readonly name: string; readonly value?: string }[];
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
}
interface PodTemplate {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly containers: readonly Container[];
    readonly initContainers?: readonly Container[];
  };
}

/** Each workload's component name, kind and environment, from its pod template. */
function workloadsOf(manifests: readonly Manifest[]) {
  return manifests.flatMap((manifest) => {
    const template = manifest.spec?.['template'] as PodTemplate | undefined;
    // The component's container: the only one, or a service's sidecar (beside its process's `app`).
    const container = [...(template?.spec.initContainers ?? []), ...(template?.spec.containers ?? [])].find(
      (candidate) => (candidate.env ?? []).some(({ name }) => name === componentEnv.component.name),
    );
    if (container === undefined) return [];
    const env = Object.fromEntries((container.env ?? []).map(({ name, value }) => [name, value ?? '']));
    const component = env[componentEnv.component.name] ?? '';
    const kind = (
      ['mesh', 'identity', 'audit', 'gateway'].includes(component) ? component : 'service'
    ) as ComponentKind;
    const port = (container.ports ?? []).find((candidate) => candidate.name !== 'admin')?.containerPort ?? 0;
    return [{ name: manifest.metadata.name, component, kind, env, port }];
  });
}

for (const [label, exported] of [
  ['the shop', shopExport()],
  ['a config on PostgreSQL, Redis and NATS', scaledExport()],
] as const) {
  describe(`rampart export k8s, ${label}: in-cluster addresses`, () => {
    const manifests = manifestsOf(exported).map(({ manifest }) => manifest);
    const workloads = workloadsOf(manifests);
    const namespace = label === 'the shop' ? SHOP_OPTIONS.namespace : 'scaled';
    const services = new Map(
      manifests
        .filter((manifest) => manifest.kind === 'Service')
        .map((manifest) => [
          `${manifest.metadata.name}.${namespace}.svc`,
          ((manifest.spec?.['ports'] ?? []) as { port: number }[]).map((port) => port.port),
        ]),
    );

    it('has every container listen on every address of its pod', () => {
      assert.ok(workloads.length >= 5);
      for (const workload of workloads) {
        assert.equal(workload.env[componentEnv.listenHost.name], '0.0.0.0', workload.name);
      }
    });

    it('names each peer by a Service the export writes, which serves that peer on its port', () => {
      for (const workload of workloads) {
        const raw = workload.env[componentEnv.peerHosts.name];
        if (workload.kind === 'mesh' || workload.kind === 'identity') {
          assert.equal(raw, undefined, `${workload.name} dials no peer`);
          continue;
        }
        const peers = JSON.parse(raw ?? '{}') as Record<string, string>;
        const named = workloads.filter((other) => other.kind !== 'gateway').map((other) => other.component);
        assert.deepEqual(Object.keys(peers).sort(), named.sort(), workload.name);
        for (const [peer, host] of Object.entries(peers)) {
          const target = workloads.find((other) => other.component === peer);
          assert.ok(target, peer);
          assert.equal(host, `${target.name}.${namespace}.svc`, `${workload.name} → ${peer}`);
          assert.ok(services.has(host), `${host} is a Service of the export`);
          // What the component dials: the Service's name, on a port the Service serves.
          const origin = new URL(peerOrigin(peer, target.port, workload.env));
          assert.equal(origin.hostname, host);
          assert.ok(services.get(host)?.includes(target.port), `${host} serves ${target.port}`);
        }
      }
    });

    it('keeps the mesh and audit URLs on the same Services', () => {
      for (const workload of workloads.filter((w) => w.kind !== 'mesh')) {
        const meshUrl = new URL(workload.env[componentEnv.meshUrl.name] ?? '');
        assert.ok(services.get(meshUrl.hostname)?.includes(Number(meshUrl.port)), workload.name);
      }
    });
  });
}

describe('rampart export k8s: the public URL', () => {
  const warning = /gateway\.publicUrl is not set: tokens name https:\/\/127\.0\.0\.1:8443/u;

  it('is warned about when rampart.yaml sets none', () => {
    assert.ok(shopExport().warnings.some((line) => warning.test(line)));
  });

  it('is not, once gateway.publicUrl is set', () => {
    const { config, text } = shopConfig();
    const withUrl = { ...config, gateway: { ...config.gateway, publicUrl: 'https://api.example.com' } };
    const exported = exportK8s(withUrl, text, SHOP_OPTIONS);
    assert.ok(
      !exported.warnings.some((line) => /gateway\.publicUrl/u.test(line)),
      exported.warnings.join('\n'),
    );
  });
});
