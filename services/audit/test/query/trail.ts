import { BlockList, isIP } from 'node:net';
import type { JsonValue } from '../../src/ledger/index.ts';
import type { SearchFilter } from '../../src/query/index.ts';

/** A stored event as the audit service keeps it: the SDK's fields and `source`. */
export type TestEvent = { readonly id: string; readonly time: string } & Record<string, JsonValue>;

export const SUBJECTS = [
  'ps_AAAAAAAAAAAAAAAAAAAAAA',
  'ps_BBBBBBBBBBBBBBBBBBBBBB',
  'ps_alice-pseudonym_000001',
];
export const IPS = ['203.0.113.7', '198.51.100.20', '2001:db8::1', '2001:0db8:0000::0001'];
export const TYPES = ['login.failed', 'login.succeeded', 'token.issued', 'token.refreshed', 'gateway.denied'];
export const CLIENTS = ['shop-web', 'shop-cli'];
export const ROUTES = ['GET /orders', 'GET /orders/{id}', "GET /x';DROP-TABLE-audit_entries;--"];
export const SERVICES = ['gateway', 'identity', 'orders'];
const START = Date.parse('2026-12-07T10:00:00.000Z');

/** Event n of the test trail: every field varies, some are absent, some times carry an offset. */
export function testEvent(n: number): TestEvent {
  const ms = START + n * 60_000 - (n % 11 === 0 ? 30 * 60_000 : 0); // some arrive late
  const iso = new Date(ms).toISOString();
  // Every seventh time is written with a +02:00 offset: the same instant, another spelling.
  const time = n % 7 === 0 ? offsetSpelling(ms) : iso;
  const event: Record<string, JsonValue> = {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    time,
    event: TYPES[n % TYPES.length] ?? 'login.failed',
    service: SERVICES[n % SERVICES.length] ?? 'gateway',
    outcome: n % 4 === 0 ? 'success' : n % 13 === 0 ? 'unknown' : 'failure',
    reason: n % 2 === 0 ? 'bad_password' : 'GW_TOKEN_EXPIRED',
    source: 'spiffe://rampart.test/rampart/gateway',
  };
  if (n % 3 !== 0) event['subject'] = SUBJECTS[(n >> 1) % SUBJECTS.length] ?? '';
  if (n % 5 !== 1) event['clientId'] = CLIENTS[n % CLIENTS.length] ?? '';
  if (n % 2 === 0) event['sourceIp'] = IPS[(n >> 1) % IPS.length] ?? '';
  if (n % 4 !== 3) event['route'] = ROUTES[n % ROUTES.length] ?? '';
  event['traceId'] = (n * 7919).toString(16).padStart(32, '0');
  event['requestId'] = `req-${n}`;
  return event as TestEvent;
}

function offsetSpelling(ms: number): string {
  const local = new Date(ms + 2 * 3_600_000).toISOString().slice(0, 19);
  return `${local}+02:00`;
}

export function timeAt(n: number): string {
  return new Date(START + n * 60_000).toISOString();
}

/**
 * The test's own reading of a filter, written apart from the module's: times compared as instants,
 * IP addresses through `BlockList`, a prefix with `startsWith`.
 */
export function oracle(filter: SearchFilter, event: Record<string, JsonValue>): boolean {
  const text = (key: string): string | undefined => {
    const value = event[key];
    return typeof value === 'string' ? value : undefined;
  };
  if (filter.from !== undefined || filter.to !== undefined) {
    const time = text('time');
    if (time === undefined) return false;
    const at = Date.parse(time);
    if (filter.from !== undefined && at < Date.parse(filter.from)) return false;
    if (filter.to !== undefined && at >= Date.parse(filter.to)) return false;
  }
  if (filter.event !== undefined) {
    const type = text('event') ?? '';
    if (filter.event.endsWith('.') ? !type.startsWith(filter.event) : type !== filter.event) return false;
  }
  if (filter.sourceIp !== undefined) {
    const ip = text('sourceIp');
    if (ip === undefined) return false;
    const family = isIP(filter.sourceIp) === 4 ? 'ipv4' : 'ipv6';
    if (isIP(ip) !== isIP(filter.sourceIp)) return false;
    const list = new BlockList();
    list.addAddress(filter.sourceIp, family);
    if (!list.check(ip, family)) return false;
  }
  const plain = {
    outcome: 'outcome',
    subject: 'subject',
    clientId: 'clientId',
    route: 'route',
    traceId: 'traceId',
    requestId: 'requestId',
    service: 'service',
  } as const;
  for (const [field, key] of Object.entries(plain)) {
    const wanted = filter[field as keyof typeof plain];
    if (wanted !== undefined && text(key) !== wanted) return false;
  }
  return true;
}
