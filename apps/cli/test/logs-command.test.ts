import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { tempDir, type TempDir } from '@rampart/testing';
import { logsCommand } from '../src/logs-command.ts';
import { parseSinceOption, parseTraceOption } from '../src/logs/log-query.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER_TRACE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
/** Control, C1 and bidirectional characters: none may reach the terminal raw. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

interface Captured {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function run(args: string[], color = false): Promise<Captured> {
  const out = capture();
  const err = capture();
  const code = await logsCommand(args, { stdout: out.stream, stderr: err.stream, color });
  return { code, out: out.text(), err: err.text() };
}

function line(fields: Record<string, unknown>): string {
  return `${JSON.stringify({ level: 30, pid: 1, hostname: 'h', ...fields })}\n`;
}

/** JSON output as parsed objects. */
function parsed(out: string): Record<string, unknown>[] {
  return out
    .split('\n')
    .filter((text) => text.length > 0)
    .map((text) => JSON.parse(text) as Record<string, unknown>);
}

describe('rampart logs', () => {
  let dir: TempDir;
  let config: string;
  let logs: string;
  const t0 = Date.parse('2026-12-07T10:00:00Z');
  const at = (seconds: number): number => t0 + seconds * 1000;

  before(async () => {
    dir = await tempDir('rampart-logs-');
    config = join(dir.path, 'rampart.yaml');
    writeFileSync(config, 'version: 1\n');
    logs = join(dir.path, '.rampart', 'logs');
    mkdirSync(logs, { recursive: true });
    // gateway: .log.2 (oldest) → .log.1 → .log; orders: .log.1 → .log. Times interleave.
    writeFileSync(
      join(logs, 'gateway.log.2'),
      line({ time: at(1), name: 'gateway', msg: 'g1 listening' }) +
        line({
          time: at(3),
          name: 'gateway',
          msg: 'g3 request refused',
          traceId: TRACE,
          spanId: '1111111111111111',
        }),
    );
    writeFileSync(
      join(logs, 'gateway.log.1'),
      line({ time: at(5), name: 'gateway', msg: 'g5 request', traceId: OTHER_TRACE }) +
        line({ time: at(8), name: 'gateway', msg: 'g8 request', traceId: TRACE, spanId: '1111111111111111' }),
    );
    writeFileSync(
      join(logs, 'gateway.log'),
      line({ time: at(10), level: 40, name: 'gateway', msg: 'g10 revocation feed stale' }),
    );
    writeFileSync(
      join(logs, 'orders.log.1'),
      line({ time: at(2), name: 'orders', msg: 'o2 service listening' }) +
        line({
          time: at(4),
          name: 'orders',
          msg: 'o4 order created',
          traceId: TRACE,
          spanId: '2222222222222222',
        }),
    );
    writeFileSync(
      join(logs, 'orders.log'),
      line({
        time: at(6),
        name: 'orders',
        level: 50,
        msg: 'o6 request failed',
        traceId: TRACE,
        spanId: '2222222222222222',
      }) +
        'TypeError: boom\n    at handler (orders.ts:1:1)\n' +
        line({ time: at(9), name: 'orders', level: 20, msg: 'o9 debug' }),
    );
    writeFileSync(join(logs, 'README.txt'), 'not a log\n');
  });
  after(() => dir.cleanup());

  const msgs = (out: string): unknown[] => parsed(out).map((record) => record['msg'] ?? record['text']);

  it("merges every component's files by time, rotated files first", async () => {
    const { code, out } = await run([config, '--json']);
    assert.equal(code, 0);
    assert.deepEqual(msgs(out), [
      'g1 listening',
      'o2 service listening',
      'g3 request refused',
      'o4 order created',
      'g5 request',
      'o6 request failed',
      'TypeError: boom',
      '    at handler (orders.ts:1:1)',
      'g8 request',
      'o9 debug',
      'g10 revocation feed stale',
    ]);
    assert.deepEqual(parsed(out)[6], { component: 'orders', text: 'TypeError: boom' });
  });

  it('selects components; an unknown one is exit 2 naming those that have logs', async () => {
    const orders = await run([config, 'orders', '--json']);
    assert.equal(orders.code, 0);
    assert.deepEqual(msgs(orders.out).slice(0, 2), ['o2 service listening', 'o4 order created']);
    const unknown = await run([config, 'orders', 'paymnets']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.out, '');
    assert.match(unknown.err, /no logs of 'paymnets'; components with logs: gateway, orders\n/);
  });

  it('joins one trace across components and rotated files, by time', async () => {
    for (const id of [TRACE, TRACE.toUpperCase()]) {
      const { code, out } = await run([config, '--trace', id, '--json']);
      assert.equal(code, 0);
      assert.deepEqual(msgs(out), [
        'g3 request refused',
        'o4 order created',
        'o6 request failed',
        'g8 request',
      ]);
    }
    const none = await run([config, '--trace', 'b'.repeat(32), '--json']);
    assert.equal(none.code, 0);
    assert.equal(none.out, '');
  });

  it('refuses a bad --trace, --since, --level or --lines with the reason (exit 2)', async () => {
    const cases: [string[], RegExp][] = [
      [['--trace', 'xyz'], /--trace must be a trace id of 32 hex digits, got "xyz"/],
      [['--trace', '0'.repeat(32)], /--trace must not be all zeros/],
      [['--trace', `${TRACE}0`], /--trace must be a trace id of 32 hex digits/],
      [['--since', 'yesterday'], /--since must be a duration \(30s, 10m, 2h, 7d\)/],
      [['--since', '2026-12-07T10:00:00'], /--since must be a duration/],
      [['--level', 'loud'], /--level must be one of trace, debug, info, warn, error, fatal, got "loud"/],
      [['--lines', '5'], /--lines is for --follow/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, message] of cases) {
      const result = await run([config, ...args]);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.err, message, args.join(' '));
      assert.equal(result.out, '');
    }
  });

  it('no logs directory is exit 2 saying where it looked', async () => {
    const result = await run([join(dir.path, 'elsewhere', 'rampart.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.err, /no logs in .*elsewhere\/\.rampart\/logs/);
  });

  it('--level keeps lines at or above it, and lines that are not log objects', async () => {
    const { out } = await run([config, '--level', 'warn', '--json']);
    assert.deepEqual(msgs(out), [
      'o6 request failed',
      'TypeError: boom',
      '    at handler (orders.ts:1:1)',
      'g10 revocation feed stale',
    ]);
  });

  it('--since keeps lines from then on: an age or an ISO time', async () => {
    const iso = await run([config, '--since', '2026-12-07T10:00:08Z', '--json']);
    assert.deepEqual(msgs(iso.out), ['g8 request', 'o9 debug', 'g10 revocation feed stale']);
    const zoned = await run([config, '--since', '2026-12-07T11:00:08+01:00', '--json']);
    assert.deepEqual(msgs(zoned.out), msgs(iso.out));
    assert.equal(parseSinceOption('10m', t0), t0 - 600_000);
    assert.equal(parseSinceOption('2h', t0), t0 - 7_200_000);
    const recent = await run([config, '--since', '1h']);
    assert.equal(recent.out, '', 'every fixture line is older than an hour');
  });

  it('pretty: local time, padded component, level, message, then key=value; colors only when asked', async () => {
    const zone = process.env['TZ'];
    process.env['TZ'] = 'Asia/Kolkata';
    try {
      const { out } = await run([config, 'orders', 'gateway', '--trace', TRACE]);
      const lines = out.split('\n');
      assert.equal(
        lines[0],
        '2026-12-07 15:30:03.000 gateway INFO  g3 request refused traceId=4bf92f3577b34da6a3ce929d0e0e4736 spanId=1111111111111111',
      );
      assert.equal(
        lines[2],
        '2026-12-07 15:30:06.000 orders  ERROR o6 request failed traceId=4bf92f3577b34da6a3ce929d0e0e4736 spanId=2222222222222222',
      );
      assert.ok(!out.includes('\u001b['), 'no color codes unless asked');
      const colored = await run([config, '--trace', TRACE], true);
      assert.ok(colored.out.includes('\u001b[31mERROR'), 'the level is colored on a terminal');
      const all = await run([config, 'orders']);
      assert.ok(all.out.includes(`${' '.repeat(23)} orders       TypeError: boom\n`), all.out);
    } finally {
      if (zone === undefined) delete process.env['TZ'];
      else process.env['TZ'] = zone;
    }
  });

  it("never prints a line's control or bidirectional characters raw (generated lines)", async () => {
    const hostile = await tempDir('rampart-logs-hostile-');
    try {
      const hostileLogs = join(hostile.path, '.rampart', 'logs');
      mkdirSync(hostileLogs, { recursive: true });
      const file = join(hostile.path, 'rampart.yaml');
      const text = fc.string({ unit: 'binary', maxLength: 40 });
      await fc.assert(
        fc.asyncProperty(text, text, text, async (msg, value, raw) => {
          const body =
            line({ time: t0, msg, field: value, [value.slice(0, 8) || 'k']: msg, traceId: TRACE }) +
            `${raw.replaceAll('\n', ' ')}\n`;
          writeFileSync(join(hostileLogs, 'evil.log'), body);
          for (const args of [[file], [file, '--json'], [file, '--trace', TRACE]]) {
            const { out } = await run(args, true);
            // The only escape sequences are the colors this command adds.
            // eslint-disable-next-line no-control-regex -- removing exactly those
            const withoutColors = out.replace(/\u001b\[\d+m/g, '');
            assert.ok(!UNSAFE.test(withoutColors), JSON.stringify(withoutColors));
            if (args.includes('--json'))
              for (const record of parsed(out)) assert.equal(typeof record, 'object');
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      await hostile.cleanup();
    }
  });

  it('--trace accepts exactly 32 hex digits that are not all zeros', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (value) => {
        const valid = /^[0-9a-fA-F]{32}$/.test(value) && !/^0+$/.test(value);
        let accepted: string | undefined;
        try {
          accepted = parseTraceOption(value);
        } catch {
          accepted = undefined;
        }
        assert.equal(accepted, valid ? value.toLowerCase() : undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('--follow prints the last lines, then new ones through a rotation, until stopped', async () => {
    const followed = await tempDir('rampart-logs-follow-');
    const file = join(followed.path, 'rampart.yaml');
    const dirLogs = join(followed.path, '.rampart', 'logs');
    mkdirSync(dirLogs, { recursive: true });
    const current = join(dirLogs, 'gateway.log');
    writeFileSync(
      join(dirLogs, 'gateway.log.1'),
      line({ time: at(1), msg: 'old 1' }) + line({ time: at(2), msg: 'old 2' }),
    );
    writeFileSync(current, line({ time: at(3), msg: 'old 3' }));
    writeFileSync(join(dirLogs, 'orders.log'), line({ time: at(4), msg: 'orders old 4' }));
    const out = capture();
    const err = capture();
    const controller = new AbortController();
    const done = logsCommand(
      [file, 'gateway', '-f', '-n', '2', '--json'],
      { stdout: out.stream, stderr: err.stream, color: false },
      controller.signal,
    );
    const seen = async (count: number): Promise<unknown[]> => {
      for (let i = 0; i < 100; i += 1) {
        const got = msgs(out.text());
        if (got.length >= count) return got;
        await sleep(50);
      }
      return msgs(out.text());
    };
    try {
      assert.deepEqual(await seen(2), ['old 2', 'old 3'], 'the last two lines, over the rotated file');
      appendFileSync(current, line({ time: at(5), msg: 'new 5' }));
      assert.deepEqual(await seen(3), ['old 2', 'old 3', 'new 5']);
      // A line written just before the rotation, then the rotation as rotating-log.ts does it.
      appendFileSync(current, line({ time: at(6), msg: 'before rotation 6' }));
      renameSync(join(dirLogs, 'gateway.log.1'), join(dirLogs, 'gateway.log.2'));
      renameSync(current, join(dirLogs, 'gateway.log.1'));
      writeFileSync(current, line({ time: at(7), msg: 'after rotation 7' }), { mode: 0o600 });
      appendFileSync(current, 'a partial li');
      assert.deepEqual(await seen(5), ['old 2', 'old 3', 'new 5', 'before rotation 6', 'after rotation 7']);
      appendFileSync(current, 'ne\n');
      appendFileSync(join(dirLogs, 'orders.log'), line({ time: at(8), msg: 'orders new 8' }));
      assert.deepEqual(
        await seen(6),
        ['old 2', 'old 3', 'new 5', 'before rotation 6', 'after rotation 7', 'a partial line'],
        'whole lines only, and only the selected component',
      );
    } finally {
      controller.abort();
      assert.equal(await done, 0);
      await followed.cleanup();
    }
    assert.deepEqual(msgs(out.text()).length, 6, 'each line once');
  });
});
