import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { tempDir, type TempDir } from '@rampart/testing';
import { logRotationOf, RotatingLog } from '../src/up/rotating-log.ts';

/** Every line of `<name>` and its rotated files, oldest first. */
function allLines(dir: string, name: string): string[] {
  const files = readdirSync(dir)
    .filter((file) => file === name || file.startsWith(`${name}.`))
    .sort((a, b) => Number(b.slice(name.length + 1) || 0) - Number(a.slice(name.length + 1) || 0));
  return files.flatMap((file) => {
    const text = readFileSync(join(dir, file), 'utf8');
    assert.ok(text === '' || text.endsWith('\n'), `${file} ends with a whole line`);
    return text === '' ? [] : text.slice(0, -1).split('\n');
  });
}

describe('component logs rotate by size and count, line by line', () => {
  let dir: TempDir;

  before(async () => {
    dir = await tempDir('rampart-rotate-');
  });

  after(async () => {
    await dir.cleanup();
  });

  it('a burst from a real process on stdout and stderr: no line lost, split or mixed, every file 0600', async () => {
    const file = join(dir.path, 'burst.log');
    const log = new RotatingLog(file, { maxBytes: 16 * 1024, keep: 1000 });
    // 20,000 JSON lines of varied length on each stream, written as fast as the process can.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `for (let i = 0; i < 20000; i++) {
           const line = JSON.stringify({ i, level: 30, msg: 'x'.repeat(i % 300) }) + '\\n';
           (i % 2 ? process.stderr : process.stdout).write(line.replace('"level"', i % 2 ? '"err":1,"level"' : '"level"'));
         }`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const out = log.lines();
    const err = log.lines();
    child.stdout.pipe(out);
    child.stderr.pipe(err);
    await once(child, 'close');
    await Promise.all([finished(out), finished(err)]);
    log.close();
    const lines = allLines(dir.path, 'burst.log');
    assert.equal(lines.length, 20_000);
    const seen = new Set<number>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as { i: number; msg: string; err?: number };
      assert.equal(parsed.msg.length, parsed.i % 300);
      assert.equal(parsed.err === 1, parsed.i % 2 === 1);
      seen.add(parsed.i);
    }
    assert.equal(seen.size, 20_000);
    const files = readdirSync(dir.path).filter((name) => name.startsWith('burst.log'));
    assert.ok(files.length > 10, `rotated ${String(files.length)} times`);
    for (const name of files) {
      assert.equal(statSync(join(dir.path, name)).mode & 0o777, 0o600, name);
      assert.ok(statSync(join(dir.path, name)).size <= 16 * 1024, name);
    }
  });

  it('keeps `keep` rotated files, the newest as .1', () => {
    const file = join(dir.path, 'keep.log');
    const log = new RotatingLog(file, { maxBytes: 100, keep: 3 });
    for (let i = 0; i < 50; i += 1) log.writeLines(`${String(i).padStart(40, '0')}\n`);
    log.close();
    assert.deepEqual(
      readdirSync(dir.path)
        .filter((name) => name.startsWith('keep.log'))
        .sort(),
      ['keep.log', 'keep.log.1', 'keep.log.2', 'keep.log.3'],
    );
    const lines = allLines(dir.path, 'keep.log').map(Number);
    assert.deepEqual(
      lines,
      lines.slice().sort((a, b) => a - b),
      'in order across files',
    );
    assert.equal(lines.at(-1), 49);
  });

  it('any chunking of the input gives back exactly the lines written (fast-check)', () => {
    let run = 0;
    fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => s.replaceAll('\n', ' ')),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 20 }),
        async (lines, cuts) => {
          run += 1;
          const name = `prop-${String(run)}.log`;
          const log = new RotatingLog(join(dir.path, name), { maxBytes: 64, keep: 1000 });
          const text = Buffer.from(lines.map((line) => `${line}\n`).join(''));
          const writer = log.lines();
          let at = 0;
          for (let k = 0; at < text.length; k += 1) {
            const size = cuts[k % cuts.length] ?? 1;
            writer.write(text.subarray(at, at + size));
            at += size;
          }
          writer.end();
          await finished(writer);
          log.close();
          assert.deepEqual(allLines(dir.path, name), lines);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads logs.maxSizeMb and logs.keep, 10 MiB × 5 by default', () => {
    assert.deepEqual(logRotationOf(undefined), { maxBytes: 10 * 1024 * 1024, keep: 5 });
    assert.deepEqual(logRotationOf({ maxSizeMb: 2, keep: 9 }), { maxBytes: 2 * 1024 * 1024, keep: 9 });
  });
});
