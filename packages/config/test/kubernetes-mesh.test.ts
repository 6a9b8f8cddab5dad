import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  kubernetesMeshSettings,
  kubernetesServiceAccountOf,
  kubernetesWorkloads,
  parseConfig,
  KUBERNETES_MESH_AUDIENCE,
} from '@rampart/config';
import { BASE, edit } from './helpers.ts';

const withKubernetes = (block: string): string => BASE.replace('policies:', `mesh:\n${block}\npolicies:`);

describe('mesh.kubernetes: the mesh accepts projected service-account tokens', () => {
  it('reads the namespace, with the audience rampart-mesh by default', () => {
    const result = parseConfig(withKubernetes('  kubernetes:\n    namespace: shop'), 'rampart.yaml');
    assert.ok(result.ok, JSON.stringify(result.problems));
    assert.deepEqual(kubernetesMeshSettings(result.config), {
      namespace: 'shop',
      audience: KUBERNETES_MESH_AUDIENCE,
    });
    const custom = parseConfig(
      withKubernetes('  kubernetes:\n    namespace: shop\n    audience: mesh.example.com'),
      'rampart.yaml',
    );
    assert.ok(custom.ok);
    assert.equal(kubernetesMeshSettings(custom.config)?.audience, 'mesh.example.com');
    const without = parseConfig(BASE, 'rampart.yaml');
    assert.ok(without.ok);
    assert.equal(kubernetesMeshSettings(without.config), undefined);
  });

  for (const [name, block] of [
    ['a namespace that is no DNS label', '  kubernetes:\n    namespace: Shop_Prod'],
    ['no namespace', '  kubernetes:\n    audience: rampart-mesh'],
    ['an unknown key', '  kubernetes:\n    namespace: shop\n    namspace: shop'],
    ['an empty audience', "  kubernetes:\n    namespace: shop\n    audience: ''"],
  ] as const) {
    it(`refuses ${name}`, () => {
      const result = parseConfig(withKubernetes(block), 'rampart.yaml');
      assert.equal(result.ok, false);
      // mesh: is line 3, kubernetes: line 4; the problem points into the block.
      assert.ok(
        result.problems.some((problem) => problem.line >= 3 && problem.line <= 6),
        JSON.stringify(result.problems),
      );
    });
  }
});

describe('the ServiceAccount table, from rampart.yaml alone', () => {
  it('maps each service to its own name and the joining components to rampart-<component>', () => {
    const result = parseConfig(edit(['  orders:', '  orders:']), 'rampart.yaml');
    assert.ok(result.ok);
    const table = kubernetesWorkloads(result.config);
    assert.deepEqual(Object.fromEntries(table), {
      'rampart-gateway': { kind: 'component', name: 'gateway' },
      'rampart-identity': { kind: 'component', name: 'identity' },
      'rampart-audit': { kind: 'component', name: 'audit' },
      orders: { kind: 'service', name: 'orders' },
    });
    assert.equal(table.get('rampart-mesh'), undefined, 'the mesh authority joins nothing');
    assert.equal(table.get('default'), undefined);
    assert.equal(kubernetesServiceAccountOf({ kind: 'component', name: 'audit' }), 'rampart-audit');
  });

  it('refuses a service named rampart-… (CFG_RESERVED_NAME): it could take a component’s account', () => {
    const result = parseConfig(edit(['  orders:', '  rampart-gateway:']), 'rampart.yaml');
    const problem = result.problems.find((p) => p.code === 'CFG_RESERVED_NAME');
    assert.ok(problem, JSON.stringify(result.problems));
    assert.equal(problem.line, 6);
    assert.match(problem.message, /service `rampart-gateway` starts with `rampart-`/);
    assert.match(problem.fix ?? '', /rename the service, e\.g\. `gateway`/);
  });
});
