import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isIP } from 'node:net';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import {
  createDetector,
  loadRules,
  SHIPPED_RULES_DIR,
  type Alert,
  type DetectionEvent,
} from '../../src/detection/index.ts';
import { IncomingEvent } from '../../src/ingest/event-schema.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const rules = loadRules(SHIPPED_RULES_DIR);

type Stored = DetectionEvent & { readonly id: string; readonly source: string };

function read(file: string): Stored[] {
  return readFileSync(join(FIXTURES, file), 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Stored);
}

/** Replays events in time order as the ledger would store them (seq 1, 2, …), the clock following. */
function replay(events: readonly Stored[]): { alerts: Alert[]; stream: Stored[] } {
  let clock = 0;
  const detector = createDetector({ rules, now: () => clock });
  const stream = [...events].sort((a, b) => a.time.localeCompare(b.time));
  const alerts = stream.flatMap((event, index) => {
    clock = Date.parse(event.time);
    return detector.evaluate(event, { seq: index + 1, id: event.id });
  });
  return { alerts, stream };
}

const tally = (alerts: readonly Alert[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const alert of alerts) counts[alert.rule] = (counts[alert.rule] ?? 0) + 1;
  return counts;
};

const day = read('normal-day.jsonl');

// The formats the ingest endpoint's validator knows (Fastify's Ajv with ajv-formats).
FormatRegistry.Set('uuid', (value) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(value),
);
FormatRegistry.Set('date-time', (value) => !Number.isNaN(Date.parse(value)) && value.includes('T'));
FormatRegistry.Set('ipv4', (value) => isIP(value) === 4);
FormatRegistry.Set('ipv6', (value) => isIP(value) === 6);

/** Per attack: how many alerts of which rules, and the group the first alert of the rule names. */
const EXPECTED: Record<
  string,
  { alerts: Record<string, number>; group?: (attack: Stored[]) => Record<string, string> }
> = {
  'brute-force-account': {
    alerts: { 'brute-force-account': 1 },
    group: (a) => ({ subject: a[0]?.subject ?? '' }),
  },
  'mfa-brute-force': { alerts: { 'mfa-brute-force': 1 }, group: (a) => ({ subject: a[0]?.subject ?? '' }) },
  'password-spraying': { alerts: { 'password-spraying': 1 }, group: () => ({ sourceIp: '100.64.1.66' }) },
  'credential-stuffing': { alerts: { 'credential-stuffing': 1 }, group: () => ({}) },
  'token-reuse': { alerts: { 'token-reuse': 1 }, group: () => ({}) },
  'revoked-token-used': {
    alerts: { 'revoked-token-used': 1 },
    group: (a) => ({ subject: a[0]?.subject ?? '' }),
  },
  'object-id-probing': {
    alerts: { 'object-id-probing': 1 },
    group: (a) => ({ subject: a[0]?.subject ?? '' }),
  },
  'mesh-call-denied': {
    alerts: { 'mesh-call-denied': 1 },
    group: () => ({ service: 'payments', reason: 'SDK_CALLER_NOT_ALLOWED' }),
  },
  'mesh-handshake-refused': { alerts: { 'mesh-handshake-refused': 1 }, group: () => ({ service: 'orders' }) },
  'admin-sensitive-change': { alerts: { 'admin-sensitive-change': 2 }, group: () => ({}) },
  'admin-role-changed': { alerts: { 'admin-role-changed': 1 }, group: () => ({}) },
  'gateway-denial-burst': {
    alerts: { 'gateway-denial-burst': 1 },
    group: () => ({ sourceIp: '100.64.3.3' }),
  },
  'upstream-failure-burst': { alerts: { 'upstream-failure-burst': 1 }, group: () => ({}) },
};

describe('detection rules replayed on recorded traffic', () => {
  it('the fixtures are events the ingest endpoint accepts', () => {
    for (const file of readdirSync(FIXTURES).filter((name) => name.endsWith('.jsonl'))) {
      for (const { source, ...event } of read(file)) {
        assert.ok(Value.Check(IncomingEvent, event), `${file}: ${JSON.stringify(event)}`);
        assert.match(source, /^spiffe:\/\/shop\.local\/(rampart|service)\/[a-z-]+$/);
      }
    }
  });

  it('stays quiet on a normal day of traffic (every rule)', () => {
    assert.ok(day.length > 2000);
    assert.deepEqual(replay(day).alerts, []);
  });

  it('every shipped rule has an attack fixture, and every fixture a rule', () => {
    const attacks = readdirSync(FIXTURES)
      .filter((name) => name.endsWith('.attack.jsonl'))
      .map((name) => name.replace('.attack.jsonl', ''))
      .sort();
    assert.deepEqual(attacks, rules.map((rule) => rule.id).sort());
    assert.deepEqual(Object.keys(EXPECTED).sort(), attacks);
  });

  for (const [attackName, expected] of Object.entries(EXPECTED)) {
    it(`${attackName}: fires exactly where the attack is, and no other rule does`, () => {
      const attack = read(`${attackName}.attack.jsonl`);
      const { alerts, stream } = replay([...day, ...attack]);
      assert.deepEqual(tally(alerts), expected.alerts);
      const attackIds = new Set(attack.map((event) => event.id));
      const bySeq = new Map(stream.map((event, index) => [index + 1, event]));
      for (const alert of alerts) {
        assert.ok(alert.evidence.length > 0);
        for (const ref of alert.evidence) {
          assert.ok(attackIds.has(ref.id), `${alert.rule}: evidence ${ref.id} is not from the attack`);
          assert.equal(bySeq.get(ref.seq)?.id, ref.id, 'evidence seq names the event');
        }
        // It fires during the attack, not before it began or long after.
        const first = attack[0]?.time ?? '';
        const last = attack.at(-1)?.time ?? '';
        assert.ok(alert.time >= first && alert.time <= last, `${alert.rule} at ${alert.time}`);
      }
      const group = expected.group?.(attack);
      if (group !== undefined) assert.deepEqual(alerts[0]?.group, group);
    });
  }
});
