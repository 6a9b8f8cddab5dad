import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

const repo = resolve(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'test' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Event names the product code emits, outside comments: `event: '<entity>.<past_verb>'`, and the
 * members of a union of event names (`| 'admin.user_created'`) that a helper passes on.
 */
function emitted(): Set<string> {
  const names = new Set<string>();
  for (const file of ['packages', 'services', 'apps', 'examples'].flatMap((d) => sources(join(repo, d)))) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (/^\s*(\*|\/\/)/.test(line)) continue;
      for (const match of line.matchAll(/event: '([a-z_]+\.[a-z_]+)'/g)) names.add(match[1]!);
      for (const match of line.matchAll(/^\s*\| '([a-z_]+\.[a-z_]+)'/g)) names.add(match[1]!);
    }
  }
  return names;
}

describe('docs/events.md', () => {
  const documented = new Set(
    [...readFileSync(join(repo, 'docs/events.md'), 'utf8').matchAll(/^\|\s*`([a-z_]+\.[a-z_]+)`\s*\|/gm)].map(
      (m) => m[1]!,
    ),
  );
  const inCode = emitted();

  it('documents every event the code emits', () => {
    assert.deepEqual([...inCode].filter((e) => !documented.has(e)).sort(), []);
  });

  it('documents no event the code does not emit', () => {
    assert.deepEqual([...documented].filter((e) => !inCode.has(e)).sort(), []);
  });

  it('names every event <entity>.<past_verb>', () => {
    for (const event of inCode) assert.match(event, /^[a-z]+(_[a-z]+)*\.[a-z]+(_[a-z]+)*$/);
  });
});
