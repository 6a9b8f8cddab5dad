import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatAuthorization,
  parseAuthorization,
  readAuthorization,
  type AuthorizationRefusal,
  type AuthorizationScheme,
  type ParsedAuthorization,
} from '@rampart/tokens';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';
const BOTH: readonly AuthorizationScheme[] = ['bearer', 'dpop'];
/** RFC 9110 §11.2 token68. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

const token68 = fc
  .tuple(fc.stringMatching(/^[A-Za-z0-9\-._~+/]+$/), fc.integer({ min: 0, max: 3 }))
  .map(([body, padding]) => body + '='.repeat(padding));
/** A scheme name in any letter case. */
const schemeSpelling = fc
  .tuple(fc.constantFrom<AuthorizationScheme>('bearer', 'dpop'), fc.array(fc.boolean(), { minLength: 6 }))
  .map(([scheme, upper]) => ({
    scheme,
    spelling: Array.from(scheme, (c, i) => (upper[i] === true ? c.toUpperCase() : c)).join(''),
  }));

function refusal(parsed: ParsedAuthorization): AuthorizationRefusal | undefined {
  return parsed.ok ? undefined : parsed.reason;
}

describe('parseAuthorization (RFC 9110 §11.4, RFC 6750 §2.1, RFC 9449 §7.1)', () => {
  it('returns the scheme and the token, the scheme in any case', () => {
    assert.deepEqual(parseAuthorization(`Bearer ${TOKEN}`), { ok: true, scheme: 'bearer', token: TOKEN });
    assert.deepEqual(parseAuthorization(`bEaReR ${TOKEN}`), { ok: true, scheme: 'bearer', token: TOKEN });
    assert.deepEqual(parseAuthorization('BEARER abc~+/=='), {
      ok: true,
      scheme: 'bearer',
      token: 'abc~+/==',
    });
    assert.deepEqual(parseAuthorization(`DPoP ${TOKEN}`, { schemes: BOTH }), {
      ok: true,
      scheme: 'dpop',
      token: TOKEN,
    });
  });

  const cases: readonly [name: string, value: string | undefined, reason: AuthorizationRefusal][] = [
    ['no header', undefined, 'missing'],
    ['an empty header', '', 'empty'],
    ['white space only', ' \t ', 'empty'],
    ['another scheme', 'Basic YWxpY2U6cHc=', 'other_scheme'],
    ['DPoP where only Bearer is accepted', `DPoP ${TOKEN}`, 'other_scheme'],
    ['a bare secret', 'hunter2', 'other_scheme'],
    ['a tab after the scheme', `Bearer\t${TOKEN}`, 'other_scheme'],
    ['a leading space', ` Bearer ${TOKEN}`, 'other_scheme'],
    ['a scheme prefix', `Bearerx ${TOKEN}`, 'other_scheme'],
    ['the scheme only', 'Bearer', 'no_credentials'],
    ['the scheme and a space', 'Bearer ', 'no_credentials'],
    ['two spaces', `Bearer  ${TOKEN}`, 'malformed'],
    ['two tokens', `Bearer ${TOKEN} ${TOKEN}`, 'malformed'],
    ['two comma-joined credentials', `Bearer ${TOKEN}, Bearer x`, 'malformed'],
    ['auth-params', 'Bearer realm="x"', 'malformed'],
    ['a quoted token', `Bearer "${TOKEN}"`, 'malformed'],
    ['padding inside', 'Bearer ab=c', 'malformed'],
    ['only padding', 'Bearer ==', 'malformed'],
    ['non-ASCII', 'Bearer abcé', 'malformed'],
    ['a trailing space', `Bearer ${TOKEN} `, 'malformed'],
    ['a trailing newline', `Bearer ${TOKEN}\n`, 'malformed'],
  ];
  for (const [name, value, reason] of cases) {
    it(`refuses ${name} as ${reason}`, () => {
      assert.equal(refusal(parseAuthorization(value)), reason);
    });
  }

  it('never quotes the value in a refusal', () => {
    for (const value of ['hunter2hunter2 x', 'Basic YWxpY2U6aHVudGVyMg==', 'Bearer sk_live_51H"abc']) {
      const parsed = parseAuthorization(value);
      assert.ok(!parsed.ok);
      assert.deepEqual(Object.keys(parsed).sort(), ['count', 'ok', 'reason']);
    }
  });
});

describe('readAuthorization', () => {
  it('reads the one header of the raw headers, whatever the case of its name', () => {
    assert.deepEqual(readAuthorization(['Host', 'x', 'AUTHORIZATION', `Bearer ${TOKEN}`]), {
      ok: true,
      scheme: 'bearer',
      token: TOKEN,
    });
    assert.equal(refusal(readAuthorization(['Host', 'x'])), 'missing');
  });

  it('refuses a repeated header, counting them (Node keeps only the first in req.headers)', () => {
    const parsed = readAuthorization(
      ['Authorization', `Bearer ${TOKEN}`, 'authorization', `DPoP ${TOKEN}`, 'Authorization', ''],
      { schemes: BOTH },
    );
    assert.deepEqual(parsed, { ok: false, reason: 'repeated', count: 3 });
  });

  it('ignores a dangling name without a value', () => {
    assert.equal(refusal(readAuthorization(['Authorization'])), 'missing');
  });
});

describe('formatAuthorization', () => {
  it('spells the registered scheme names', () => {
    assert.equal(formatAuthorization('bearer', TOKEN), `Bearer ${TOKEN}`);
    assert.equal(formatAuthorization('dpop', TOKEN), `DPoP ${TOKEN}`);
  });

  it('refuses a token that would not parse back', () => {
    assert.throws(() => formatAuthorization('bearer', 'a b'), TypeError);
    assert.throws(() => formatAuthorization('bearer', ''), TypeError);
  });
});

describe('the Authorization grammar (properties)', () => {
  it('never throws, for any value and any accepted schemes', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ unit: 'binary' }), { nil: undefined }),
        fc.subarray<AuthorizationScheme>(['bearer', 'dpop']),
        (value, schemes) => {
          parseAuthorization(value, { schemes });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never throws for values made of the grammar’s own pieces', () => {
    const piece = fc.constantFrom(
      'Bearer',
      'bearer',
      'DPoP',
      'Basic',
      ' ',
      '  ',
      '\t',
      ',',
      '=',
      '"',
      TOKEN,
      'é',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const value = pieces.join('');
        const parsed = parseAuthorization(value, { schemes: BOTH });
        if (parsed.ok) assert.equal(value.toLowerCase(), `${parsed.scheme} ${parsed.token}`.toLowerCase());
      }),
      { numRuns: 2000 },
    );
  });

  it('every accepted value round-trips: scheme SP token68, and formats back to the same value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (prefix, value) => {
        for (const candidate of [value, `${prefix} ${value}`, `Bearer ${value}`, `DPoP ${value}`]) {
          const parsed = parseAuthorization(candidate, { schemes: BOTH });
          if (!parsed.ok) continue;
          assert.match(parsed.token, TOKEN68);
          const schemeLength = candidate.length - parsed.token.length - 1;
          assert.equal(candidate.slice(0, schemeLength).toLowerCase(), parsed.scheme);
          assert.equal(candidate.slice(schemeLength), ` ${parsed.token}`);
          assert.deepEqual(
            parseAuthorization(formatAuthorization(parsed.scheme, parsed.token), { schemes: BOTH }),
            parsed,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every token68 in every scheme spelling, and formats it back', () => {
    fc.assert(
      fc.property(schemeSpelling, token68, ({ scheme, spelling }, token) => {
        const parsed = parseAuthorization(`${spelling} ${token}`, { schemes: BOTH });
        assert.deepEqual(parsed, { ok: true, scheme, token });
        assert.deepEqual(parseAuthorization(formatAuthorization(scheme, token), { schemes: BOTH }), parsed);
      }),
    );
  });

  it('reads raw headers without throwing, and refuses every repetition', () => {
    const name = fc.constantFrom('Authorization', 'authorization', 'Host', 'X-Other');
    fc.assert(
      fc.property(
        fc.array(fc.oneof(name, fc.string({ unit: 'binary' })), { maxLength: 10 }),
        (rawHeaders) => {
          const parsed = readAuthorization(rawHeaders, { schemes: BOTH });
          let count = 0;
          for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
            if (rawHeaders[i]?.toLowerCase() === 'authorization') count += 1;
          }
          if (count > 1) assert.deepEqual(parsed, { ok: false, reason: 'repeated', count });
          if (count === 0) assert.equal(refusal(parsed), 'missing');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
