import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { canonicalPath, type CanonicalPath } from '../../src/request/canonicalize-path.ts';

const PATH_CODES: ReadonlySet<string> = new Set(['GW_BAD_PATH', 'GW_URI_TOO_LONG']);

/** Runs canonicalPath; returns undefined when it refused with a gateway path code, rethrows anything else. */
function tryCanonical(raw: string): CanonicalPath | undefined {
  try {
    return canonicalPath(raw);
  } catch (error) {
    if (isRampartError(error) && PATH_CODES.has(error.code)) return undefined;
    throw error;
  }
}

/** Pieces that combine into the awkward targets attackers send, plus plain ones so many succeed. */
const piece = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%',
  '%2e',
  '%2E',
  '%2f',
  '%2F',
  '%25',
  '%252e',
  '%5c',
  '%5C',
  '\\',
  ';',
  '#',
  '?',
  '&',
  '=',
  'a',
  'B',
  'z9',
  '%41',
  '%c3%a9',
  '%C3%A9',
  '%C3',
  '%A9',
  '%00',
  '%0a',
  '\t',
  '\u0085',
  '%c0%ae',
  '%ef%bc%8f',
  '%e2%80%a5',
  '%EF%BB%BF',
  '~',
  ':',
  '@',
  '-',
  '_',
  '0',
  'f',
  ' ',
  '%20',
  '%3b',
  '%3f',
  '%23',
);
const hostileTarget = fc.array(piece, { maxLength: 40 }).map((parts) => `/${parts.join('')}`);
const anyTarget = fc.oneof(
  hostileTarget,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
);
const segment = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 });

function hasControl(text: string): boolean {
  for (let k = 0; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

describe('canonicalPath properties', () => {
  it('is idempotent: re-encoding its segments (encodeURIComponent or its own target) reads the same', () => {
    const rawFromSegments = fc
      .array(segment, { maxLength: 8 })
      .map((parts) => `/${parts.map(encodeURIComponent).join('/')}`);
    fc.assert(
      fc.property(fc.oneof(hostileTarget, rawFromSegments), (raw) => {
        const first = tryCanonical(raw);
        if (first === undefined) return;
        const tail = first.path.length > 1 && first.path.endsWith('/') ? '/' : '';
        const again = canonicalPath(`/${first.segments.map(encodeURIComponent).join('/')}${tail}`);
        assert.equal(again.path, first.path);
        assert.deepEqual(again.segments, first.segments);
        assert.deepEqual(canonicalPath(first.target), first);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes what encodeURIComponent encoded, or refuses it', () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 8 }), (parts) => {
        const result = tryCanonical(`/${parts.map(encodeURIComponent).join('/')}`);
        if (result !== undefined) assert.deepEqual(result.segments, parts);
      }),
      { numRuns: 1000 },
    );
  });

  it('for any string, refuses with a GW code or returns a path with no ambiguity left in it', () => {
    fc.assert(
      fc.property(anyTarget, (raw) => {
        const result = tryCanonical(raw);
        if (result === undefined) return;
        const { path, segments } = result;
        assert.ok(path.startsWith('/'));
        assert.ok(!path.includes('//'), path);
        assert.ok(!path.includes('\\'), path);
        assert.ok(!path.includes(';'), path);
        assert.ok(!path.includes('#') && !path.includes('?'), path);
        assert.ok(!hasControl(path), path);
        for (const part of segments) {
          assert.ok(part !== '' && part !== '.' && part !== '..', path);
          assert.ok(!part.includes('/'), path);
        }
        const trailing = path.length > 1 && path.endsWith('/') ? '/' : '';
        assert.equal(path, `/${segments.join('/')}${trailing}`);
        assert.ok(!hasControl(result.query) && !result.query.includes('#'));
      }),
      { numRuns: 5000 },
    );
  });

  it('takes segment boundaries only from literal slashes: an encoded slash never splits or joins', () => {
    fc.assert(
      fc.property(anyTarget, (raw) => {
        const result = tryCanonical(raw);
        if (result === undefined) return;
        const queryAt = raw.indexOf('?');
        const rawPath = queryAt === -1 ? raw : raw.slice(0, queryAt);
        assert.equal(result.segments.length, rawPath.split('/').filter((part) => part !== '').length);
      }),
      { numRuns: 5000 },
    );
  });

  it('never maps a target with an encoded slash to a path: a/b and a%2Fb cannot both succeed', () => {
    const slash = fc.constantFrom('%2F', '%2f', '%252F', '%252f', '%5C', '%5c', '%EF%BC%8F');
    const plain = fc.stringMatching(/^[A-Za-z0-9._~-]{1,8}$/);
    fc.assert(
      fc.property(
        fc.array(plain, { minLength: 2, maxLength: 6 }),
        slash,
        fc.nat(),
        (parts, encoded, pick) => {
          const at = 1 + (pick % (parts.length - 1));
          const literal = `/${parts.join('/')}`;
          const sneaky = `/${parts.slice(0, at).join('/')}${encoded}${parts.slice(at).join('/')}`;
          const sneakyResult = tryCanonical(sneaky);
          assert.equal(sneakyResult, undefined, `${sneaky} must be refused`);
          const literalResult = tryCanonical(literal);
          if (literalResult !== undefined) assert.deepEqual(literalResult.segments, parts);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
