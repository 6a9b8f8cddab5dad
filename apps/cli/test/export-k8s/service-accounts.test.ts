// The ServiceAccount each exported pod joins the mesh as is the one the mesh authority's k8s_psat
// attestor maps to that workload (`kubernetesWorkloads` of @rampart/config): an export whose names
// drifted from the attestor's table would install a mesh nothing can join.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesWorkloads, loadConfig } from '@rampart/config';
import { shopExport, shopFile } from './exports.ts';
import { manifestsOf } from './manifests.ts';

interface PodTemplate {
  readonly metadata?: { readonly labels?: Readonly<Record<string, string>> };
  readonly spec: {
    readonly serviceAccountName?: string;
    readonly volumes?: readonly { readonly name: string; readonly projected?: unknown }[];
  };
}

describe('rampart export k8s: the ServiceAccounts pods join the mesh as', () => {
  it('are the ones the mesh authority maps to each workload, and each one exists', async () => {
    const loaded = await loadConfig(shopFile);
    assert.ok(loaded.ok);
    const table = kubernetesWorkloads(loaded.config);
    const manifests = manifestsOf(shopExport()).map(({ manifest }) => manifest);
    const accounts = new Set(
      manifests.filter((m) => m.kind === 'ServiceAccount').map((m) => m.metadata.name),
    );
    const joining = manifests.flatMap((manifest) => {
      const template = (manifest.spec?.['template'] as PodTemplate | undefined) ?? undefined;
      if (template === undefined) return [];
      const joins = (template.spec.volumes ?? []).some((volume) => volume.name === 'mesh-token');
      const component = template.metadata?.labels?.['rampart.dev/component'];
      return joins ? [{ account: template.spec.serviceAccountName, component }] : [];
    });
    assert.deepEqual(
      joining.map(({ component }) => component).sort(),
      [
        'audit',
        'gateway',
        'identity',
        // Services behind the sidecar (`upstream`) are not exported yet (a warning says so).
        ...Object.entries(loaded.config.services)
          .filter(([, service]) => service.entry !== undefined)
          .map(([name]) => name),
      ].sort(),
      'every workload but the mesh authority joins',
    );
    for (const { account, component } of joining) {
      assert.ok(
        account !== undefined && accounts.has(account),
        `${String(component)}: its ServiceAccount exists`,
      );
      assert.equal(table.get(account)?.name, component, `${account} is mapped to ${String(component)}`);
    }
  });
});

describe('rampart export k8s: services behind the sidecar', () => {
  it('are left out with a warning naming each, with no workload, edge or policy of their own', () => {
    const exported = shopExport();
    for (const name of ['reviews', 'stock']) {
      assert.ok(
        exported.warnings.some((w) =>
          w.startsWith(`services.${name} runs behind the sidecar (upstream): not exported`),
        ),
        `no warning for ${name}`,
      );
      assert.equal(
        exported.topology.workloads.some((w) => w.name === name),
        false,
      );
      assert.equal(
        exported.topology.edges.some(
          (e) =>
            (e.from.type === 'workload' && e.from.name === name) ||
            (e.to.type === 'workload' && e.to.name === name),
        ),
        false,
      );
    }
  });
});
