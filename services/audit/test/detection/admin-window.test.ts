import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createDetector,
  loadRules,
  SHIPPED_RULES_DIR,
  weeklyWindow,
  type DetectionEvent,
} from '../../src/detection/index.ts';

const PARIS_OFFICE = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  from: '08:00',
  to: '18:00',
  timeZone: 'Europe/Paris',
} as const;

function roleChange(time: string): DetectionEvent {
  return {
    time,
    event: 'admin.user_updated',
    service: 'identity',
    outcome: 'success',
    reason: 'roles_changed',
    subject: 'ps_QWRtaW5BZG1pbkFkbWluQW',
  };
}

function mfaRemoved(time: string): DetectionEvent {
  return { ...roleChange(time), event: 'admin.mfa_removed', reason: 'mfa_removed' };
}

/** The alerts the shipped pack raises for one admin change at `time`, with or without the window. */
function alertsAt(time: string, window = true): string[] {
  const detector = createDetector({
    rules: loadRules(SHIPPED_RULES_DIR),
    now: () => Date.parse(time),
    ...(window ? { adminWindow: weeklyWindow(PARIS_OFFICE) } : {}),
  });
  return [roleChange(time), mfaRemoved(time)].flatMap((event) =>
    detector.evaluate(event, { seq: 1, id: randomUUID() }).map((alert) => alert.rule),
  );
}

const BOTH = ['admin-role-changed', 'admin-sensitive-change'];

describe('admin changes outside audit.adminWindow (Europe/Paris, Mon–Fri 08:00–18:00)', () => {
  const cases: readonly [string, string, 'quiet' | 'alert'][] = [
    // Winter: Paris is UTC+1.
    ['Mon 2 Mar 2026 08:30 Paris (winter)', '2026-03-02T07:30:00Z', 'quiet'],
    ['Mon 2 Mar 2026 07:59 Paris', '2026-03-02T06:59:00Z', 'alert'],
    ['Mon 2 Mar 2026 08:00 Paris (from is inside)', '2026-03-02T07:00:00Z', 'quiet'],
    ['Mon 2 Mar 2026 17:59 Paris', '2026-03-02T16:59:00Z', 'quiet'],
    ['Mon 2 Mar 2026 18:00 Paris (to is outside)', '2026-03-02T17:00:00Z', 'alert'],
    ['Sat 7 Mar 2026 10:00 Paris (weekend)', '2026-03-07T09:00:00Z', 'alert'],
    ['Fri 6 Mar 2026 23:30 UTC = Sat 00:30 Paris', '2026-03-06T23:30:00Z', 'alert'],
    // Summer: Paris is UTC+2 after the last Sunday of March; 06:30Z is 08:30 there, not 07:30.
    ['Mon 30 Mar 2026 08:30 Paris (summer)', '2026-03-30T06:30:00Z', 'quiet'],
    ['Mon 30 Mar 2026 07:30 Paris (summer)', '2026-03-30T05:30:00Z', 'alert'],
    ['Mon 30 Mar 2026 18:30 Paris (summer) = 16:30 UTC', '2026-03-30T16:30:00Z', 'alert'],
    ['Mon 30 Mar 2026 17:30 Paris (summer) = 15:30 UTC', '2026-03-30T15:30:00Z', 'quiet'],
    // Back to winter on the last Sunday of October.
    ['Mon 26 Oct 2026 08:30 Paris (winter again)', '2026-10-26T07:30:00Z', 'quiet'],
    ['Mon 26 Oct 2026 07:30 Paris', '2026-10-26T06:30:00Z', 'alert'],
  ];
  for (const [name, time, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      assert.deepEqual(alertsAt(time).sort(), expected === 'quiet' ? [] : BOTH);
    });
  }

  it('without a window, every admin change alerts at any time', () => {
    for (const [, time] of cases) assert.deepEqual(alertsAt(time, false).sort(), BOTH);
  });

  it('other rules are not affected by the window', () => {
    const detector = createDetector({
      rules: loadRules(SHIPPED_RULES_DIR),
      adminWindow: weeklyWindow(PARIS_OFFICE),
      now: () => Date.parse('2026-03-02T09:00:00Z'),
    });
    const reuse: DetectionEvent = {
      time: '2026-03-02T09:00:00Z',
      event: 'token.reuse_detected',
      service: 'identity',
      outcome: 'failure',
      reason: 'refresh_token_reused',
      subject: 'ps_QWRtaW5BZG1pbkFkbWluQW',
    };
    assert.deepEqual(
      detector.evaluate(reuse, { seq: 1, id: randomUUID() }).map((alert) => alert.rule),
      ['token-reuse'],
    );
  });

  it('agrees with the zone offset Intl reports, for any instant (fast-check)', () => {
    const inside = weeklyWindow({ ...PARIS_OFFICE, timeZone: 'America/New_York' });
    const offsetOf = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      timeZoneName: 'longOffset',
    });
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2035-01-01') }), (t) => {
        const name = offsetOf.formatToParts(t).find((part) => part.type === 'timeZoneName')?.value ?? '';
        const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
        assert.ok(match !== null, name);
        const offset = (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
        const local = new Date(t + offset * 60_000);
        const day = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][local.getUTCDay()] ?? '';
        const minutes = local.getUTCHours() * 60 + local.getUTCMinutes();
        const expected = PARIS_OFFICE.days.includes(day as 'mon') && minutes >= 480 && minutes < 1080;
        assert.equal(inside(t), expected);
      }),
    );
  });

  it('refuses a window that ends before it starts, or an unknown day (programmer errors)', () => {
    assert.throws(() => weeklyWindow({ ...PARIS_OFFICE, from: '18:00', to: '08:00' }), TypeError);
    assert.throws(() => weeklyWindow({ ...PARIS_OFFICE, days: ['monday'] }), TypeError);
    assert.throws(() => weeklyWindow({ ...PARIS_OFFICE, timeZone: 'Mars/Olympus' }), RangeError);
  });
});
