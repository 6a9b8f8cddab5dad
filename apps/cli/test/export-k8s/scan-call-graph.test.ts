// `rampart scan`'s check of NetworkPolicies against the call graph agrees with the export: the
// manifests `rampart export k8s` writes — the shop with its processes behind the sidecar, and a
// config using every dependency — give no finding, and the same manifests with the gateway's
// rules pointed elsewhere give declared calls refused (so the check did look).
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { kubernetesModule, runScan } from '@rampart/scan';
import { tempDir } from '@rampart/testing';
import type { K8sExport } from '../../src/export/k8s/export-k8s.ts';
import { scaledExport, shopExport } from './exports.ts';

const GATEWAY_PEER = 'matchLabels:\n              app.kubernetes.io/name: rampart-gateway\n';

async function edgeRules(exported: K8sExport, edit: (policies: string) => string): Promise<string[]> {
  const dir = await tempDir('rampart-export-scan-');
  try {
    for (const [name, text] of exported.files) {
      const file = join(dir.path, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, name === 'network-policies.yaml' ? edit(text) : text);
    }
    // The scaled config's external upstream names its CA file, relative to rampart.yaml.
    await writeFile(join(dir.path, 'partner-ca.pem'), '');
    const result = await runScan({ root: dir.path, modules: [kubernetesModule] });
    const [outcome] = result.modules;
    assert.deepEqual(outcome?.failures, []);
    return outcome.findings
      .map((finding) => finding.ruleId)
      .filter((id) => id === 'k8s/undeclared-edge-allowed' || id === 'k8s/declared-edge-blocked');
  } finally {
    await dir.cleanup();
  }
}

for (const [name, exported] of [
  ['the shop', shopExport],
  ['a config with every dependency', scaledExport],
] as const) {
  describe(`${name}: rampart scan finds its NetworkPolicies equal to its call graph`, () => {
    it('reports nothing on the export as written', async () => {
      assert.deepEqual(await edgeRules(exported(), (text) => text), []);
    });
    it("reports the gateway's declared calls once its rules admit another pod", async () => {
      const rules = await edgeRules(exported(), (text) => {
        assert.ok(text.includes(GATEWAY_PEER));
        return text.replaceAll(GATEWAY_PEER, GATEWAY_PEER.replace('rampart-gateway', 'somebody-else'));
      });
      assert.ok(rules.length > 0);
      assert.deepEqual(new Set(rules), new Set(['k8s/declared-edge-blocked']));
    });
  });
}
