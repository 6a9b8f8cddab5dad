// `rampart export k8s` on the command line: it writes the export, and refuses — writing nothing —
// an invalid rampart.yaml, a bad option, or an output directory that is not empty.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir, type TempDir } from '@rampart/testing';
import { exportCommand } from '../../src/export/export-command.ts';
import { root, shopFile } from './exports.ts';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await exportCommand(argv, { stdout: stdout.stream, stderr: stderr.stream, color: false });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('rampart export k8s', () => {
  let tmp: TempDir;
  before(async () => {
    tmp = await tempDir('rampart-export-');
  });
  after(() => tmp.cleanup());

  it('writes the shop export, pins a digest, names the Secrets to create and warns about the embedded store', async () => {
    const out = join(tmp.path, 'shop');
    const result = await run([
      'k8s',
      shopFile,
      '--out',
      out,
      '--namespace',
      'shop',
      '--digest',
      `rampart-gateway=${DIGEST}`,
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^wrote 13 files to .* \(namespace shop\)\nnext: create the Secrets listed in .*secrets\.md, then kubectl apply -k /,
    );
    assert.match(result.stderr, /warning: storage\.sql is embedded/);
    assert.match(result.stderr, /warning: storage\.redis is not set/);
    assert.match(
      result.stderr,
      /warning: gateway\.listen is 127\.0\.0\.1: .* set gateway\.listen: \['0\.0\.0\.0'\]/,
    );
    const gateway = await readFile(join(out, 'rampart-gateway.yaml'), 'utf8');
    assert.ok(gateway.includes(`image: rampart/rampart-gateway:0.1.0@${DIGEST}`));
    assert.ok((await readFile(join(out, 'kustomization.yaml'), 'utf8')).includes('namespace: shop'));
    assert.ok((await readFile(join(out, 'secrets.md'), 'utf8')).includes('`rampart-identity-env`'));
  });

  it('leaves the shop’s processes behind the sidecar out without an image, and writes their pods with --app-image', async () => {
    const without = await run(['k8s', shopFile, '--out', join(tmp.path, 'no-app-images')]);
    assert.equal(without.code, 0, without.stderr);
    for (const name of ['reviews', 'stock']) {
      assert.match(
        without.stderr,
        new RegExp(`warning: services\\.${name} runs behind the sidecar .* pass --app-image ${name}=<image>`),
      );
    }
    const out = join(tmp.path, 'app-images');
    const result = await run([
      'k8s',
      shopFile,
      '--out',
      out,
      '--digest',
      `rampart-sidecar=${DIGEST}`,
      '--app-image',
      `reviews=ghcr.io/acme/reviews:1.4.2@${DIGEST}`,
      '--app-image',
      'stock=ghcr.io/acme/stock:2.0.0',
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^wrote 15 files/);
    assert.doesNotMatch(result.stderr, /runs behind the sidecar/);
    const reviews = await readFile(join(out, 'svc-reviews.yaml'), 'utf8');
    assert.ok(reviews.includes(`image: ghcr.io/acme/reviews:1.4.2@${DIGEST}`));
    assert.ok(reviews.includes(`image: rampart/rampart-sidecar:0.1.0@${DIGEST}`));
    assert.ok(
      (await readFile(join(out, 'svc-stock.yaml'), 'utf8')).includes('image: ghcr.io/acme/stock:2.0.0'),
    );
  });

  it('never writes a secret value: only names of Secrets', async () => {
    const out = join(tmp.path, 'no-secrets');
    assert.equal((await run(['k8s', shopFile, '--out', out])).code, 0);
    for (const file of await readdir(out)) {
      const text = await readFile(join(out, file), 'utf8');
      assert.ok(!/^kind: Secret$/m.test(text), `${file} defines a Secret`);
      assert.ok(!/PRIVATE KEY/.test(text), file);
    }
  });

  const refusals: readonly (readonly [string, (dir: string) => Promise<string[]>, RegExp, number])[] = [
    [
      'a non-empty output directory',
      async (dir) => {
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'keep.txt'), 'mine');
        return ['k8s', shopFile, '--out', dir];
      },
      /is not empty: pass --force/,
      1,
    ],
    [
      'an output path that is a link',
      async (dir) => {
        await symlink(tmp.path, dir);
        return ['k8s', shopFile, '--out', dir];
      },
      /exists and is not a directory/,
      1,
    ],
    [
      'a namespace that is not a DNS label',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--namespace', 'Shop_1']),
      /--namespace "Shop_1" is not a DNS-1123 label/,
      1,
    ],
    [
      'a digest that is not sha256',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--digest', 'rampart-gateway=sha256:abc']),
      /a digest is sha256: and 64/,
      1,
    ],
    [
      'a digest for an image the export has none of',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--digest', `nginx=${DIGEST}`]),
      /--digest names no image of this export: nginx/,
      1,
    ],
    [
      '--app-image without a service',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--app-image', 'ghcr.io/acme/reviews:1']),
      /--app-image expects service=image/,
      2,
    ],
    [
      '--app-image with a malformed reference',
      (dir) =>
        Promise.resolve(['k8s', shopFile, '--out', dir, '--app-image', 'reviews=GHCR.io/Acme/Reviews']),
      /--app-image reviews="GHCR.io\/Acme\/Reviews" is not an image reference/,
      1,
    ],
    [
      '--app-image for a service built on the SDK',
      (dir) =>
        Promise.resolve(['k8s', shopFile, '--out', dir, '--app-image', 'orders=ghcr.io/acme/orders:1']),
      /'orders' is built on @rampart\/sdk/,
      1,
    ],
    [
      'a registry with a scheme',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--image-registry', 'https://ghcr.io/acme']),
      /is not a registry path/,
      1,
    ],
    [
      'a relative app dir',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--app-dir', 'app']),
      /must be an absolute path/,
      1,
    ],
    [
      'an invalid rampart.yaml',
      async (dir) => {
        const bad = join(tmp.path, 'bad.yaml');
        await writeFile(bad, 'version: 1\nname: x\nservices: {}\n');
        return ['k8s', bad, '--out', dir];
      },
      /is invalid; nothing written/,
      1,
    ],
    [
      'an unknown target',
      (dir) => Promise.resolve(['helm', shopFile, '--out', dir]),
      /expected 'k8s' or 'k8s-secrets', got 'helm'/,
      2,
    ],
    [
      'an unknown option',
      (dir) => Promise.resolve(['k8s', shopFile, '--out', dir, '--privileged']),
      /Unknown option '--privileged'/,
      2,
    ],
  ];
  for (const [what, argv, message, code] of refusals) {
    it(`refuses ${what}, writing nothing`, async () => {
      const dir = join(tmp.path, `refused-${Math.random().toString(16).slice(2)}`);
      const args = await argv(dir);
      const before = await readdir(dir).catch(() => undefined);
      const result = await run(args);
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
      assert.deepEqual(await readdir(dir).catch(() => undefined), before);
    });
  }

  it('is a verb of the rampart command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      join(root, 'apps/cli/src/main.ts'),
      'export',
      'k8s',
      '--help',
    ]);
    assert.match(stdout, /^Usage: rampart export k8s/);
  });
});
