import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { maskText } from '../../src/log/index.ts';
import { anyText, benignText, email, jwt, writtenCard } from './arbitraries.ts';

/** [input, expected output] — one table per kind, positives then look-alikes left alone. */
const cases: Record<string, readonly (readonly [string, string])[]> = {
  email: [
    ['contact john.doe@example.com now', 'contact j***@e***.com now'],
    ['JANE@MAIL.EXAMPLE.CO.UK', 'J***@M***.UK'],
    ['<a+tag@sub.example.org>', '<a***@s***.org>'],
    ['?email=jane@x.io&a=1', '?email=j***@x***.io&a=1'],
    ['two: a@b.co, c@d.io', 'two: a***@b***.co, c***@d***.io'],
    ['handle @example.com alone', 'handle @example.com alone'],
    ['user@localhost', 'user@localhost'],
  ],
  card: [
    ['paid with 4242424242424242', 'paid with **** 4242'],
    ['card 4242 4242 4242 4242 ok', 'card **** 4242 ok'],
    ['card 5555-5555-5555-4444', 'card **** 4444'],
    // After another number and a different separator (a phone-shaped run that is no phone number).
    ['0 4242-4242-4242-4242 ', '0 **** 4242 '],
    ['qty 2 5555-5555-5555-4444 x', 'qty 2 **** 4444 x'],
    ['amex 378282246310005', 'amex **** 0005'],
    ['order 12 4242 4242 4242 4242', 'order 12 **** 4242'],
    ['not luhn 4242 4242 4242 4241', 'not luhn 4242 4242 4242 4241'],
    ['epoch ms 1718000000000', 'epoch ms 1718000000000'],
    ['twenty digits 42424242424242424242', 'twenty digits 42424242424242424242'],
  ],
  phone: [
    ['call +44 20 7946 0958', 'call +** ** **** **58'],
    ['call +15551234567', 'call +*********67'],
    ['call (555) 123-4567', 'call (***) ***-**67'],
    ['call 555-123-4567.', 'call ***-***-**67.'],
    ['fr 06 12 34 56 78', 'fr ** ** ** ** 78'],
    ['tel:+1-800-555-0199', 'tel:+*-***-***-**99'],
  ],
  jwt: [
    ['t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln end', 't [jwt] end'],
    ['unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.', 'unsigned [jwt]'],
  ],
  paseto: [
    ['v4.public.eyJzdWIiOiIxIn0sig', '[paseto]'],
    ['tok v4.local.AAAA_bbbb-cccc.footer!', 'tok [paseto]!'],
  ],
  authorization: [
    ['Authorization: Bearer abc.def', 'Authorization: Bearer [redacted]'],
    ['sent bearer abc123 upstream', 'sent bearer [redacted] upstream'],
    ['Basic dXNlcjpwYXNz', 'Basic [redacted]'],
    ['Basic authentication failed', 'Basic authentication failed'],
  ],
  assignments: [
    ['password=hunter2&x=1', 'password=***&x=1'],
    ['login passwd: hunter2', 'login passwd: ***'],
    ['client_secret=s3cr3t;next', 'client_secret=***;next'],
    ['?access_token=abc&api_key=def&apikey=ghi', '?access_token=***&api_key=***&apikey=***'],
    ['{"password":"hunter 2","ok":true}', '{"password":"***","ok":true}'],
    ["secret = 'a b c'", "secret = '***'"],
    ['token: Bearer xyz', 'token: Bearer [redacted]'],
    ['postgres://app:s3cret@db:5432/shop', 'postgres://app:***@db:5432/shop'],
    ['redis://:pw@cache:6379', 'redis://:***@cache:6379'],
    ['bypass=true compass: north', 'bypass=true compass: north'],
    ['https://host:8443/path', 'https://host:8443/path'],
  ],
  'API keys and private keys': [
    ['aws AKIAIOSFODNN7EXAMPLE here', 'aws [secret] here'],
    [`gh ghp_${'a1B2'.repeat(9)}`, 'gh [secret]'],
    [`github_pat_${'A'.repeat(22)}_${'b'.repeat(59)}`, '[secret]'],
    ['slack xoxb-123456789012-abcdefABCDEF', 'slack [secret]'],
    ['stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc', 'stripe [secret]'],
    ['stripe sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'stripe [secret]'],
    [
      'key -----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49\n-----END PRIVATE KEY----- done',
      'key [secret] done',
    ],
    ['cut -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB', 'cut [secret]'],
  ],
};

/** Must come back byte-identical: timestamps, UUIDs, order ids, prices, IPs, ports, semver, statuses. */
const untouched = [
  '2024-01-15T10:20:30.123Z',
  '2024-01-15 10:20:30',
  '15.01.2024 10:20',
  'time 1718000000000 and 1718000000000123',
  '550e8400-e29b-41d4-a716-446655440000',
  'order ORD-2024-000123 and ord_8f3a2c',
  'total $1,234.56 (1 234 567.89 EUR)',
  'upstream 192.168.100.200:5432 and 10.0.0.7',
  'listening on port 8443, [::1]:8080',
  'version 1.22.333 and 2.14.0-rc.1',
  'HTTP/1.1 404 in 15 ms, then 200',
  'retry 3 of 5 after 250 ms',
  'tokens: 15, keys: 3',
  'id=42&page=2',
  'build 20240115.3',
  '',
  'ok',
];

describe('maskText', () => {
  for (const [kind, table] of Object.entries(cases)) {
    it(`masks ${kind}`, () => {
      for (const [input, expected] of table) assert.equal(maskText(input), expected, input);
    });
  }

  it('leaves look-alikes byte-identical (and returns the same string)', () => {
    for (const input of untouched) assert.equal(maskText(input), input);
  });

  it('is idempotent: a mask is not masked again', () => {
    for (const table of Object.values(cases)) {
      for (const [input] of table) assert.equal(maskText(maskText(input)), maskText(input), input);
    }
  });

  it('bounds the work: long text is cut at a delimiter and counted', () => {
    const long = `${'word '.repeat(5000)}jane@example.com`;
    const masked = maskText(long, 1000);
    assert.ok(masked.length < 1100);
    assert.match(masked, /…\[\d+ more characters\]$/);
    assert.ok(!masked.includes('jane@'));
    // A secret straddling the cut is dropped whole, not left half.
    const straddle = `${'x '.repeat(499)}password=hunter2hunter2`;
    assert.ok(!maskText(straddle, 1000).includes('hunter'));
  });

  it('scans pathological input in linear time (no catastrophic backtracking)', () => {
    // Relative, not absolute: 4x the input against 1x, in the same run and after a warm-up, so a
    // loaded machine slows both alike; no length cap, so the scan itself is measured. Linear work
    // grows ~4x, the quadratic (or worse) backtracking this guards against 16x or more. Below
    // 25 ms for the large input nothing catastrophic is happening, whatever the ratio of two
    // sub-millisecond timings says.
    const fastest = (input: string): number => {
      let best = Infinity;
      for (let i = 0; i < 5; i++) {
        const start = performance.now();
        maskText(input, Number.POSITIVE_INFINITY);
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    for (const [unit, tail] of [
      ['a', ''],
      ['1 ', ''],
      ['a.', '@'],
      ['-', ''],
    ] as const) {
      const input = (n: number): string => `${unit.repeat(n)}${tail}`;
      fastest(input(16_000));
      const small = fastest(input(4_000));
      const large = fastest(input(16_000));
      assert.ok(
        large < Math.max(12 * small, 25),
        `"${unit}" x4 took ${large.toFixed(2)} ms against ${small.toFixed(2)} ms`,
      );
    }
  });
});

describe('maskText properties', () => {
  const embedded = (secret: fc.Arbitrary<string>) =>
    fc.tuple(anyText, secret, anyText).map(([before, value, after]) => ({
      value,
      text: `${before} ${value} ${after}`,
    }));

  it('never lets a generated e-mail, card number or JWT through, wherever it is', () => {
    fc.assert(
      fc.property(embedded(fc.oneof(email, writtenCard, jwt)), ({ value, text }) => {
        assert.ok(!maskText(text).includes(value), `${value} leaked from ${JSON.stringify(text)}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns text with no detectable secret byte-identical', () => {
    fc.assert(
      fc.property(benignText, (text) => {
        assert.equal(maskText(text), text);
      }),
      { numRuns: 2000 },
    );
  });

  it('is idempotent on any text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          embedded(fc.oneof(email, writtenCard, jwt)).map(({ text }) => text),
        ),
        (text) => {
          const once = maskText(text);
          assert.equal(maskText(once), once);
        },
      ),
    );
  });
});
