// `rampart export k8s-secrets`: the directory it writes (modes, keys that parse and pair up, the
// first admin's hash, client-secret hashes), its refusal to overwrite, and — where kubectl is
// installed — a kustomize build of the export with its overlay, cross-checked: every Secret and
// ConfigMap a pod mounts exists with every key the pod's environment names, and every one the
// overlay makes is mounted somewhere.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import { copyFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { componentEnv, hashClientSecret } from '@rampart/config';
import { verifyPassword } from '@rampart/identity';
import { LocalKeyring } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { exportCommand } from '../../src/export/export-command.ts';
import { SCALED_YAML, shopFile } from './exports.ts';

const run = promisify(execFile);

async function command(argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (chunk: Buffer) => chunks.out.push(chunk));
  err.on('data', (chunk: Buffer) => chunks.err.push(chunk));
  const status = await exportCommand(argv, { stdout: out, stderr: err, color: false });
  return {
    status,
    stdout: Buffer.concat(chunks.out).toString(),
    stderr: Buffer.concat(chunks.err).toString(),
  };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.map((entry) => join(entry.parentPath, entry.name));
}

const kubectlInstalled = await run('kubectl', ['version', '--client']).then(
  () => true,
  () => false,
);

describe('rampart export k8s-secrets on the shop', () => {
  let home: TempDir;
  let secrets: string;
  let stdout: string;
  const read = (path: string): Promise<string> => readFile(join(secrets, path), 'utf8');

  before(async () => {
    home = await tempDir('rampart-k8s-secrets-');
    await copyFile(shopFile, join(home.path, 'rampart.yaml'));
    secrets = join(home.path, 'k8s-secrets');
    const result = await command(['k8s-secrets', join(home.path, 'rampart.yaml'), '--admin', 'ops-admin']);
    assert.equal(result.status, 0, result.stderr);
    stdout = result.stdout;
  });
  after(() => home.cleanup());

  it('is a 0700 directory of 0600 files, ignored by git', async () => {
    assert.equal((await stat(secrets)).mode & 0o777, 0o700);
    for (const path of await walk(secrets)) {
      const info = await stat(path);
      assert.equal(info.mode & 0o777, info.isDirectory() ? 0o700 : 0o600, relative(secrets, path));
    }
    assert.match(await read('.gitignore'), /^\*$/m);
    const siblings = (await readdir(home.path)).filter((name) => name !== 'rampart.yaml');
    assert.deepEqual(siblings, ['k8s-secrets'], 'no staging directory left behind');
  });

  it('holds Ed25519 pairs that match, one pseudonym key everywhere, and the mesh root as the bundle', async () => {
    const pairs = [
      ['rampart-mesh-keys/internal-token.key.pem', 'rampart-public/internal-token.pub.pem'],
      ['rampart-gateway-keys/gateway-token.key.pem', 'rampart-public/gateway-token.pub.pem'],
      ['rampart-audit-keys/audit-signing.key.pem', 'audit-signing.pub.pem'],
    ] as const;
    const privates = new Set<string>();
    for (const [privateFile, publicFile] of pairs) {
      const privateKey = createPrivateKey(await read(privateFile));
      assert.equal(privateKey.asymmetricKeyType, 'ed25519', privateFile);
      const signature = sign(null, Buffer.from('rampart'), privateKey);
      assert.ok(verify(null, Buffer.from('rampart'), createPublicKey(await read(publicFile)), signature));
      privates.add(await read(privateFile));
    }
    assert.equal(privates.size, 3, 'three different keys');
    const pseudonyms = await Promise.all(
      ['rampart-mesh-keys', 'rampart-identity-keys', 'rampart-gateway-keys', 'svc-orders-keys'].map((s) =>
        readFile(join(secrets, s, 'pseudonym.key')),
      ),
    );
    const [first] = pseudonyms;
    assert.ok(first !== undefined && first.length === 32);
    for (const key of pseudonyms) assert.ok(key.equals(first));

    const root = new X509Certificate(await read('rampart-mesh-keys/mesh-ca.pem'));
    assert.ok(root.ca);
    assert.ok(root.checkPrivateKey(createPrivateKey(await read('rampart-mesh-keys/mesh-ca.key'))));
    assert.match(root.subject, /O=shop\.local/);
    assert.equal(await read('rampart-public/mesh-bundle.pem'), await read('rampart-mesh-keys/mesh-ca.pem'));
  });

  it('holds a keyring per identity and service, in the format the SDK reads, each its own', async () => {
    const indexKeys = new Set<string>();
    for (const secret of [
      'rampart-identity-keys',
      'svc-orders-keys',
      'svc-payments-keys',
      'svc-profiles-keys',
    ]) {
      const keyring = await LocalKeyring.open(join(secrets, secret, 'keyring.json'));
      assert.equal(keyring.activeVersion(), 1, secret);
      indexKeys.add(keyring.indexRootKey().export().toString('hex'));
    }
    assert.equal(indexKeys.size, 4);
  });

  it("holds the first admin as an argon2id hash of the password printed once, and the clients' hashes", async () => {
    const password = /one-time password[^:]*: (\S+)/.exec(stdout)?.[1];
    assert.ok(password !== undefined, stdout);
    const bootstrap = JSON.parse(await read('rampart-identity-keys/bootstrap.json')) as {
      admin: { username: string; passwordHash: string; password?: unknown };
      demoUsers: unknown[];
    };
    assert.equal(bootstrap.admin.username, 'ops-admin');
    assert.equal(bootstrap.admin.password, undefined);
    assert.match(bootstrap.admin.passwordHash, /^\$argon2id\$/);
    assert.ok(await verifyPassword(bootstrap.admin.passwordHash, password));
    assert.deepEqual(bootstrap.demoUsers, [], 'no demo users on a cluster');
    for (const path of await walk(secrets)) {
      if ((await stat(path)).isFile()) assert.ok(!(await readFile(path, 'utf8')).includes(password), path);
    }
    assert.equal(
      await read(`rampart-identity-env/${componentEnv.identityBootstrapFile.name}`),
      '/etc/rampart/keys/bootstrap.json',
    );
    const hashes = JSON.parse(
      await read(`rampart-identity-env/${componentEnv.clientSecretHashes.name}`),
    ) as Record<string, string>;
    assert.deepEqual(hashes, {
      'shop-cli': hashClientSecret((await read('clients/shop-cli.secret')).trim()),
    });
  });

  it('names what the operator still brings, as empty files, and invents none of them', async () => {
    for (const file of ['tls.crt', 'tls.key', 'edge-ca.pem']) {
      assert.equal(await read(`rampart-gateway-keys/${file}`), '');
      assert.ok(stdout.includes(join(secrets, 'rampart-gateway-keys', file)), file);
    }
  });

  it('refuses to overwrite the directory, and --force replaces every key', async () => {
    const before = await read('rampart-mesh-keys/internal-token.key.pem');
    const again = await command(['k8s-secrets', join(home.path, 'rampart.yaml')]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /exists: .*--force/);
    assert.equal(await read('rampart-mesh-keys/internal-token.key.pem'), before, 'untouched');
    const forced = await command(['k8s-secrets', join(home.path, 'rampart.yaml'), '--force']);
    assert.equal(forced.status, 0, forced.stderr);
    assert.notEqual(await read('rampart-mesh-keys/internal-token.key.pem'), before);
  });

  it('refuses an admin name identity would refuse', async () => {
    const result = await command([
      'k8s-secrets',
      join(home.path, 'rampart.yaml'),
      '--out',
      join(home.path, 'x'),
      '--admin',
      'Bad Name',
    ]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--admin/);
  });
});

interface Built {
  readonly sources: Map<string, Set<string>>;
  readonly pods: { readonly name: string; readonly spec: PodSpec }[];
}

interface PodSpec {
  readonly volumes?: {
    name: string;
    secret?: { secretName: string };
    configMap?: { name: string; items?: { key: string }[] };
  }[];
  readonly containers: {
    env?: { name: string; value?: string }[];
    volumeMounts?: { name: string; mountPath: string }[];
  }[];
}

async function kustomizeBuild(dir: string): Promise<Built> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  const sources = new Map<string, Set<string>>();
  const pods: { name: string; spec: PodSpec }[] = [];
  for (const document of parseAllDocuments(stdout)) {
    const object = document.toJS() as {
      kind: string;
      metadata: { name: string };
      data?: Record<string, string>;
      spec?: { template?: { spec: PodSpec } };
    };
    if (object.kind === 'Secret' || object.kind === 'ConfigMap') {
      sources.set(`${object.kind}/${object.metadata.name}`, new Set(Object.keys(object.data ?? {})));
    }
    if (
      (object.kind === 'Deployment' || object.kind === 'StatefulSet') &&
      object.spec?.template !== undefined
    ) {
      pods.push({ name: object.metadata.name, spec: object.spec.template.spec });
    }
  }
  return { sources, pods };
}

/** Every mount has a source with every key the pod names; every source the overlay makes is mounted. */
function crossCheck(built: Built): void {
  const mounted = new Set<string>();
  for (const { name, spec } of built.pods) {
    for (const volume of spec.volumes ?? []) {
      const source =
        volume.secret !== undefined
          ? `Secret/${volume.secret.secretName}`
          : volume.configMap !== undefined
            ? `ConfigMap/${volume.configMap.name}`
            : undefined;
      if (source === undefined) continue;
      mounted.add(source);
      const keys = built.sources.get(source);
      assert.ok(keys !== undefined, `${name} mounts ${source}, which nothing creates`);
      for (const item of volume.configMap?.items ?? [])
        assert.ok(keys.has(item.key), `${source} lacks ${item.key}`);
      for (const container of spec.containers) {
        const at = container.volumeMounts?.find((mount) => mount.name === volume.name)?.mountPath;
        if (at === undefined) continue;
        for (const variable of container.env ?? []) {
          if (variable.value?.startsWith(`${at}/`) !== true) continue;
          const key = variable.value.slice(at.length + 1);
          assert.ok(keys.has(key), `${name}: ${variable.name} names ${key}, not a key of ${source}`);
        }
      }
    }
  }
  for (const source of built.sources.keys()) assert.ok(mounted.has(source), `${source} is mounted by no pod`);
}

describe(
  'kustomize: the export and its secrets overlay',
  { skip: kubectlInstalled ? false : 'kubectl is not installed' },
  () => {
    let home: TempDir;
    before(async () => {
      home = await tempDir('rampart-k8s-secrets-build-');
    });
    after(() => home.cleanup());

    for (const [label, write] of [
      ['the shop', async (dir: string) => copyFile(shopFile, join(dir, 'rampart.yaml'))],
      [
        'PostgreSQL, Redis, NATS, a webhook and an external upstream',
        async (dir: string) => {
          await writeFile(join(dir, 'rampart.yaml'), SCALED_YAML);
          await writeFile(
            join(dir, 'partner-ca.pem'),
            '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n',
          );
        },
      ],
    ] as const) {
      it(`${label}: every Secret and ConfigMap mounted exists with its keys, and every one made is mounted`, async () => {
        const dir = join(home.path, label.replace(/\W+/g, '-'));
        await run('mkdir', ['-p', dir]);
        await write(dir);
        const config = join(dir, 'rampart.yaml');
        const exported = await command(['k8s', config, '--namespace', 'ns-test']);
        assert.equal(exported.status, 0, exported.stderr);
        const generated = await command(['k8s-secrets', config, '--namespace', 'ns-test']);
        assert.equal(generated.status, 0, generated.stderr);
        const built = await kustomizeBuild(join(dir, 'k8s-secrets'));
        assert.ok(built.sources.has('ConfigMap/rampart-public'));
        crossCheck(built);
      });
    }
  },
);
