import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_ROUTE_RATE_LIMIT, parseConfig, routeRateLimits, type RampartConfig } from '@rampart/config';
import { BASE, edit } from './helpers.ts';

const withGateway = (gateway: string, text = BASE): string => `${text}gateway:\n${gateway}`;

function loaded(text: string): RampartConfig {
  const result = parseConfig(text, 'rampart.yaml');
  assert.ok(result.ok, JSON.stringify(result.problems));
  return result.config;
}

const firstRoute = (config: RampartConfig) => {
  const route = config.services['orders']?.routes?.[0];
  assert.ok(route !== undefined);
  return route;
};

describe('route rate limits: every route is limited unless `off` is written out', () => {
  it('gives a route without rateLimit the default limits, per principal and per IP', () => {
    const config = loaded(BASE);
    assert.deepEqual(routeRateLimits(config, firstRoute(config)), [
      { ...DEFAULT_ROUTE_RATE_LIMIT.principal, by: ['user'] },
      { ...DEFAULT_ROUTE_RATE_LIMIT.ip, by: ['ip'] },
    ]);
  });

  it("counts a route's own limit alone", () => {
    const config = loaded(
      edit([
        'policy: signed-in',
        'policy: signed-in\n        rateLimit: { points: 5, window: 1m, by: [ip] }',
      ]),
    );
    assert.deepEqual(routeRateLimits(config, firstRoute(config)), [{ points: 5, window: '1m', by: ['ip'] }]);
  });

  it('overrides one default and keeps the other', () => {
    const config = loaded(
      withGateway('  defaultRateLimit: { principal: { points: 20, window: 1s, burst: 5 } }\n'),
    );
    assert.deepEqual(routeRateLimits(config, firstRoute(config)), [
      { points: 20, window: '1s', burst: 5, by: ['user'] },
      { ...DEFAULT_ROUTE_RATE_LIMIT.ip, by: ['ip'] },
    ]);
  });

  const off: [label: string, text: string, remaining: number][] = [
    ['defaultRateLimit: off', withGateway('  defaultRateLimit: off\n'), 0],
    ['principal: off', withGateway('  defaultRateLimit: { principal: off }\n'), 1],
    ['ip: off', withGateway('  defaultRateLimit: { ip: off }\n'), 1],
    [
      'a route with rateLimit: off',
      edit(['policy: signed-in', 'policy: signed-in\n        rateLimit: off']),
      0,
    ],
  ];
  for (const [label, text, remaining] of off) {
    it(`switches limits off with ${label}, and warns (CFG_RATE_LIMIT_OFF)`, () => {
      const result = parseConfig(text, 'rampart.yaml');
      assert.ok(result.ok);
      assert.equal(routeRateLimits(result.config, firstRoute(result.config)).length, remaining);
      const warnings = result.problems.filter((p) => p.code === 'CFG_RATE_LIMIT_OFF');
      assert.ok(warnings.every((w) => w.severity === 'warning'));
      assert.equal(warnings.length, 1, JSON.stringify(result.problems));
    });
  }

  it("counts a route's own limit when the defaults are off", () => {
    const text = withGateway(
      '  defaultRateLimit: off\n',
      edit(['policy: signed-in', 'policy: signed-in\n        rateLimit: { points: 5, window: 1m }']),
    );
    const config = loaded(text);
    assert.deepEqual(routeRateLimits(config, firstRoute(config)), [{ points: 5, window: '1m' }]);
  });

  const refused: [label: string, text: string, message: RegExp][] = [
    [
      'a misspelt off',
      withGateway('  defaultRateLimit: of\n'),
      /`defaultRateLimit` must be `off` or a mapping, not `of` — did you mean `off`\?/u,
    ],
    [
      'a misspelt off for one kind',
      withGateway('  defaultRateLimit: { principal: of }\n'),
      /`principal` must be `off` or a mapping/u,
    ],
    ['an unknown kind', withGateway('  defaultRateLimit: { user: off }\n'), /unknown key `user`/u],
    [
      'a `by` in a default (the kind names it)',
      withGateway('  defaultRateLimit: { ip: { points: 5, window: 1m, by: [user] } }\n'),
      /unknown key `by`/u,
    ],
    ['zero points', withGateway('  defaultRateLimit: { ip: { points: 0, window: 1m } }\n'), /at least 1/u],
    [
      'a route limit that is neither off nor a mapping',
      edit(['policy: signed-in', 'policy: signed-in\n        rateLimit: none']),
      /`rateLimit` must be `off` or a mapping, not `none`/u,
    ],
  ];
  for (const [label, text, message] of refused) {
    it(`refuses ${label}`, () => {
      const result = parseConfig(text, 'rampart.yaml');
      assert.equal(result.ok, false);
      assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
      assert.match(result.problems[0]?.message ?? '', message);
    });
  }
});

describe('rate-limit values the loader is given: any value, never a throw, always a message', () => {
  // The two unions `off | limit` are collapsed into one readable error (collapse-unions.ts): a
  // generated value at either place must give a valid config or problems that each say something.
  const anyValue = fc.jsonValue({ maxDepth: 3 });
  const check = (text: string): void => {
    const result = parseConfig(text, 'rampart.yaml');
    if (result.ok) return;
    assert.ok(result.problems.length > 0);
    for (const problem of result.problems) assert.ok(problem.message.length > 0, JSON.stringify(problem));
  };

  it('at gateway.defaultRateLimit and its principal', () => {
    fc.assert(
      fc.property(anyValue, anyValue, (whole, principal) => {
        check(withGateway(`  defaultRateLimit: ${JSON.stringify(whole)}\n`));
        check(withGateway(`  defaultRateLimit: { principal: ${JSON.stringify(principal)} }\n`));
      }),
      { numRuns: 300 },
    );
  });

  it("at a route's rateLimit", () => {
    fc.assert(
      fc.property(anyValue, (value) => {
        check(edit(['policy: signed-in', `policy: signed-in\n        rateLimit: ${JSON.stringify(value)}`]));
      }),
      { numRuns: 300 },
    );
  });
});
