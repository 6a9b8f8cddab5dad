// Lockfile reading (v1, v2, v3), install locations as Node resolves them, shortest dependency paths,
// entry positions, source classification, and lockfiles that must be refused.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  dependencyPaths,
  entryPosition,
  fixedVersionOf,
  LockfileError,
  parseLockfile,
  readBulkAnswer,
  readOsvEntry,
  redactCredentials,
  resolveDependency,
  AdvisorySourceError,
} from '@rampart/scan';

const CORPUS = join(import.meta.dirname, '../corpus/deps');
const read = (path: string): string => readFileSync(join(CORPUS, path), 'utf8');
const load = (dir: string, file = 'package-lock.json') =>
  parseLockfile(read(`${dir}/${file}`), JSON.parse(read(`${dir}/package.json`)) as unknown);

describe('parseLockfile', () => {
  it('reads v3 packages with dev flags and registry sources', () => {
    const lock = load('express-app-v3');
    assert.equal(lock.lockfileVersion, 3);
    assert.equal(lock.rootName, 'orders-api');
    assert.equal(lock.packages.get('node_modules/qs')?.version, '6.7.0');
    assert.equal(lock.packages.get('node_modules/qs')?.dev, false);
    assert.equal(lock.packages.get('node_modules/minimist')?.dev, true);
    assert.equal(lock.packages.get('node_modules/send/node_modules/ms')?.version, '2.1.1');
    assert.ok([...lock.packages.values()].every((p) => p.source === 'registry' || p.location === ''));
  });

  it('reads v2 workspaces as project code and a git dependency as git', () => {
    const lock = load('monorepo-v2');
    assert.equal(lock.lockfileVersion, 2);
    assert.equal(lock.packages.get('packages/api')?.source, 'project');
    assert.equal(lock.packages.get('node_modules/@shop/api')?.linkTarget, 'packages/api');
    assert.equal(lock.packages.get('node_modules/left-pad')?.source, 'git');
    assert.deepEqual(lock.packages.get('packages/web')?.requires.toSorted(), ['node-fetch', 'ws']);
  });

  it('reads v1 nested dependencies at their install location', () => {
    const lock = load('legacy-v1');
    assert.equal(lock.lockfileVersion, 1);
    assert.equal(lock.packages.get('node_modules/mkdirp/node_modules/minimist')?.version, '1.2.5');
    assert.equal(lock.packages.get('node_modules/minimist')?.version, '0.0.10');
    assert.equal(lock.packages.get('node_modules/semver')?.dev, true);
    assert.deepEqual(lock.packages.get('')?.requires.length, 6); // from package.json
  });

  it('reads an npm: alias under its registry name', () => {
    const lock = load('alias-v3');
    const alias = lock.packages.get('node_modules/lodash-legacy');
    assert.equal(alias?.name, 'lodash');
    assert.equal(alias.version, '4.17.20');
  });

  it('classifies what is not from the registry', () => {
    const lock = load('sources-v3');
    const source = (name: string) => lock.packages.get(`node_modules/${name}`)?.source;
    assert.equal(source('internal-utils'), 'tarball');
    assert.equal(source('patched-lib'), 'file');
    assert.equal(source('config-loader'), 'git');
    assert.equal(source('private-sdk'), 'git');
    assert.equal(source('vendored'), 'link'); // leaves the project
    assert.equal(source('local-helpers'), 'project'); // stays inside
    assert.equal(source('ip'), 'registry');
  });

  const refused: [string, string, RegExp][] = [
    ['not JSON', '{"lockfileVersion": 3,', /not valid JSON/u],
    ['an array', '[]', /top level is not an object/u],
    ['no lockfileVersion', '{"name":"x"}', /no `lockfileVersion`/u],
    ['a future version', '{"lockfileVersion": 4, "packages": {}}', /lockfileVersion 4 is not one/u],
    ['v3 without packages', '{"lockfileVersion": 3}', /without `packages`/u],
    [
      'an entry that is not an object',
      '{"lockfileVersion": 3, "packages": {"node_modules/a": 1}}',
      /is not an object/u,
    ],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => parseLockfile(text),
        (error: unknown) => error instanceof LockfileError && message.test(error.message),
      );
    });
  }
});

describe('install locations and paths', () => {
  it('resolves as Node does: nested first, then up to the root', () => {
    const lock = load('express-app-v3');
    assert.equal(resolveDependency(lock, 'node_modules/send', 'ms')?.version, '2.1.1');
    assert.equal(resolveDependency(lock, 'node_modules/debug', 'ms')?.version, '2.0.0');
    assert.equal(resolveDependency(lock, 'node_modules/debug', 'absent'), undefined);
  });

  it('names the shortest path from the root', () => {
    const paths = dependencyPaths(load('express-app-v3'));
    // qs is required by express (depth 2) and by body-parser (depth 3): the shortest wins
    assert.deepEqual(paths.get('node_modules/qs'), ['orders-api', 'express@4.17.1', 'qs@6.7.0']);
    assert.deepEqual(paths.get('node_modules/send/node_modules/ms'), [
      'orders-api',
      'express@4.17.1',
      'send@0.17.1',
      'ms@2.1.1',
    ]);
  });

  it('positions an entry at its key in the lockfile text (v3 and v1)', () => {
    for (const dir of ['express-app-v3', 'legacy-v1']) {
      const text = read(`${dir}/package-lock.json`);
      const lock = load(dir);
      for (const pkg of lock.packages.values()) {
        if (pkg.location === '') continue;
        const { line, column } = entryPosition(text, lock, pkg);
        const key = pkg.location.slice(
          lock.lockfileVersion === 1 ? pkg.location.lastIndexOf('node_modules/') + 13 : 0,
        );
        assert.equal(
          text.split('\n')[line - 1]?.slice(column - 1),
          `${JSON.stringify(key)}: {`,
          pkg.location,
        );
      }
    }
  });
});

describe('advisory data', () => {
  const fixes: [string, string, string | undefined][] = [
    ['<1.20.3', '1.19.0', '1.20.3'],
    ['>=1.3.2 <=1.7.3', '1.5.0', '>1.7.3'],
    ['<0.2.4 || >=1.0.0 <1.2.6', '1.2.5', '1.2.6'],
    ['<0.2.4 || >=1.0.0 <1.2.6', '0.0.10', '0.2.4'],
    ['>=0.0.0', '1.0.0', undefined],
    ['not a range', '1.0.0', undefined],
  ];
  for (const [range, version, fixed] of fixes) {
    it(`fixedVersionOf(${range}, ${version}) is ${String(fixed)}`, () => {
      assert.equal(fixedVersionOf(range, version), fixed);
    });
  }

  it('reads OSV ranges, explicit versions, last_affected and skips withdrawn entries', () => {
    const osv = (affected: unknown, extra: Record<string, unknown> = {}) =>
      readOsvEntry({ id: 'GHSA-aaaa-bbbb-cccc', modified: 'x', affected, ...extra }, 'f.json');
    const [[name, advisory] = ['', undefined]] = osv([
      {
        package: { ecosystem: 'npm', name: 'a' },
        ranges: [
          {
            type: 'SEMVER',
            events: [
              { introduced: '0' },
              { fixed: '1.0.1' },
              { introduced: '2.0.0' },
              { last_affected: '2.3.0' },
            ],
          },
        ],
        versions: ['5.0.0'],
      },
    ]);
    assert.equal(name, 'a');
    assert.deepEqual(advisory?.affected, [
      { range: '>=0.0.0-0 <1.0.1', fixed: '1.0.1' },
      { range: '>=2.0.0 <=2.3.0' },
      { range: '5.0.0' },
    ]);
    assert.equal(advisory.severity, 'high'); // no severity given: high, not silence
    assert.deepEqual(
      osv([{ package: { ecosystem: 'npm', name: 'a' }, versions: ['1.0.0'] }], { withdrawn: '2024-01-01' }),
      [],
    );
    assert.deepEqual(osv([{ package: { ecosystem: 'PyPI', name: 'a' }, versions: ['1.0.0'] }]), []);
    assert.throws(() => osv('nope'), AdvisorySourceError);
    assert.throws(
      () =>
        osv([
          {
            package: { ecosystem: 'npm', name: 'a' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: 'x.y' }] }],
          },
        ]),
      /not a version/u,
    );
  });

  it('maps the registry answer: GHSA ids from the URL, moderate as medium, CWE numbers', () => {
    const answer = readBulkAnswer(
      {
        qs: [
          {
            id: 1096470,
            url: 'https://github.com/advisories/GHSA-hrpp-h998-j3pp',
            title: 'qs vulnerable to Prototype Pollution',
            severity: 'moderate',
            vulnerable_versions: '>=6.7.0 <6.7.3',
            cwe: ['CWE-1321'],
          },
        ],
        old: [{ id: 7, severity: 'low', vulnerable_versions: '<1.0.0' }],
      },
      'u',
    );
    assert.equal(answer.get('qs')?.[0]?.id, 'GHSA-hrpp-h998-j3pp');
    assert.equal(answer.get('qs')?.[0]?.severity, 'medium');
    assert.deepEqual(answer.get('qs')?.[0]?.cwe, [1321]);
    assert.equal(answer.get('old')?.[0]?.id, 'npm:7');
    assert.equal(answer.get('old')?.[0]?.url, 'https://www.npmjs.com/advisories/7');
  });

  it('redacts credentials of a URL, not the git user of an SSH URL', () => {
    assert.equal(
      redactCredentials('git+https://bot:tok@github.com/a/b.git'),
      'git+https://***@github.com/a/b.git',
    );
    assert.equal(
      redactCredentials('https://npm_abc123@registry.example.com/x.tgz'),
      'https://***@registry.example.com/x.tgz',
    );
    assert.equal(redactCredentials('git+ssh://git@github.com/a/b.git'), 'git+ssh://git@github.com/a/b.git');
  });
});
