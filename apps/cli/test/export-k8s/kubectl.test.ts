// What kubectl makes of the export, where kubectl is installed: `kubectl kustomize` builds the
// directory offline (every resource and the rampart.yaml ConfigMap resolve), and `kubectl apply
// --dry-run=client` runs where a cluster answers (it needs the API's discovery). Skipped otherwise.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { tempDir, type TempDir } from '@rampart/testing';
import { shopExport, SHOP_OPTIONS } from './exports.ts';

const run = promisify(execFile);

async function kubectl(args: readonly string[]): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('kubectl', args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, stdout, stderr };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: unknown };
    if (failed.code === 'ENOENT') return { ok: false, stdout: '', stderr: 'ENOENT' };
    return { ok: false, stdout: failed.stdout ?? '', stderr: failed.stderr ?? String(error) };
  }
}

const installed = (await kubectl(['version', '--client'])).ok;
const cluster = installed && (await kubectl(['version', '--request-timeout=3s'])).ok;

describe('kubectl on the shop export', { skip: installed ? false : 'kubectl is not installed' }, () => {
  let dir: TempDir;
  before(async () => {
    dir = await tempDir('rampart-k8s-');
    for (const [name, content] of shopExport().files) await writeFile(join(dir.path, name), content);
  });
  after(() => dir.cleanup());

  it('kubectl kustomize builds it: every object in the namespace, rampart.yaml as a hashed ConfigMap', async () => {
    const built = await kubectl(['kustomize', dir.path]);
    assert.ok(built.ok, built.stderr);
    const objects = parseAllDocuments(built.stdout).map(
      (document) => document.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
    );
    const configMap = objects.find((object) => object.kind === 'ConfigMap');
    assert.match(configMap?.metadata.name ?? '', /^rampart-config-[a-z0-9]{10}$/);
    const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
    for (const object of objects) {
      if (!clusterScoped.has(object.kind))
        assert.equal(object.metadata.namespace, SHOP_OPTIONS.namespace, object.metadata.name);
    }
    // The workloads mount the generated ConfigMap under its hashed name.
    assert.ok(built.stdout.includes(`name: ${configMap?.metadata.name ?? ''}`));
    assert.ok(objects.length > 30);
  });

  it(
    'kubectl apply --dry-run=client accepts it',
    { skip: cluster ? false : 'no cluster answers kubectl (client dry runs need its API discovery)' },
    async () => {
      const applied = await kubectl(['apply', '--dry-run=client', '-k', dir.path]);
      assert.ok(applied.ok, applied.stderr);
    },
  );
});
