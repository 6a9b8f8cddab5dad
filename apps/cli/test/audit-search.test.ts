import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { auditLedgerFile, openLedger, verifyLedger, type Ledger } from '@rampart/audit';
import { openEmbeddedStore, type Store } from '@rampart/sdk';
import { tempDir, type TempDir } from '@rampart/testing';
import { stateDirFor } from '../src/up/state-dir.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(ROOT, 'apps/cli/src/main.ts');
/** A zone with a half-hour offset and no daylight saving: 10:01Z is 15:31 there. */
const ENV = { ...process.env, TZ: 'Asia/Kolkata', NO_COLOR: '1', FORCE_COLOR: '' };

const SUBJECT = 'ps_AAAAAAAAAAAAAAAAAAAAAA';
const OTHER = 'ps_BBBBBBBBBBBBBBBBBBBBBB';
const TYPES = ['login.failed', 'token.issued', 'token.refreshed', 'gateway.denied'] as const;

/** Event n: minutes after 10:00Z on 2026-12-07, fields varying with n. */
function event(n: number, type?: string): Record<string, string> {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    time: new Date(Date.parse('2026-12-07T10:00:00Z') + n * 60_000).toISOString(),
    event: type ?? TYPES[n % TYPES.length] ?? 'login.failed',
    service: n % 4 === 3 ? 'gateway' : 'identity',
    outcome: n % 3 === 0 ? 'success' : 'failure',
    reason: n % 3 === 0 ? 'password_totp' : 'bad_password',
    subject: n % 2 === 0 ? SUBJECT : OTHER,
    clientId: 'shop-web',
    sourceIp: n % 5 === 0 ? '2001:db8::7' : '203.0.113.9',
    route: 'POST /auth/token',
    traceId: n.toString(16).padStart(32, '0'),
    requestId: `req-${n}`,
    source: 'spiffe://rampart.test/rampart/identity',
  };
}

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function rampart(...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], {
      env: ENV,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The seqs in a table's rows (its first column), top to bottom. */
function tableSeqs(stdout: string): number[] {
  return stdout
    .split('\n')
    .filter((line) => /^\d+ /.test(line))
    .map((line) => Number(line.split(' ')[0]));
}

const COUNT = 120;
/** The commands read rampart.yaml for where the trail is stored (embedded here). */
const MINIMAL_CONFIG =
  'version: 1\nname: audit-search\nservices:\n  echo: { entry: main.ts, port: 7001, callers: [gateway] }\n';

describe('rampart audit search and tail', () => {
  let dir: TempDir;
  let config: string;
  let store: Store;
  let ledger: Ledger;
  const keys = generateKeyPairSync('ed25519');

  before(async () => {
    dir = await tempDir('rampart-audit-search-');
    config = join(dir.path, 'rampart.yaml');
    writeFileSync(config, MINIMAL_CONFIG);
    const state = stateDirFor(config);
    mkdirSync(state.componentDir('audit'), { recursive: true });
    store = openEmbeddedStore(auditLedgerFile(state.componentDir('audit')));
    ledger = await openLedger({
      store,
      signingKey: keys.privateKey,
      exportFile: join(state.componentDir('audit'), 'checkpoints.jsonl'),
      checkpointEvery: { events: 50, seconds: 3600 },
      onError: (error) => {
        throw error;
      },
    });
    for (let n = 1; n <= COUNT; n++) await ledger.append(event(n).id ?? '', event(n));
  });
  after(async () => {
    await ledger.close();
    await store.close();
    await dir.cleanup();
  });

  it('prints the newest events as a table in the local zone, with the command for the next page', async () => {
    const first = await rampart('audit', 'search', config, '--limit', '5');
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.split('\n');
    assert.match(
      lines[0] ?? '',
      /^seq\s+time\s+event\s+outcome\s+reason\s+service\s+subject\s+client\s+ip\s+route\s+trace$/,
    );
    assert.match(lines[1] ?? '', /^\(times in Asia\/(?:Kolkata|Calcutta), UTC\+05:30\)$/);
    assert.deepEqual(tableSeqs(first.stdout), [120, 119, 118, 117, 116]);
    // Event 120: 10:00Z + 120 min = 12:00Z = 17:30 in Kolkata.
    const row = lines.find((line) => line.startsWith('120 ')) ?? '';
    for (const cell of [
      '2026-12-07 17:30:00.000',
      'login.failed',
      'success',
      'password_totp',
      'identity',
      SUBJECT,
      'shop-web',
      '2001:db8::7',
      'POST /auth/token',
      (120).toString(16).padStart(32, '0'),
    ]) {
      assert.ok(row.includes(cell), `${cell} in ${row}`);
    }
    const footer = lines.find((line) => line.startsWith('-- ')) ?? '';
    assert.match(
      footer,
      /^-- 5 events \(seq 120…116\); next page: rampart audit search .* --limit 5 --before 116$/,
    );
    // The footer's command, run as written, gives the next page.
    const next = footer
      .slice(footer.indexOf('rampart audit search ') + 'rampart audit search '.length)
      .split(' ');
    const second = await rampart('audit', 'search', ...next);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(tableSeqs(second.stdout), [115, 114, 113, 112, 111]);
  });

  it('filters by every option together and says when there is no more', async () => {
    const run = await rampart(
      'audit',
      'search',
      config,
      '--event',
      'token.',
      '--outcome',
      'failure',
      '--subject',
      SUBJECT,
      '--client',
      'shop-web',
      '--ip',
      '203.0.113.9',
      '--route',
      'POST /auth/token',
      '--service',
      'identity',
      '--from',
      '2026-12-07T10:30:00Z',
      '--to',
      '2026-12-07T13:00:00+02:00', // 11:00Z
      '--limit',
      '1000',
    );
    assert.equal(run.code, 0, run.stderr);
    const expected: number[] = [];
    for (let n = COUNT; n >= 1; n--) {
      const e = event(n);
      if (
        (e['event'] ?? '').startsWith('token.') &&
        e['outcome'] === 'failure' &&
        e['subject'] === SUBJECT &&
        e['sourceIp'] === '203.0.113.9' &&
        e['service'] === 'identity' &&
        n >= 30 &&
        n < 60
      )
        expected.push(n);
    }
    assert.ok(expected.length > 0);
    assert.deepEqual(tableSeqs(run.stdout), expected);
    assert.match(run.stdout, new RegExp(`-- ${expected.length} events .*; no more\\n$`));
  });

  it('finds one trace and one request; an IPv6 address in any spelling', async () => {
    const trace = await rampart('audit', 'search', config, '--trace', (77).toString(16).padStart(32, '0'));
    assert.deepEqual(tableSeqs(trace.stdout), [77]);
    const request = await rampart('audit', 'search', config, '--request', 'req-42');
    assert.deepEqual(tableSeqs(request.stdout), [42]);
    const ip = await rampart('audit', 'search', config, '--ip', '2001:DB8:0::7', '--limit', '1000');
    assert.deepEqual(
      tableSeqs(ip.stdout),
      Array.from({ length: COUNT / 5 }, (_, i) => COUNT - i * 5),
    );
  });

  it('--json prints each event as stored with its seq, one per line, and the next page on stderr', async () => {
    const run = await rampart('audit', 'search', config, '--event', 'login.failed', '--limit', '3', '--json');
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      parsed.map((line) => line['seq']),
      [120, 116, 112],
    );
    assert.deepEqual(parsed[0], { seq: 120, ...event(120) });
    assert.ok(lines[0]?.startsWith('{"seq":120,'));
    assert.match(run.stderr, /next page: rampart audit search .* --before 112 --json/);
  });

  it('takes hostile values as values: nothing matches, nothing changes', async () => {
    const before = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_entries');
    for (const route of ["GET /'OR'1'='1", 'GET /x";DELETE-FROM-audit_entries;--', 'GET /%']) {
      const run = await rampart('audit', 'search', config, '--route', route);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, 'no events match\n-- 0 events; no more\n');
    }
    const after = await store.get<{ n: number }>('SELECT COUNT(*) AS n FROM audit_entries');
    assert.deepEqual(after, before);
    const verified = await verifyLedger(store, { publicKey: keys.publicKey });
    assert.ok(verified.ok && verified.events === COUNT);
  });

  const bad: [string, string[], RegExp][] = [
    ['a subject that is not a pseudonym', ['--subject', 'alice'], /--subject must be a pseudonymous subject/],
    ['a huge route', ['--route', `GET /${'a'.repeat(100_000)}`], /--route longer than 256 characters/],
    ['SQL in a client id', ['--client', "x' OR 1=1 --"], /--client must be a client id/],
    [
      'an outcome that does not exist',
      ['--outcome', 'denied'],
      /--outcome must be success, failure or unknown/,
    ],
    ['a time without a zone', ['--from', '2026-12-07T10:00'], /--from must be an ISO 8601 time/],
    ['a limit over 1000', ['--limit', '1001'], /--limit must be an integer from 1 to 1000/],
    ['--before with --after', ['--before', '5', '--after', '1'], /--after cannot be given with --before/],
    ['an unknown option', ['--colour', 'red'], /Unknown option '--colour'/],
    ['--user without a reason', ['--user', 'alice'], /--user re-identifies a person: give --reason/],
    ['a reason without --user', ['--reason', 'incident_response'], /--reason is given only with --user/],
    [
      '--user with --subject',
      ['--user', 'alice', '--reason', 'legal_request', '--subject', SUBJECT],
      /--subject cannot be given with --user/,
    ],
    [
      '--user with --before',
      ['--user', 'alice', '--before', '5'],
      /--before pages a --user search by --cursor/,
    ],
  ];
  for (const [name, args, message] of bad) {
    it(`exits 2 on ${name}, naming it`, async () => {
      const run = await rampart('audit', 'search', config, ...args);
      assert.equal(run.code, 2);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, message);
    });
  }

  it('exits 2 where there is no trail, and prints its help', async () => {
    const empty = await tempDir('rampart-audit-none-');
    try {
      const file = join(empty.path, 'rampart.yaml');
      for (const verb of ['search', 'tail']) {
        const missing = await rampart('audit', verb, file);
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, new RegExp(`cannot ${verb}: .*rampart\\.yaml.*CFG_FILE_NOT_FOUND`));
      }
      writeFileSync(file, MINIMAL_CONFIG);
      for (const verb of ['search', 'tail']) {
        const run = await rampart('audit', verb, file);
        assert.equal(run.code, 2);
        assert.match(run.stderr, new RegExp(`cannot ${verb}: the audit trail is not at .*audit\\.db`));
      }
    } finally {
      await empty.cleanup();
    }
    for (const verb of ['search', 'tail']) {
      const help = await rampart('audit', verb, '--help');
      assert.equal(help.code, 0);
      assert.match(help.stdout, new RegExp(`^Usage: rampart audit ${verb} \\[file\\] \\[filters\\]`));
      assert.match(help.stdout, /--subject <ps_…>/);
    }
    const audit = await rampart('audit', '--help');
    assert.match(audit.stdout, /rampart audit search/);
  });

  it('tail prints the last N matching events, then each new one as it arrives, until Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, 'audit', 'tail', config, '--event', 'login.failed', '-n', '2', '--json'],
      {
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => {
      child.on('exit', (code) => {
        done(code);
      });
    });
    const lines = (): Record<string, unknown>[] =>
      stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const waitFor = async (count: number): Promise<void> => {
      const deadline = Date.now() + 15_000;
      while (lines().length < count) {
        if (Date.now() > deadline) assert.fail(`waited for ${count} lines; got:\n${stdout}\n${stderr}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    };
    try {
      await waitFor(2);
      assert.deepEqual(
        lines().map((line) => line['seq']),
        [116, 120],
      );
      const started = Date.now();
      await ledger.append(event(121, 'token.issued').id ?? '', event(121, 'token.issued'));
      await ledger.append(event(122, 'login.failed').id ?? '', event(122, 'login.failed'));
      await waitFor(3);
      assert.ok(Date.now() - started < 5000);
      await new Promise((done) => setTimeout(done, 700)); // another poll: nothing else arrives
      assert.deepEqual(
        lines().map((line) => line['seq']),
        [116, 120, 122],
      );
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('tail as a table: a header, then the rows', async () => {
    const child = spawn(
      process.execPath,
      [MAIN, 'audit', 'tail', config, '-n', '3', '--service', 'gateway'],
      {
        env: ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((done) => {
      child.on('exit', (code) => {
        done(code);
      });
    });
    try {
      const deadline = Date.now() + 15_000;
      while (tableSeqs(stdout).length < 3 && Date.now() < deadline)
        await new Promise((done) => setTimeout(done, 50));
      assert.deepEqual(tableSeqs(stdout), [111, 115, 119]);
      assert.match(stdout, /^seq\s+time\s+event/);
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
