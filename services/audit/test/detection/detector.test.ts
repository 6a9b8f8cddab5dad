import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createDetector,
  DetectionRuleError,
  EVENT_FIELDS,
  groupCap,
  loadRules,
  MAX_EVIDENCE,
  parseRule,
  SHIPPED_RULES_DIR,
  type DetectionEvent,
  type Rule,
} from '../../src/detection/index.ts';

const T0 = Date.parse('2026-03-10T12:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

function rule(yaml: string): Rule {
  return parseRule(`id: test-rule\ntitle: Test\nseverity: high\ndescription: a test\n${yaml}`, 'test.yaml');
}

/** Runs events through one rule with the clock at each event's time; returns the alerts. */
function run(r: Rule, events: readonly DetectionEvent[], maxGroups?: number) {
  let clock = T0;
  const detector = createDetector({
    rules: [r],
    now: () => clock,
    ...(maxGroups === undefined ? {} : { maxGroups }),
  });
  const alerts = events.flatMap((event, index) => {
    clock = Math.max(clock, Date.parse(event.time));
    return detector.evaluate(event, { seq: index + 1, id: `e${index + 1}` });
  });
  return { alerts, detector };
}

const failed = (seconds: number, fields: Partial<Record<string, string>> = {}): DetectionEvent => ({
  time: at(seconds),
  event: 'login.failed',
  outcome: 'failure',
  reason: 'bad_credentials',
  subject: 'ps_victim',
  ...fields,
});

const BRUTE = rule(`match:
  event: login.failed
threshold:
  count: 3
  window: 1m
  groupBy: [subject]`);

describe('detector: sliding windows', () => {
  it('fires when count events fall within the window, not when they are spread wider', () => {
    assert.equal(run(BRUTE, [failed(0), failed(30), failed(59)]).alerts.length, 1);
    assert.equal(
      run(BRUTE, [failed(0), failed(30), failed(60)]).alerts.length,
      0,
      'the first left the window',
    );
  });

  it('raises one alert per group per window, then again in the next window', () => {
    const events = Array.from({ length: 40 }, (_, i) => failed(i * 3)); // 2 minutes, 20 a minute
    const { alerts } = run(BRUTE, events);
    assert.deepEqual(
      alerts.map((alert) => alert.time),
      [at(6), at(66)],
    );
    assert.equal(alerts[0]?.count, 3);
    assert.deepEqual(
      alerts.at(0)?.evidence.map((ref) => ref.seq),
      [1, 2, 3],
    );
  });

  it('counts each group on its own and names the group', () => {
    const events = [
      failed(0),
      failed(1, { subject: 'ps_other' }),
      failed(2),
      failed(3, { subject: 'ps_other' }),
      failed(4),
    ];
    const { alerts } = run(BRUTE, events);
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0]?.group, { subject: 'ps_victim' });
  });

  it('skips events without a groupBy field', () => {
    const anonymous = { time: at(0), event: 'login.failed', outcome: 'failure' };
    assert.equal(
      run(BRUTE, [anonymous, { ...anonymous, time: at(1) }, { ...anonymous, time: at(2) }]).alerts.length,
      0,
    );
  });

  it('uses event time: an event arriving late lands in its place, one older than the window is ignored', () => {
    assert.equal(run(BRUTE, [failed(10), failed(0), failed(5)]).alerts.length, 1);
    assert.equal(run(BRUTE, [failed(100), failed(0), failed(1)]).alerts.length, 0);
  });

  it('a future-dated event counts at the clock plus one minute, so it cannot hold a window open', () => {
    let clock = T0;
    const detector = createDetector({ rules: [BRUTE], now: () => clock });
    detector.evaluate(failed(3600), { seq: 1, id: 'e1' });
    clock = T0 + 120_000;
    // Counted at clock + 60 s, it has left the window of these three, which alert on their own
    // (counted at its stated time, it would make every event before it "too old").
    assert.equal(detector.evaluate(failed(120), { seq: 2, id: 'e2' }).length, 0);
    assert.equal(detector.evaluate(failed(121), { seq: 3, id: 'e3' }).length, 0);
    const [alert] = detector.evaluate(failed(122), { seq: 4, id: 'e4' });
    assert.deepEqual(
      alert?.evidence.map((ref) => ref.seq),
      [2, 3, 4],
    );
  });

  it('counts distinct values when asked (spraying)', () => {
    const spray = rule(`match:
  event: login.failed
threshold:
  count: 3
  window: 10m
  groupBy: [sourceIp]
  distinct: subject`);
    const from = (s: number, subject: string) => failed(s, { subject, sourceIp: '192.0.2.1' });
    assert.equal(
      run(spray, [from(0, 'ps_a'), from(1, 'ps_a'), from(2, 'ps_a'), from(3, 'ps_b')]).alerts.length,
      0,
    );
    const { alerts } = run(spray, [from(0, 'ps_a'), from(1, 'ps_a'), from(2, 'ps_b'), from(3, 'ps_c')]);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.count, 3);
  });

  it('with a ratio counts failures and needs failures / attempts ≥ ratio, and minDistinct', () => {
    const stuffing = rule(`match:
  event: [login.failed, login.succeeded]
threshold:
  count: 4
  window: 10m
  groupBy: []
  minDistinct: { sourceIp: 2 }
  ratio: 0.8`);
    const ok = (s: number): DetectionEvent => ({
      time: at(s),
      event: 'login.succeeded',
      outcome: 'success',
      sourceIp: '192.0.2.9',
    });
    const bad = (s: number, ip: string) => failed(s, { sourceIp: ip });
    // 4 failures from 2 addresses, but 2 successes: 4/6 < 0.8.
    assert.equal(
      run(stuffing, [
        ok(0),
        ok(1),
        bad(2, '1.1.1.1'),
        bad(3, '1.1.1.2'),
        bad(4, '1.1.1.1'),
        bad(5, '1.1.1.2'),
      ]).alerts.length,
      0,
    );
    // 4 failures and 1 success: 4/5 = 0.8.
    assert.equal(
      run(stuffing, [ok(0), bad(2, '1.1.1.1'), bad(3, '1.1.1.2'), bad(4, '1.1.1.1'), bad(5, '1.1.1.2')])
        .alerts.length,
      1,
    );
    // 4 failures from one address: minDistinct not met.
    assert.equal(
      run(stuffing, [bad(2, '1.1.1.1'), bad(3, '1.1.1.1'), bad(4, '1.1.1.1'), bad(5, '1.1.1.1')]).alerts
        .length,
      0,
    );
  });

  it('alerts on every match without a threshold', () => {
    const reuse = rule('match:\n  event: token.reuse_detected\n');
    const events = [0, 1, 2].map((s) => ({ time: at(s), event: 'token.reuse_detected', outcome: 'failure' }));
    const { alerts } = run(reuse, [...events, failed(3)]);
    assert.equal(alerts.length, 3);
    assert.deepEqual(alerts[1]?.evidence, [{ seq: 2, id: 'e2' }]);
    assert.equal(alerts.at(1)?.severity, 'high');
  });

  it('matches by equality, list, prefix and contains; an absent field never matches', () => {
    const r = rule(`match:
  event: { prefix: admin. }
  reason: [roles_changed, user_created]
  route: { contains: '{' }`);
    const base = {
      time: at(0),
      event: 'admin.user_updated',
      reason: 'roles_changed',
      route: 'GET /orders/{id}',
    };
    assert.equal(r.matches(base), true);
    assert.equal(r.matches({ ...base, event: 'login.failed' }), false);
    assert.equal(r.matches({ ...base, reason: 'profile_changed' }), false);
    assert.equal(r.matches({ ...base, route: 'GET /orders' }), false);
    assert.equal(r.matches({ time: at(0), event: 'admin.user_updated', reason: 'roles_changed' }), false);
  });
});

describe('detector: bounded memory', () => {
  it('keeps at most maxGroups groups per rule, dropping the least recently seen', () => {
    const events = Array.from({ length: 100 }, (_, i) => failed(i, { subject: `ps_${i}` }));
    const { detector } = run(BRUTE, events, 10);
    assert.deepEqual(detector.stats(), { groups: { 'test-rule': 10 }, evictedGroups: 90 });
    assert.equal(detector.maxEntries, 10 * groupCap(BRUTE.threshold ?? assert.fail()));
  });

  it('a touched group survives eviction', () => {
    const events = [failed(0), failed(1)];
    for (let i = 0; i < 20; i += 1) {
      events.push(failed(2 + i, { subject: `ps_${i}` }));
      if (i % 5 === 0) events.push(failed(2 + i, { subject: 'ps_victim' })); // keeps it recent
    }
    const { alerts } = run(BRUTE, events, 8);
    assert.equal(alerts.filter((alert) => alert.group['subject'] === 'ps_victim').length, 1);
  });

  it('keeps at most groupCap events per group and at most MAX_EVIDENCE in an alert', () => {
    const big = rule(`match:
  event: login.failed
threshold:
  count: 200
  window: 1h
  groupBy: [subject]`);
    const { alerts } = run(
      big,
      Array.from({ length: 1000 }, (_, i) => failed(i)),
    );
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]?.evidence.length, MAX_EVIDENCE);
    assert.equal(alerts.at(0)?.evidence.at(-1)?.seq, 200);
    assert.equal(groupCap(big.threshold ?? assert.fail()), 200);
  });
});

describe('rules: loading and errors', () => {
  const BAD: readonly (readonly [string, string, RegExp])[] = [
    ['severity: huge', 'severity', /must be one of low, medium, high, critical/],
    ['match: { evnt: login.failed }', 'match.evnt', /unexpected property/],
    ['match: {}', 'match', /./],
    ['threshold: { count: 3, window: 5 minutes, groupBy: [] }', 'threshold.window', /a duration/],
    ['threshold: { count: 0, window: 5m, groupBy: [] }', 'threshold.count', /./],
    ['threshold: { count: 3, window: 5m, groupBy: [ip] }', 'threshold.groupBy.0', /./],
    [
      'threshold: { count: 3, window: 5m, groupBy: [sourceIp], distinct: sourceIp }',
      'threshold.distinct',
      /groupBy/,
    ],
    ['threshold: { count: 3, window: 5m, groupBy: [], ratio: 2 }', 'threshold.ratio', /./],
    ['extra: 1', 'extra', /unexpected property/],
  ];
  const GOOD: Record<string, string> = {
    severity: 'severity: high',
    match: 'match: { event: login.failed }',
  };
  for (const [line, field, problem] of BAD) {
    it(`names the rule and the field: ${line}`, () => {
      const key = line.split(':')[0] ?? '';
      const lines = { ...GOOD, [key]: line };
      const text = `id: bad-rule\ntitle: T\ndescription: d\n${Object.values(lines).join('\n')}\n`;
      assert.throws(
        () => parseRule(text, 'rules/bad.yaml'),
        (error: unknown) =>
          error instanceof DetectionRuleError &&
          error.rule === 'bad-rule' &&
          error.field === field &&
          error.message.startsWith(`rules/bad.yaml: rule "bad-rule": ${field}: `) &&
          problem.test(error.message),
      );
    });
  }

  it('refuses YAML that does not parse, and duplicate keys', () => {
    assert.throws(() => parseRule('id: [', 'x.yaml'), DetectionRuleError);
    assert.throws(() => parseRule('id: a\nid: b\n', 'x.yaml'), /not valid YAML/);
  });

  it('every shipped rule names only events listed in docs/events.md', () => {
    const doc = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');
    const listed = new Set([...doc.matchAll(/^\| `([a-z_.]+)` +\|/gm)].map((match) => match[1] ?? ''));
    assert.ok(listed.size > 40);
    for (const shipped of loadRules(SHIPPED_RULES_DIR)) {
      const condition = shipped.match.event;
      assert.ok(condition !== undefined, `${shipped.id} selects an event`);
      const names =
        typeof condition === 'string'
          ? [condition]
          : Array.isArray(condition)
            ? condition
            : [...listed].filter((name) =>
                'prefix' in condition
                  ? [condition.prefix].flat().some((prefix) => name.startsWith(prefix))
                  : [condition.contains].flat().some((part) => name.includes(part)),
              );
      assert.ok(names.length > 0, `${shipped.id} matches no listed event`);
      for (const name of names)
        assert.ok(listed.has(name), `${shipped.id}: ${name} is not in docs/events.md`);
    }
  });
});

describe('detector: property', () => {
  const field = fc.constantFrom(...EVENT_FIELDS);
  const value = fc.constantFrom(
    'login.failed',
    'failure',
    'success',
    'ps_a',
    'ps_b',
    '192.0.2.1',
    'gateway',
    'x',
  );
  const event = fc.record({
    time: fc.oneof(
      fc.integer({ min: -1000, max: 100_000 }).map((s) => at(s)),
      fc.string({ maxLength: 30 }),
    ),
    fields: fc.dictionary(field, value, { maxKeys: 6 }),
  });

  it('never throws on any event stream, and never alerts a rule whose match fails', () => {
    const rules = loadRules(SHIPPED_RULES_DIR);
    rules.push(BRUTE);
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        (stream, maxGroups) => {
          const detector = createDetector({ rules, maxGroups, now: () => T0 });
          const byId = new Map(rules.map((r) => [r.id, r]));
          stream.forEach(({ time, fields }, index) => {
            const input: DetectionEvent = { ...fields, time };
            for (const alert of detector.evaluate(input, { seq: index + 1, id: `e${index}` })) {
              assert.equal(
                byId.get(alert.rule)?.matches(input),
                true,
                `${alert.rule} alerted on a non-match`,
              );
              assert.ok(alert.evidence.length >= 1 && alert.evidence.length <= MAX_EVIDENCE);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
