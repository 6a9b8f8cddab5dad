// The deps module end to end: lockfiles v1/v2/v3 against a fake of the npm registry's bulk advisory
// endpoint on a real socket and against the OSV fixture; "never clean when it could not look"
// (unreachable, non-200, malformed, slow registry → exit 2); --prod-only; each rule's positive and
// negative fixture; and the labelled corpus, whose expected.json must stay true.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createDepsModule,
  DEPS_RULES,
  exitCode,
  osvAdvisories,
  registryAdvisories,
  runScan,
  type Finding,
  type ScanModule,
} from '@rampart/scan';
import { FIXTURES, fixtureExists } from '../rule-fixtures.ts';
import { startFakeRegistry, type FakeRegistry } from './fake-registry.ts';

const CORPUS = join(import.meta.dirname, '../corpus/deps');
const OSV = join(CORPUS, 'advisories');
const offline = (prodOnly = false): ScanModule =>
  createDepsModule({ advisories: osvAdvisories(OSV), prodOnly });

async function scan(root: string, module: ScanModule) {
  const result = await runScan({ root, modules: [module] });
  const [outcome] = result.modules;
  assert.ok(outcome !== undefined);
  return { result, findings: outcome.findings, failures: outcome.failures };
}

const vulnerable = (findings: readonly Finding[], id: string): Finding => {
  const found = findings.find(
    (f) => f.ruleId === 'deps/known-vulnerability' && f.message.startsWith(`${id}:`),
  );
  assert.ok(found !== undefined, `no finding for ${id} in ${findings.map((f) => f.message).join('\n')}`);
  return found;
};

let registry: FakeRegistry;
before(async () => {
  registry = await startFakeRegistry();
});
after(async () => {
  await registry.close();
});

describe('deps against the npm bulk advisory endpoint', () => {
  it('reports each vulnerable package with advisory, severity, CWEs, fix, dev/prod and path', async () => {
    const module = createDepsModule({ advisories: registryAdvisories({ registry: registry.url }) });
    const { findings, failures, result } = await scan(join(CORPUS, 'express-app-v3'), module);
    assert.deepEqual(failures, []);
    const qs = vulnerable(findings, 'qs@6.7.0');
    assert.equal(qs.severity, 'high');
    assert.deepEqual(qs.cwe, [1321]);
    assert.match(qs.message, /GHSA-hrpp-h998-j3pp/u);
    assert.match(qs.message, /fixed in 6\.7\.3/u);
    assert.match(
      qs.message,
      /production dependency, pulled in by orders-api > express@4\.17\.1 > qs@6\.7\.0/u,
    );
    const minimist = vulnerable(findings, 'minimist@1.2.5');
    assert.equal(minimist.severity, 'critical');
    assert.match(
      minimist.message,
      /dev dependency, pulled in by orders-api > tsconfig-paths@3\.9\.0 > minimist@1\.2\.5/u,
    );
    assert.match(minimist.fix, /"overrides": \{ "minimist": "\^1\.2\.6" \}/u);
    const json5 = vulnerable(findings, 'json5@1.0.1');
    assert.match(json5.message, /fixed after 1\.0\.1/u); // the registry's range is `<=1.0.1`
    const express = vulnerable(findings, 'express@4.17.1');
    assert.equal(express.severity, 'medium'); // npm's "moderate"
    assert.deepEqual(express.cwe, [601, 1286]);
    assert.match(express.fix, /npm install express@\^4\.19\.2/u); // a direct dependency
    // location: the lockfile, at the package's entry
    const text = readFileSync(join(CORPUS, 'express-app-v3/package-lock.json'), 'utf8').split('\n');
    assert.ok('line' in qs.location && text[qs.location.line - 1]?.includes('"node_modules/qs": {'));
    assert.equal(exitCode(result, 'high'), 1);
    // one request, every locked registry version in it
    const asked = registry.requests.at(-1);
    assert.deepEqual(asked?.qs, ['6.7.0']);
    assert.deepEqual(asked.ms?.toSorted(), ['2.0.0', '2.1.1']);
  });

  it('--prod-only neither asks about nor reports dev dependencies', async () => {
    const module = createDepsModule({
      advisories: registryAdvisories({ registry: registry.url }),
      prodOnly: true,
    });
    const { findings } = await scan(join(CORPUS, 'express-app-v3'), module);
    const asked = registry.requests.at(-1) ?? {};
    assert.ok(!('minimist' in asked) && !('json5' in asked) && 'qs' in asked);
    assert.ok(!findings.some((f) => /dev dependency/u.test(f.message)));
    assert.ok(findings.some((f) => f.message.startsWith('qs@6.7.0')));
  });

  it('reads a v1 lockfile through the nested install Node would load', async () => {
    const module = createDepsModule({ advisories: registryAdvisories({ registry: registry.url }) });
    const { findings } = await scan(join(CORPUS, 'legacy-v1'), module);
    assert.match(
      vulnerable(findings, 'minimist@1.2.5').message,
      /legacy-cli > mkdirp@0\.5\.5 > minimist@1\.2\.5/u,
    );
    assert.match(
      vulnerable(findings, 'minimist@0.0.10').message,
      /legacy-cli > optimist@0\.6\.1 > minimist@0\.0\.10/u,
    );
  });

  const broken: [string, Parameters<FakeRegistry['respondWith']>[0], RegExp][] = [
    ['HTTP 503', (_req, res) => res.writeHead(503).end('maintenance'), /answered HTTP 503/u],
    [
      'HTTP 405 (a GET-only mirror)',
      (_req, res) => res.writeHead(405, { allow: 'GET,HEAD' }).end(),
      /HTTP 405/u,
    ],
    ['not JSON', (_req, res) => res.writeHead(200).end('<html>captive portal</html>'), /not JSON/u],
    ['a JSON array', (_req, res) => res.writeHead(200).end('[]'), /not an object/u],
    ['advisories not a list', (_req, res) => res.writeHead(200).end('{"qs":{"id":1}}'), /not a list/u],
    [
      'an advisory without a range',
      (_req, res) => res.writeHead(200).end('{"qs":[{"id":1,"severity":"high","url":"x","title":"t"}]}'),
      /vulnerable_versions/u,
    ],
    [
      'an unknown severity',
      (_req, res) =>
        res.writeHead(200).end('{"qs":[{"id":1,"severity":"severe","vulnerable_versions":"<7","url":"x"}]}'),
      /unknown severity/u,
    ],
  ];
  for (const [what, handler, message] of broken) {
    it(`a registry answering ${what} is a failure (exit 2), never "clean"`, async () => {
      registry.respondWith(handler);
      try {
        const module = createDepsModule({ advisories: registryAdvisories({ registry: registry.url }) });
        const { failures, result } = await scan(join(CORPUS, 'express-app-patched-v3'), module);
        assert.equal(failures.length, 1);
        assert.match(failures[0]?.message ?? '', message);
        assert.match(failures[0]?.message ?? '', /--offline-advisories/u);
        assert.equal(exitCode(result, 'critical'), 2);
      } finally {
        registry.respondWith(undefined);
      }
    });
  }

  it('an unreachable registry is a failure naming the cause and the fix', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const module = createDepsModule({
      advisories: registryAdvisories({ registry: `http://127.0.0.1:${port}` }),
    });
    const { failures, result } = await scan(join(CORPUS, 'express-app-patched-v3'), module);
    assert.match(
      failures[0]?.message ?? '',
      /cannot reach http:\/\/127\.0\.0\.1:\d+\/-\/npm\/v1\/security\/advisories\/bulk: ECONNREFUSED/u,
    );
    assert.match(failures[0]?.message ?? '', /--offline-advisories/u);
    assert.equal(exitCode(result, 'critical'), 2);
  });

  it('a registry that does not answer in time is a failure, bounded by the timeout', async () => {
    registry.respondWith(() => undefined); // accepts, never answers
    try {
      const started = performance.now();
      const module = createDepsModule({
        advisories: registryAdvisories({ registry: registry.url, timeoutMs: 300 }),
      });
      const { failures } = await scan(join(CORPUS, 'express-app-patched-v3'), module);
      assert.match(failures[0]?.message ?? '', /no answer within 0\.3 s/u);
      assert.ok(performance.now() - started < 5_000);
    } finally {
      registry.respondWith(undefined);
    }
  });

  it('asks nothing when nothing is locked from the registry', async () => {
    const before = registry.requests.length;
    const module = createDepsModule({ advisories: registryAdvisories({ registry: 'http://127.0.0.1:1' }) });
    const { failures } = await scan(join(CORPUS, 'no-dependencies'), module);
    assert.deepEqual(failures, []);
    assert.equal(registry.requests.length, before);
  });
});

describe('deps offline, against an OSV export', () => {
  it('takes the fix, severity and CWEs from the OSV entry; a MAL entry aliasing a GHSA is one finding', async () => {
    const { findings, failures } = await scan(join(CORPUS, 'legacy-v1'), offline());
    assert.deepEqual(failures, []);
    const flatmap = findings.filter((f) => f.message.startsWith('flatmap-stream@0.1.1'));
    assert.equal(flatmap.length, 1);
    assert.equal(flatmap[0]?.severity, 'critical');
    assert.match(flatmap[0].message, /fixed in 0\.1\.2/u);
    assert.equal(vulnerable(findings, 'semver@5.7.1').severity, 'medium');
    assert.match(vulnerable(findings, 'semver@5.7.1').message, /dev dependency/u);
  });

  it('says "no fixed version" for a last_affected range', async () => {
    const { findings } = await scan(join(CORPUS, 'sources-v3'), offline());
    const ip = vulnerable(findings, 'ip@2.0.1');
    assert.match(ip.message, /no fixed version/u);
    assert.match(ip.fix, /no release fixes it/u);
  });

  it('follows workspaces: a workspace-local install, the path through the workspace link', async () => {
    const { findings } = await scan(join(CORPUS, 'monorepo-v2'), offline());
    assert.match(
      vulnerable(findings, 'ws@7.4.6').message,
      /dev dependency, pulled in by shop-monorepo > @shop\/web > ws@7\.4\.6/u,
    );
    assert.match(
      vulnerable(findings, 'axios@0.21.1').message,
      /production dependency, pulled in by shop-monorepo > @shop\/api > axios@0\.21\.1/u,
    );
    assert.ok(!findings.some((f) => f.ruleId === 'deps/lockfile-missing'));
  });

  it('reports git, tarball, file and outside-link dependencies as unscannable, redacting credentials', async () => {
    const { findings } = await scan(join(CORPUS, 'sources-v3'), offline());
    const unscannable = findings.filter((f) => f.ruleId === 'deps/unscannable-dependency');
    assert.deepEqual(unscannable.map((f) => f.message.split(' ')[0]).toSorted(), [
      'config-loader@2.1.0',
      'internal-utils@1.2.0',
      'patched-lib@2.0.0',
      'private-sdk@0.4.0',
      'vendored',
    ]);
    assert.ok(unscannable.every((f) => f.severity === 'info'));
    assert.ok(!findings.some((f) => f.message.includes('example-token-not-real')));
    assert.ok(findings.some((f) => f.message.includes('git+https://***@github.com/acme/private-sdk.git')));
  });

  it('an OSV path that is missing, empty or not OSV is a failure', async () => {
    for (const [path, message] of [
      [join(FIXTURES, 'deps/no-such-dir'), /no OSV export at/u],
      [join(FIXTURES, 'deps/yarn-only/yarn.lock'), /not an OSV entry/u],
      [join(FIXTURES, 'deps/known-vulnerability.negative/package-lock.json'), /not an OSV entry/u],
    ] as const) {
      const module = createDepsModule({ advisories: osvAdvisories(path) });
      const { failures, result } = await scan(join(FIXTURES, 'deps/known-vulnerability.positive'), module);
      assert.match(failures[0]?.message ?? '', message, path);
      assert.equal(exitCode(result, 'critical'), 2);
    }
  });
});

describe('deps: files it cannot read', () => {
  it('an unparseable lockfile is a failure naming the file', async () => {
    const { failures, result } = await scan(join(FIXTURES, 'deps/unparseable'), offline());
    assert.equal(failures[0]?.file, 'package-lock.json');
    assert.match(failures[0].message, /not valid JSON.*npm install --package-lock-only/u);
    assert.equal(exitCode(result, 'critical'), 2);
  });

  it('a yarn.lock alone is a failure (its dependencies were not checked)', async () => {
    const { failures, findings } = await scan(join(FIXTURES, 'deps/yarn-only'), offline());
    assert.equal(failures[0]?.file, 'yarn.lock');
    assert.match(failures[0].message, /not read by this scanner/u);
    assert.ok(!findings.some((f) => f.ruleId === 'deps/lockfile-missing'));
  });
});

describe('deps rules, fixture by fixture', () => {
  for (const id of DEPS_RULES.keys()) {
    const name = id.slice('deps/'.length);
    const positive = join(FIXTURES, 'deps', `${name}.positive`);
    const negative = join(FIXTURES, 'deps', `${name}.negative`);
    it(`${id}: reports the positive fixture and not the negative one`, async () => {
      assert.ok(
        fixtureExists(join(positive, name === 'lockfile-missing' ? 'package.json' : 'package-lock.json')),
      );
      const reported = await scan(positive, offline());
      assert.deepEqual(reported.failures, []);
      assert.ok(reported.findings.some((f) => f.ruleId === id));
      const clean = await scan(negative, offline());
      assert.deepEqual(clean.failures, []);
      assert.ok(!clean.findings.some((f) => f.ruleId === id));
    });
  }
});

describe('deps accuracy corpus', () => {
  it('finds exactly what expected.json lists, file by file', async () => {
    const expected = JSON.parse(readFileSync(join(CORPUS, 'expected.json'), 'utf8')) as Record<
      string,
      Record<string, number>
    >;
    const { findings, failures } = await scan(CORPUS, offline());
    assert.deepEqual(failures, []);
    const actual: Record<string, Record<string, number>> = {};
    for (const finding of findings) {
      assert.ok('file' in finding.location);
      const counts = (actual[finding.location.file] ??= {});
      counts[finding.ruleId] = (counts[finding.ruleId] ?? 0) + 1;
    }
    assert.deepEqual(actual, expected);
  });
});
