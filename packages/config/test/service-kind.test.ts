import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, parseUpstream, sidecarEgressPort } from '@rampart/config';
import { edit, problemsOf } from './helpers.ts';

const SIDECAR = [
  '    entry: orders.ts\n',
  '    upstream: http://127.0.0.1:5000\n    run: python3 app.py\n',
] as [string, string];

describe('services behind the sidecar: `upstream`, `run`, `egressPort`', () => {
  it('accepts a service with upstream and run instead of entry', () => {
    const result = parseConfig(edit(SIDECAR), 'rampart.yaml');
    assert.ok(result.ok, JSON.stringify(result.problems));
    assert.equal(sidecarEgressPort(result.config.services['orders']!), 9102);
  });

  const kinds: { name: string; edits: [string, string][]; line: number; message: RegExp }[] = [
    {
      name: 'both entry and upstream',
      edits: [['    entry: orders.ts\n', '    entry: orders.ts\n    upstream: http://127.0.0.1:5000\n']],
      line: 8,
      message: /has both `entry` .* and `upstream`/,
    },
    {
      name: 'neither',
      edits: [['    entry: orders.ts\n', '']],
      line: 6,
      message: /has neither `entry` nor `upstream`/,
    },
    {
      name: 'run without upstream',
      edits: [['    entry: orders.ts\n', '    entry: orders.ts\n    run: python3 app.py\n']],
      line: 8,
      message: /has `run`, which only a service with `upstream`/,
    },
    {
      name: 'image without upstream',
      edits: [['    entry: orders.ts\n', '    entry: orders.ts\n    image: ghcr.io/acme/orders:1\n']],
      line: 8,
      message: /has `image`, which only a service with `upstream`/,
    },
    {
      name: 'egressPort without upstream',
      edits: [['    entry: orders.ts\n', '    entry: orders.ts\n    egressPort: 9999\n']],
      line: 8,
      message: /has `egressPort`, which only a service with `upstream`/,
    },
  ];
  for (const c of kinds) {
    it(`refuses ${c.name} (CFG_SERVICE_KIND), at the line, with a fix`, () => {
      const problem = parseConfig(edit(...c.edits), 'rampart.yaml').problems.find(
        (p) => p.code === 'CFG_SERVICE_KIND',
      );
      assert.ok(problem, `no CFG_SERVICE_KIND for ${c.name}`);
      assert.equal(problem.line, c.line);
      assert.match(problem.message, c.message);
      assert.ok((problem.fix ?? '').length > 0);
    });
  }

  it('accepts an image for the process of a service behind the sidecar, and refuses a malformed one', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const image of [
      'reviews:1',
      `ghcr.io/acme/reviews:1.4.2@${digest}`,
      `registry.local:5000/r@${digest}`,
    ]) {
      const result = parseConfig(
        edit(SIDECAR, ['    run: python3 app.py\n', `    run: python3 app.py\n    image: ${image}\n`]),
        'rampart.yaml',
      );
      assert.ok(result.ok, `${image}: ${JSON.stringify(result.problems)}`);
      assert.equal(result.config.services['orders']?.image, image);
    }
    for (const image of [
      'Reviews:1',
      'ghcr.io/acme/reviews@sha256:abc',
      "'reviews:1 --privileged'",
      'reviews:',
    ]) {
      const result = parseConfig(
        edit(SIDECAR, ['    run: python3 app.py\n', `    run: python3 app.py\n    image: ${image}\n`]),
        'rampart.yaml',
      );
      assert.equal(result.ok, false, image);
    }
  });

  const upstreams: { value: string; reason: RegExp }[] = [
    { value: 'https://127.0.0.1:5000', reason: /uses https: instead of http:/ },
    { value: 'http://10.0.0.7:5000', reason: /on 10\.0\.0\.7, not a literal loopback address/ },
    { value: 'http://localhost:5000', reason: /on localhost, not a literal loopback address/ },
    { value: 'http://0.0.0.0:5000', reason: /not a literal loopback address/ },
    { value: 'http://[::ffff:127.0.0.1]:5000', reason: /normalized form|not a literal loopback address/ },
    { value: 'http://127.0.0.1', reason: /has no port/ },
    { value: 'http://127.0.0.1:5000/api', reason: /has a path, query or fragment/ },
    { value: 'http://127.0.0.1:5000/?x=1', reason: /has a path, query or fragment/ },
    { value: 'http://user:pw@127.0.0.1:5000', reason: /holds credentials/ },
    { value: 'http://0x7f.1:5000', reason: /normalized form/ },
    { value: 'not a url', reason: /is not a URL/ },
  ];
  for (const u of upstreams) {
    it(`refuses upstream ${u.value} (CFG_UPSTREAM_NOT_LOOPBACK), saying why`, () => {
      const problem = problemsOf(
        edit([SIDECAR[0], SIDECAR[1].replace('http://127.0.0.1:5000', u.value)]),
      ).find((p) => p.code === 'CFG_UPSTREAM_NOT_LOOPBACK');
      assert.ok(problem, `no CFG_UPSTREAM_NOT_LOOPBACK for ${u.value}`);
      assert.equal(problem.line, 7);
      assert.match(problem.message, u.reason);
      assert.match(problem.message, /plain HTTP, which only loopback keeps from other hosts/);
    });
  }

  for (const value of [
    'http://127.0.0.1:5000',
    'http://127.0.0.2:5000',
    'http://[::1]:5000',
    'http://127.0.0.1:5000/',
  ]) {
    it(`accepts upstream ${value}`, () => {
      assert.equal(parseUpstream(value).ok, true);
    });
  }

  it('gives the egress and upstream ports a port of their own (CFG_PORT_CONFLICT)', () => {
    const clash = problemsOf(
      edit([SIDECAR[0], '    upstream: http://127.0.0.1:7102\n'], ['  signed-in: {}\n', '  signed-in: {}\n']),
    ).filter((p) => p.code === 'CFG_PORT_CONFLICT');
    assert.equal(clash.length, 1, JSON.stringify(clash));
    assert.match(
      clash[0]?.message ?? '',
      /port 7102 of service `orders` \(its `upstream`\) is already used by service `orders`/,
    );
    const egress = problemsOf(edit([SIDECAR[0], `${SIDECAR[1]}    egressPort: 8102\n`])).filter(
      (p) => p.code === 'CFG_PORT_CONFLICT',
    );
    assert.equal(egress.length, 1, JSON.stringify(egress));
    assert.match(egress[0]?.message ?? '', /its `egressPort`/);
  });
});
