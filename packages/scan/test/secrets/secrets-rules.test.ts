// The secrets module: each rule against its positive fixture (it must report) and its negative one
// (it must not), the raw secret never in any report, fingerprints keyed on the secret, test paths,
// binary and oversized files, inline allow comments, committed `.env`/`.rampart/`, git history.
// Secrets are made up: the fixtures' are valid in shape only (marked FAKE); the ones written here
// are assembled at run time so that no source file holds one whole.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { tempDir, type TempDir } from '@rampart/testing';
import {
  allFindings,
  createSecretsModule,
  findSecrets,
  isPlaceholder,
  isSafeRevision,
  isSecretName,
  isTestPath,
  jsonReport,
  MAX_FILE_BYTES,
  redactSecret,
  runScan,
  sarifReport,
  SECRETS_RULES,
  secretsModule,
  shannonEntropy,
  textReport,
  type ScanResult,
} from '@rampart/scan';
import { FIXTURES, rulesReported } from '../rule-fixtures.ts';

const run = promisify(execFile);
const DIR = join(FIXTURES, 'secrets');
/** Rules about files git tracks: tested on temporary repositories below, not with fixture files. */
const FILE_RULES = new Set(['secrets/env-file-committed', 'secrets/rampart-state-committed']);

/** A made-up token: `prefix` then `length` letters and digits derived from `prefix` by SHA-256. */
function madeUp(prefix: string, length: number): string {
  let value = '';
  for (let i = 0; value.length < length; i += 1) {
    value += createHash('sha256')
      .update(`${prefix}${i}`)
      .digest('base64')
      .replace(/[^A-Za-z0-9]/gu, '');
  }
  return `${prefix}${value.slice(0, length)}`;
}
const GITHUB = madeUp(['gh', 'p_'].join(''), 36);
const STRIPE = madeUp(['sk', 'live', ''].join('_'), 30);
const PASSWORD = madeUp('Pw-', 21);

let dir: TempDir;
before(async () => {
  dir = await tempDir('rampart-scan-secrets-');
});
after(async () => {
  await dir.cleanup();
});

async function tree(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const root = join(dir.path, name);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'user.name=t', '-c', 'user.email=t@example.test', '-c', 'commit.gpgsign=false', ...args],
    { cwd },
  );
  return stdout.trim();
}

function fixture(ruleId: string, kind: 'positive' | 'negative'): string | undefined {
  const name = ruleId.slice('secrets/'.length);
  const file = readdirSync(DIR).find((f) => f.startsWith(`${name}.${kind}.`));
  return file === undefined ? undefined : join(DIR, file);
}

describe('secrets rules, fixture by fixture', () => {
  for (const id of SECRETS_RULES.keys()) {
    if (FILE_RULES.has(id)) continue;
    it(`${id}: reports its positive fixture, not its negative one`, async () => {
      const positive = fixture(id, 'positive');
      const negative = fixture(id, 'negative');
      assert.ok(positive !== undefined && negative !== undefined, `fixtures of ${id}`);
      assert.ok((await rulesReported(secretsModule, positive)).includes(id), positive);
      assert.deepEqual(await rulesReported(secretsModule, negative), [], negative);
    });
  }
});

function scanOf(root: string, module = secretsModule): Promise<ScanResult> {
  return runScan({ root, modules: [module] });
}

describe('secrets: the raw value never leaves the scanner', () => {
  it('text, JSON and SARIF show a redacted form only', async () => {
    const root = await tree('redaction', {
      'src/config.ts': `export const token = '${GITHUB}';\nconst stripe = "${STRIPE}";\n`,
      'deploy/app.env.yaml': `db:\n  url: postgres://app:${PASSWORD}@db.prod.internal/app\n  password: "${PASSWORD}"\n`,
    });
    const result = await scanOf(root);
    const ids = allFindings(result).map((f) => f.ruleId);
    for (const id of ['secrets/github-token', 'secrets/stripe-live-key', 'secrets/uri-credentials']) {
      assert.ok(ids.includes(id), id);
    }
    const outputs = [
      textReport(result, 'low'),
      JSON.stringify(jsonReport(result, 'low')),
      JSON.stringify(sarifReport(result)),
    ];
    for (const output of outputs) {
      for (const secret of [GITHUB, STRIPE, PASSWORD, GITHUB.slice(4, 20), PASSWORD.slice(3)]) {
        assert.ok(!output.includes(secret), `a report contains ${redactSecret(secret)}`);
      }
      assert.ok(output.includes(redactSecret(GITHUB)));
    }
    assert.equal(redactSecret(GITHUB), 'ghp_… (40 chars)');
    assert.equal(redactSecret('hunter22'), 'hu… (8 chars)');
  });

  it('keys the fingerprint on the secret: moved in its file it is the same finding, changed it is another', async () => {
    const before = await scanOf(await tree('move-a', { 'a.ts': `const t = '${GITHUB}';\n` }));
    const moved = await scanOf(await tree('move-b', { 'a.ts': `\n\n// moved\nlet t2 = "${GITHUB}";\n` }));
    const other = await scanOf(await tree('move-c', { 'a.ts': `const t = '${GITHUB.slice(0, -1)}Z';\n` }));
    const fingerprint = (r: ScanResult): string | undefined => allFindings(r)[0]?.fingerprint;
    assert.equal(fingerprint(before), fingerprint(moved));
    assert.notEqual(fingerprint(before), fingerprint(other));
  });
});

describe('secrets: where a secret is', () => {
  it('reports test paths as low, other paths at the rule severity', async () => {
    const root = await tree('test-paths', {
      'src/a.ts': `const t = '${GITHUB}';\n`,
      'test/a.ts': `const t = '${GITHUB}';\n`,
      'src/a.test.ts': `const t = '${GITHUB}';\n`,
    });
    const severities = allFindings(await scanOf(root)).map(
      (f) => `${JSON.stringify(f.location)} ${f.severity}`,
    );
    assert.equal(severities.length, 3);
    assert.ok(severities.some((s) => s.includes('"src/a.ts"') && s.endsWith('critical')));
    assert.ok(severities.some((s) => s.includes('"test/a.ts"') && s.endsWith('low')));
    assert.ok(severities.some((s) => s.includes('"src/a.test.ts"') && s.endsWith('low')));
    assert.ok(isTestPath('packages/x/test/fixtures/a.pem') && !isTestPath('src/contest/a.ts'));
  });

  it('skips binary files and refuses (exit 2, not silence) files over the size bound', async () => {
    const root = await tree('binary', {
      'logo.png': Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0]), Buffer.from(GITHUB)]),
      'big.log': Buffer.alloc(MAX_FILE_BYTES + 1, 'a'),
    });
    const [outcome] = (await scanOf(root)).modules;
    assert.ok(outcome !== undefined);
    assert.equal(outcome.findings.length, 0);
    assert.deepEqual(
      outcome.failures.map((f) => f.file),
      ['big.log'],
    );
  });

  it('honours an inline rampart-ignore with a reason', async () => {
    const root = await tree('inline', {
      'a.ts': `// rampart-ignore secrets/github-token revoked on 2025-01-01, kept to test the parser\nconst t = '${GITHUB}';\n`,
    });
    const [finding] = allFindings(await scanOf(root));
    assert.equal(finding?.suppression?.kind, 'inline');
  });

  it('leaves inline secrets of rampart.yaml to the config module (rampart check)', () => {
    const text = `identity:\n  clients:\n    - id: shop\n      secret: ${PASSWORD}\n`;
    assert.equal(findSecrets(text, { configFile: true, skipGeneric: true }).length, 0);
    assert.equal(findSecrets(text, { configFile: true }).length, 1);
  });
});

describe('secrets: files that should not be committed', () => {
  it('reports a tracked .env and a tracked .rampart/, not an ignored .env nor .env.example', async () => {
    const root = await tree('committed', {
      '.env': 'DEBUG=1\n',
      '.env.example': 'API_TOKEN=<your-token>\n',
      'svc/.env.local': 'DEBUG=1\n',
      '.gitignore': 'svc/.env.local\n',
      '.rampart/ca.key': 'x\n',
    });
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-qm', 'init');
    const findings = allFindings(await scanOf(root)).map((f) => `${f.ruleId} ${JSON.stringify(f.location)}`);
    assert.deepEqual(findings.sort(), [
      'secrets/env-file-committed {"file":".env","line":0,"column":0}',
      'secrets/rampart-state-committed {"file":".rampart","line":0,"column":0}',
    ]);
  });
});

describe('secrets: git history', () => {
  it('finds a secret a commit added and a later one removed, pointing at the commit', async () => {
    const root = await tree('history', { 'README.md': '# app\n' });
    await git(root, 'init', '-q');
    await git(root, 'add', '.');
    await git(root, 'commit', '-qm', 'one');
    const first = await git(root, 'rev-parse', 'HEAD');
    await writeFile(join(root, 'config.ts'), `export const a = 1;\nexport const token = '${GITHUB}';\n`);
    await git(root, 'add', '.');
    await git(root, 'commit', '-qm', 'leak');
    const leak = await git(root, 'rev-parse', 'HEAD');
    await writeFile(join(root, 'config.ts'), 'export const a = 1;\n');
    await git(root, 'commit', '-qam', 'fix');

    assert.equal(allFindings(await scanOf(root)).length, 0, 'the files alone are clean');
    const result = await scanOf(root, createSecretsModule({ gitHistory: {} }));
    const [finding, ...rest] = allFindings(result);
    assert.equal(rest.length, 0);
    assert.ok(finding !== undefined);
    assert.equal(finding.ruleId, 'secrets/github-token');
    assert.deepEqual(finding.location, { file: `config.ts@${leak.slice(0, 12)}`, line: 2, column: 23 });
    assert.match(finding.message, new RegExp(`added in commit ${leak.slice(0, 12)}`, 'u'));
    assert.ok(!JSON.stringify(sarifReport(result)).includes(GITHUB));

    const since = await scanOf(root, createSecretsModule({ gitHistory: { since: leak } }));
    assert.equal(allFindings(since).length, 0, '--since leak: only the commits after it');
    const all = await scanOf(root, createSecretsModule({ gitHistory: { since: first } }));
    assert.equal(allFindings(all).length, 1);
  });

  it('says it could not look (a failure) outside a repository, past its bounds, or for a revision that is an option', async () => {
    const plain = await tree('not-a-repo', { 'a.txt': 'x\n' });
    const [outcome] = (await scanOf(plain, createSecretsModule({ gitHistory: {} }))).modules;
    assert.equal(outcome?.failures.length, 1);
    assert.ok(
      !isSafeRevision('--output=/tmp/x') && !isSafeRevision('a..b') && isSafeRevision('origin/main~3'),
    );
    const bounded = await tree('bounded', { 'a.txt': 'x\n' });
    await git(bounded, 'init', '-q');
    await git(bounded, 'add', '.');
    await git(bounded, 'commit', '-qm', 'one');
    await writeFile(join(bounded, 'a.txt'), 'y\n');
    await git(bounded, 'commit', '-qam', 'two');
    const [limited] = (await scanOf(bounded, createSecretsModule({ gitHistory: { maxCommits: 1 } }))).modules;
    assert.match(limited?.failures[0]?.message ?? '', /more than 1 commits/u);
  });
});

describe('secrets: values that are not secrets', () => {
  it('knows placeholders', () => {
    for (const value of [
      'AKIAIOSFODNN7EXAMPLE',
      'changeme',
      '<your-token>',
      '${env:DB_PASSWORD}',
      '{{ .Values.password }}',
      'xxxxxxxxxxxxxxxx',
      'P@ssw0rd1!',
      's3cret',
      'abc123456789',
    ]) {
      assert.ok(isPlaceholder(value), value);
    }
    for (const value of [GITHUB, PASSWORD, 'Zq3x7Kp9Lm2Qr']) assert.ok(!isPlaceholder(value, 'ghp_'), value);
  });

  it('knows which names hold a secret', () => {
    for (const name of [
      'password',
      'DB_PASSWORD',
      'clientSecret',
      'api_key',
      'apiKey',
      'privateKey',
      'x.auth.token',
    ]) {
      assert.ok(isSecretName(name), name);
    }
    for (const name of [
      'token_type',
      'passwordHash',
      'secretName',
      'publicKey',
      'key',
      'tokenUrl',
      'secret_file',
    ]) {
      assert.ok(!isSecretName(name), name);
    }
  });

  it('measures entropy per character', () => {
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abcd'), 2);
    assert.ok(shannonEntropy(GITHUB) > 3);
  });
});
