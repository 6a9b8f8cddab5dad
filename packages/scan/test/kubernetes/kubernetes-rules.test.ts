// Each Kubernetes rule — every Pod Security Standards control, named as the PSS names it, and the
// practices beyond — against its positive and negative fixture; positions point at the field.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KUBERNETES_RULES, kubernetesModule, parseManifests, runScan } from '@rampart/scan';
import { fixtureExists, ruleFixtures, rulesReported } from '../rule-fixtures.ts';

const PSS_BASELINE = [
  'host-process',
  'host-namespaces',
  'privileged',
  'capabilities',
  'host-path-volumes',
  'host-ports',
  'apparmor',
  'selinux',
  'proc-mount',
  'seccomp',
  'sysctls',
];
const PSS_RESTRICTED = [
  'volume-types',
  'privilege-escalation',
  'running-as-non-root',
  'running-as-non-root-user',
  'seccomp',
  'capabilities',
];

describe('Kubernetes rules, fixture by fixture', () => {
  it('has a rule for every control of the Pod Security Standards, baseline and restricted', () => {
    for (const control of PSS_BASELINE)
      assert.ok(KUBERNETES_RULES.has(`k8s/pss-baseline-${control}`), control);
    for (const control of PSS_RESTRICTED)
      assert.ok(KUBERNETES_RULES.has(`k8s/pss-restricted-${control}`), control);
  });
  for (const id of KUBERNETES_RULES.keys()) {
    const { positive, negative } = ruleFixtures('kubernetes', id, '.yaml');
    it(`${id}: has a positive and a negative fixture`, () => {
      assert.ok(fixtureExists(positive), positive);
      assert.ok(fixtureExists(negative), negative);
    });
    it(`${id}: reports the positive fixture`, async () => {
      assert.ok((await rulesReported(kubernetesModule, positive)).includes(id));
    });
    it(`${id}: does not report the negative fixture`, async () => {
      assert.ok(!(await rulesReported(kubernetesModule, negative)).includes(id));
    });
  }
});

describe('Kubernetes details', () => {
  it('points at the field of the finding, in the right document of the file', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: x:1\n      securityContext:\n        privileged: true\n';
    const [, pod] = parseManifests('pod.yaml', text).manifests;
    assert.deepEqual(pod?.position(['spec', 'containers', 0, 'securityContext', 'privileged']), {
      line: 14,
      column: 9,
    });
    // A field that is missing: its nearest ancestor.
    assert.deepEqual(pod.position(['spec', 'containers', 0, 'resources']), { line: 11, column: 7 });
  });

  it('reports a file that looks like Kubernetes but does not parse as "could not look"', async () => {
    const { tempDir } = await import('@rampart/testing');
    const dir = await tempDir('rampart-scan-');
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(`${dir.path}/broken.yaml`, 'apiVersion: v1\nkind: Pod\nmetadata: [unclosed\n');
      const result = await runScan({ root: dir.path, modules: [kubernetesModule] });
      assert.equal(result.modules[0]?.failures.length, 1);
      assert.match(result.modules[0].failures[0]!.message, /^YAML error at \d+:\d+: /u);
    } finally {
      await dir.cleanup();
    }
  });

  it('skips YAML that is not Kubernetes', () => {
    assert.deepEqual(parseManifests('ci.yaml', 'on: push\njobs: {}\n').manifests, []);
  });
});
