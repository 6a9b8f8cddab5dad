import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandWords, createSidecarSecrets, secretMatches, splitTarget } from '@rampart/sidecar';

describe('splitTarget: /<callee>/<path> on the egress port', () => {
  const cases: [string, { callee: string; path: string } | undefined][] = [
    ['/stock/stock/TEA-1', { callee: 'stock', path: '/stock/TEA-1' }],
    ['/stock', { callee: 'stock', path: '/' }],
    ['/stock?x=1', { callee: 'stock', path: '/?x=1' }],
    ['/stock/a?b=c', { callee: 'stock', path: '/a?b=c' }],
    ['/', undefined],
    ['//stock/x', undefined],
    ['/Stock/x', undefined],
    ['/st%6Fck/x', undefined],
    ['/../x', undefined],
    ['http://evil/x', undefined],
  ];
  for (const [url, expected] of cases) {
    it(`${url} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(splitTarget(url), expected);
    });
  }
});

describe('per-start secrets', () => {
  it('are 256-bit, distinct, and new at every start', () => {
    const a = createSidecarSecrets();
    const b = createSidecarSecrets();
    assert.equal(Buffer.from(a.egress, 'base64url').length, 32);
    assert.notEqual(a.egress, a.proof);
    assert.notEqual(a.egress, b.egress);
  });

  it('match only the exact value, once', () => {
    assert.equal(secretMatches('s3cret', 's3cret'), true);
    for (const presented of ['s3cre', 's3cret ', 'S3CRET', '', undefined, ['s3cret', 's3cret']]) {
      assert.equal(secretMatches(presented, 's3cret'), false, JSON.stringify(presented));
    }
  });
});

describe('commandWords: `run` without a shell', () => {
  it('splits on whitespace and interprets nothing', () => {
    assert.deepEqual(commandWords('  python3  app.py --port=$PORT; rm -rf / '), [
      'python3',
      'app.py',
      '--port=$PORT;',
      'rm',
      '-rf',
      '/',
    ]);
  });
  it('refuses an empty command', () => {
    assert.throws(() => commandWords('   '), TypeError);
  });
});
