import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { checkCommand } from '../src/check-command.ts';
import { schemaCommand } from '../src/schema-command.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const SHOP = join(ROOT, 'packages/config/test/fixtures/shop.yaml');
const MAIN = join(ROOT, 'apps/cli/src/main.ts');

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = capture();
  const stderr = capture();
  const code = await checkCommand(argv, { stdout: stdout.stream, stderr: stderr.stream, color: false });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const BAD = `version: 1
name: shop
policies: { p: {} }
services:
  orders:
    entry: o.ts
    port: 7102
    callers: [gateway]
    sensitive: [ssn]
    routes:
      - method: GET
        path: /orders
        polcy: p
      - method: POST
        path: /orders
        policy: p
        schema: { body: { properties: { name: {} } } }
`;

/** Legal but dangerous: a public write route (the only problem). */
const RISKY = `version: 1
name: shop
policies: { anyone: { public: true } }
services:
  orders:
    entry: o.ts
    port: 7102
    callers: [gateway]
    routes:
      - { method: POST, path: /orders, policy: anyone }
`;

describe('rampart check', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rampart-check-'));
    await writeFile(join(dir, 'bad.yaml'), BAD);
    await writeFile(join(dir, 'risky.yaml'), RISKY);
    await writeFile(join(dir, 'rampart.yaml'), await readFile(SHOP));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints a summary for a valid file and exits 0', async () => {
    const { code, stdout, stderr } = await run([SHOP]);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.match(stdout, /^✓ .*shop\.yaml is valid \(3 services, 5 routes\)\n$/);
  });

  it('prints each problem and a count, and exits 1', async () => {
    const { code, stdout } = await run([join(dir, 'bad.yaml')]);
    assert.equal(code, 1);
    const lines = stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /bad\.yaml:13:9 error CFG_UNKNOWN_KEY unknown key `polcy` — did you mean `policy`\?$/,
    );
    assert.equal(lines[1], '    fix: rename `polcy` to `policy`');
    assert.equal(lines.at(-1), '✗ 1 error');
  });

  it('--json prints { ok, file, problems }', async () => {
    const { code, stdout } = await run(['--json', join(dir, 'bad.yaml')]);
    assert.equal(code, 1);
    const parsed = JSON.parse(stdout) as {
      ok: boolean;
      file: string;
      problems: { code: string; line: number }[];
    };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.file, join(dir, 'bad.yaml'));
    assert.deepEqual(
      parsed.problems.map((p) => [p.code, p.line]),
      [['CFG_UNKNOWN_KEY', 13]],
    );
  });

  it('prints a warning with its reason and fix, and still exits 0', async () => {
    const { code, stdout } = await run([join(dir, 'risky.yaml')]);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /risky\.yaml:10:48 warning CFG_PUBLIC_WRITE_ROUTE .*anyone can call it without a token$/,
    );
    assert.match(lines[1] ?? '', /^ {4}fix: give it a policy that requires a token/);
    assert.match(lines.at(-1) ?? '', /^✓ .*risky\.yaml is valid \(1 service, 1 route, 1 warning\)$/);
  });

  it('--strict makes warnings errors', async () => {
    const { code, stdout } = await run(['--strict', join(dir, 'risky.yaml')]);
    assert.equal(code, 1);
    assert.match(stdout, /risky\.yaml:10:48 error CFG_PUBLIC_WRITE_ROUTE/);
    assert.equal(stdout.trimEnd().split('\n').at(-1), '✗ 1 error');
  });

  it('--json carries warnings, and --strict with it', async () => {
    const plain = await run(['--json', join(dir, 'risky.yaml')]);
    assert.equal(plain.code, 0);
    const report = JSON.parse(plain.stdout) as {
      ok: boolean;
      errors: number;
      warnings: number;
      problems: { code: string; severity: string; fix?: string }[];
    };
    assert.deepEqual([report.ok, report.errors, report.warnings], [true, 0, 1]);
    assert.deepEqual(
      report.problems.map((p) => [p.code, p.severity, typeof p.fix]),
      [['CFG_PUBLIC_WRITE_ROUTE', 'warning', 'string']],
    );
    const strict = await run(['--json', '--strict', join(dir, 'risky.yaml')]);
    assert.equal(strict.code, 1);
    const strictReport = JSON.parse(strict.stdout) as { ok: boolean; errors: number; warnings: number };
    assert.deepEqual([strictReport.ok, strictReport.errors, strictReport.warnings], [false, 1, 0]);
  });

  it('defaults to rampart.yaml in the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const { code, stdout } = await run([]);
      assert.equal(code, 0);
      assert.match(stdout, /^✓ rampart\.yaml is valid/);
    } finally {
      process.chdir(cwd);
    }
  });

  it('exits 1 for a missing file', async () => {
    const { code, stdout } = await run([join(dir, 'missing.yaml')]);
    assert.equal(code, 1);
    assert.match(stdout, /missing\.yaml error CFG_FILE_NOT_FOUND no such file/);
  });

  it('exits 2 with usage on an unknown flag or extra arguments', async () => {
    for (const argv of [['--jsn'], ['a.yaml', 'b.yaml']]) {
      const { code, stdout, stderr } = await run(argv);
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.match(stderr, /Usage: rampart check \[file\] \[--json\]/);
    }
  });

  it('rampart schema prints exactly rampart.schema.json', async () => {
    const out = capture();
    assert.equal(schemaCommand({ stdout: out.stream }), 0);
    assert.equal(out.text(), await readFile(join(ROOT, 'rampart.schema.json'), 'utf8'));
  });

  it(
    'the real CLI checks a file',
    { skip: existsSync(MAIN) ? false : 'apps/cli/src/main.ts does not exist yet (the lead is writing it)' },
    async () => {
      const node = join(ROOT, 'node_modules/.bin/node');
      const { stdout } = await promisify(execFile)(node, [MAIN, 'check', SHOP], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
      });
      assert.match(
        stdout,
        /✓ packages\/config\/test\/fixtures\/shop\.yaml is valid \(3 services, 5 routes\)/,
      );
      await assert.rejects(promisify(execFile)(node, [MAIN, 'check', join(dir, 'bad.yaml')], { cwd: ROOT }), {
        code: 1,
      });
    },
  );
});
