// The ServiceAccount each exported pod joins the mesh as is the one the mesh authority's k8s_psat
// attestor maps to that workload (`kubernetesWorkloads` of @rampart/config): an export whose names
// drifted from the attestor's table would install a mesh nothing can join.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { kubernetesWorkloads, loadConfig } from '@rampart/config';
import { exportK8s } from '../../src/export/k8s/export-k8s.ts';
import { SHOP_OPTIONS, shopConfig, shopExport, shopFile } from './exports.ts';
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
        // Services behind the sidecar too: their sidecar container joins (the process's does not).
        ...Object.keys(loaded.config.services),
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

describe('rampart export k8s: services behind the sidecar with no image for their process', () => {
  it('are left out with a warning naming each and the fix, with no workload, edge or policy of their own', () => {
    const { config, text } = shopConfig();
    const exported = exportK8s(config, text, { ...SHOP_OPTIONS, appImages: {} });
    for (const name of ['reviews', 'stock']) {
      const warning = exported.warnings.find((w) =>
        w.startsWith(
          `services.${name} runs behind the sidecar (upstream) and names no image for its process: not exported`,
        ),
      );
      assert.ok(warning, `no warning for ${name}`);
      assert.ok(warning.includes(`set services.${name}.image in rampart.yaml`), warning);
      assert.ok(warning.includes(`--app-image ${name}=<image>`), warning);
      assert.equal(
        exported.topology.workloads.some((w) => w.name === name),
        false,
      );
      assert.equal(exported.files.has(`svc-${name}.yaml`), false);
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

  it('are exported once only one of them has an image: the other is left out, and so are its edges', () => {
    const { config, text } = shopConfig();
    const exported = exportK8s(config, text, {
      ...SHOP_OPTIONS,
      appImages: { stock: 'registry.example/stock:1' },
    });
    assert.ok(exported.files.has('svc-stock.yaml'));
    assert.equal(exported.files.has('svc-reviews.yaml'), false);
    assert.ok(exported.warnings.some((w) => w.startsWith('services.reviews runs behind the sidecar')));
    assert.ok(!exported.warnings.some((w) => w.startsWith('services.stock runs behind the sidecar')));
    // reviews was stock's only caller: nothing in the namespace may call stock.
    assert.deepEqual(
      exported.topology.edges.filter((e) => e.to.type === 'workload' && e.to.name === 'stock'),
      [],
    );
  });
});
