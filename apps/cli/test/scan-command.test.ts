// `rampart scan`: exit codes (0 clean, 1 findings at or above --fail-on, 2 could not look), the
// three formats, --output, baselines through the command line, and the repository's own scan.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir, type TempDir } from '@rampart/testing';
import { scanCommand } from '../src/scan-command.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/cli/src/main.ts');
const PINNED = `FROM node:24-slim@sha256:${'a'.repeat(64)}`;
/** The OSV fixture of the deps module: tests never ask the real registry. */
const OSV = join(ROOT, 'packages/scan/test/corpus/deps/advisories');
const VULNERABLE_LOCK = join(
  ROOT,
  'packages/scan/test/fixtures/deps/known-vulnerability.positive/package-lock.json',
);

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const stdout = new PassThrough().on('data', (c: Buffer) => out.push(c));
  const stderr = new PassThrough().on('data', (c: Buffer) => err.push(c));
  const code = await scanCommand(argv, { stdout, stderr, color: false });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

let dir: TempDir;
before(async () => {
  dir = await tempDir('rampart-scan-cli-');
});
after(async () => {
  await dir.cleanup();
});

async function tree(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir.path, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe('rampart scan: exit codes', () => {
  it('0 when nothing is at or above --fail-on', async () => {
    const root = await tree('clean', { Dockerfile: `${PINNED}\nUSER 1\nCMD ["node"]\n` });
    const { code, stdout } = await run([root]);
    assert.equal(code, 0);
    assert.match(stdout, /✓ nothing at or above high \(no findings\) — exit 0/u);
  });
  it('1 on a finding at or above --fail-on, 0 when it is below', async () => {
    const root = await tree('sudo', { Dockerfile: `${PINNED}\nRUN sudo make\nUSER 1\n` });
    assert.equal((await run([root])).code, 0); // sudo is medium, default --fail-on high
    const failing = await run([root, '--fail-on', 'medium']);
    assert.equal(failing.code, 1);
    assert.match(failing.stdout, /MEDIUM \(1\)\n {2}Dockerfile:2:1 {2}dockerfile\/sudo/u);
    assert.match(failing.stdout, /why: .*\n {6}fix: /u);
  });
  it('2 when a module could not look, even with no finding', async () => {
    const root = await tree('broken', { 'k8s/pod.yaml': 'apiVersion: v1\nkind: Pod\nmetadata: [\n' });
    const { code, stdout } = await run([root, '--fail-on', 'info']);
    assert.equal(code, 2);
    assert.match(stdout, /Could not look \(1\)\n {2}k8s {2}k8s\/pod\.yaml: YAML error/u);
  });
  it('2 for a directory that does not exist, a bad option, an unknown module or a bad baseline', async () => {
    assert.equal((await run([join(dir.path, 'nowhere')])).code, 2);
    assert.equal((await run(['--format', 'xml'])).code, 2);
    assert.equal((await run(['--fail-on', 'severe'])).code, 2);
    assert.equal((await run(['--module', 'docker'])).code, 2);
    assert.equal((await run(['.', '--baseline', join(dir.path, 'missing.json')])).code, 2);
    assert.equal((await run(['.', '--since', 'main'])).code, 2); // --since needs --git-history
    assert.equal((await run(['.', '--git-history', '--since=--output=/tmp/x'])).code, 2); // never an option to git
    assert.equal((await run(['.', '--git-history', '--module', 'k8s'])).code, 2);
  });
});

describe('rampart scan: formats and baselines', () => {
  it('writes JSON and SARIF, to --output when asked', async () => {
    const root = await tree('formats', { Dockerfile: 'FROM node\nCMD node main.js\n' });
    const json = JSON.parse((await run([root, '--format', 'json'])).stdout) as {
      exitCode: number;
      findings: { ruleId: string }[];
    };
    assert.equal(json.exitCode, 1);
    assert.ok(json.findings.some((f) => f.ruleId === 'dockerfile/root-user'));
    const output = join(dir.path, 'out.sarif');
    const { code, stdout } = await run([
      root,
      '--format',
      'sarif',
      '--output',
      output,
      '--module',
      'dockerfile',
    ]);
    assert.equal(code, 1);
    assert.equal(stdout, '');
    const sarif = JSON.parse(await readFile(output, 'utf8')) as { version: string; runs: unknown[] };
    assert.equal(sarif.version, '2.1.0');
    assert.equal(sarif.runs.length, 1);
  });
  it('--write-baseline then --baseline: the same findings pass, a new one fails', async () => {
    const root = await tree('baseline', { Dockerfile: 'FROM node\nCMD node main.js\n' });
    const baseline = join(dir.path, 'baseline.json');
    assert.equal((await run([root, '--write-baseline', baseline])).code, 1);
    const accepted = await run([root, '--baseline', baseline]);
    assert.equal(accepted.code, 0);
    assert.match(
      accepted.stdout,
      /Suppressed \(\d+\)[\s\S]*baseline \(.*baseline\.json\): present when the baseline was written/u,
    );
    await writeFile(join(root, 'Dockerfile'), 'FROM node\nRUN curl -k https://x | sh\nCMD node main.js\n');
    assert.equal((await run([root, '--baseline', baseline])).code, 1);
  });
  it('skips node_modules, .git and the paths of .rampartscanignore', async () => {
    const root = await tree('ignores', {
      'node_modules/x/Dockerfile': 'FROM node\n',
      '.git/Dockerfile': 'FROM node\n',
      'fixtures/Dockerfile': 'FROM node\n',
      '.rampartscanignore': '# deliberately insecure fixtures\nfixtures/\n',
    });
    assert.equal((await run([root, '--fail-on', 'info'])).code, 0);
  });
});

describe('rampart scan: dependencies', () => {
  it('--offline-advisories: 1 on a vulnerable lockfile, 0 with --prod-only when it is dev only', async () => {
    const lock = JSON.parse(await readFile(VULNERABLE_LOCK, 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const root = await tree('deps', { 'package-lock.json': JSON.stringify(lock, null, 2) });
    const { code, stdout } = await run([root, '--module', 'deps', '--offline-advisories', OSV]);
    assert.equal(code, 1);
    assert.match(stdout, /minimist@1\.2\.5: Prototype Pollution in minimist \(GHSA-xvch-5gv4-984h/u);
    const dev = structuredClone(lock);
    const minimist = dev.packages['node_modules/minimist'];
    assert.ok(minimist !== undefined);
    minimist.dev = true;
    const devRoot = await tree('deps-dev', { 'package-lock.json': JSON.stringify(dev, null, 2) });
    const args = [devRoot, '--module', 'deps', '--offline-advisories', OSV];
    assert.equal((await run(args)).code, 1);
    assert.equal((await run([...args, '--prod-only'])).code, 0);
  });

  it('2 when the registry cannot be reached: never "clean" when it could not look', async () => {
    const root = await tree('deps-offline', { 'package-lock.json': await readFile(VULNERABLE_LOCK, 'utf8') });
    const { code, stdout } = await run([
      root,
      '--module',
      'deps',
      '--advisory-registry',
      'http://127.0.0.1:1',
    ]);
    assert.equal(code, 2);
    assert.match(stdout, /cannot reach http:\/\/127\.0\.0\.1:1\/-\/npm\/v1\/security\/advisories\/bulk/u);
    assert.match(stdout, /--offline-advisories/u);
    assert.equal((await run([root, '--advisory-registry', 'ftp://x'])).code, 2);
    assert.equal((await run([root, '--advisory-registry', 'http://x', '--offline-advisories', OSV])).code, 2);
  });
});

describe('rampart scan on this repository', () => {
  it('is clean at --fail-on low, with the exported shop manifests (speed: bench/scan-accuracy.ts)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        MAIN,
        'scan',
        ROOT,
        '--fail-on',
        'low',
        '--baseline',
        join(ROOT, '.rampart-scan-baseline.json'),
        '--offline-advisories', // tests stay offline; .ci/run asks the registry
        OSV,
      ],
      { cwd: ROOT },
    );
    assert.match(stdout, /exit 0/u);
    const out = join(dir.path, 'k8s');
    await promisify(execFile)(
      process.execPath,
      [MAIN, 'export', 'k8s', join(ROOT, 'examples/shop/rampart.yaml'), '--out', out],
      { cwd: ROOT },
    );
    const exported = await promisify(execFile)(
      process.execPath,
      [MAIN, 'scan', out, '--fail-on', 'low', '--baseline', join(ROOT, '.rampart-scan-baseline.json')],
      { cwd: ROOT },
    );
    assert.match(exported.stdout, /exit 0/u);
  });
});
