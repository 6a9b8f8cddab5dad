import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isRampartError } from '@rampart/errors';
import { ALLOWED_METHODS } from '../../src/request/index.ts';
import { buildRouteTable, MethodNotAllowed } from '../../src/routing/index.ts';
import { configWith } from './fixtures.ts';

type Method = 'GET' | 'HEAD' | 'POST' | 'DELETE';
type Seg = { kind: 'static'; value: string } | { kind: 'param' };
interface Route {
  method: Method;
  segs: Seg[];
}

type Outcome =
  | { kind: 'match'; template: string; params: Record<string, string> }
  | { kind: '404' }
  | { kind: '405'; allowed: readonly string[] };

const templateOf = (segs: readonly Seg[]): string =>
  `/${segs.map((s, i) => (s.kind === 'param' ? `{p${i}}` : s.value)).join('/')}`;
const shapeOf = (segs: readonly Seg[]): string =>
  segs.map((s) => (s.kind === 'param' ? '{}' : s.value)).join('/');
/** Static before parameter, position by position: 0 for static, 1 for a parameter. */
const rank = (segs: readonly Seg[]): string => segs.map((s) => (s.kind === 'static' ? '0' : '1')).join('');

/** The obvious, slow reading of the router's contract. */
function reference(
  routes: readonly Route[],
  method: string,
  path: readonly string[],
  trailing: boolean,
): Outcome {
  if (trailing && path.length > 0) return { kind: '404' };
  const matching = routes.filter(
    (r) => r.segs.length === path.length && r.segs.every((s, i) => s.kind === 'param' || s.value === path[i]),
  );
  if (matching.length === 0) return { kind: '404' };
  const serves = (r: Route): boolean =>
    r.method === method ||
    (method === 'HEAD' &&
      r.method === 'GET' &&
      !matching.some((o) => o.method === 'HEAD' && shapeOf(o.segs) === shapeOf(r.segs)));
  const candidates = matching
    .filter(serves)
    .sort((a, b) => rank(a.segs).localeCompare(rank(b.segs)) || (a.method === method ? -1 : 1));
  const best = candidates[0];
  if (best !== undefined) {
    const params: Record<string, string> = {};
    best.segs.forEach((s, i) => {
      if (s.kind === 'param') params[`p${i}`] = path[i] ?? '';
    });
    return { kind: 'match', template: templateOf(best.segs), params };
  }
  const methods = new Set<string>(matching.map((r) => r.method));
  if (methods.has('GET')) methods.add('HEAD');
  return { kind: '405', allowed: ALLOWED_METHODS.filter((m) => methods.has(m)) };
}

function actual(
  table: ReturnType<typeof buildRouteTable>,
  method: string,
  path: string[],
  trailing: boolean,
): Outcome {
  try {
    const m = table.match(method, path, trailing);
    return { kind: 'match', template: m.template, params: { ...m.params } };
  } catch (error) {
    if (error instanceof MethodNotAllowed) return { kind: '405', allowed: error.allowed };
    if (isRampartError(error) && error.code === 'GW_ROUTE_NOT_FOUND') return { kind: '404' };
    throw error;
  }
}

const word = fc.constantFrom('a', 'b', 'c');
const seg: fc.Arbitrary<Seg> = fc.oneof(
  word.map((value): Seg => ({ kind: 'static', value })),
  fc.constant<Seg>({ kind: 'param' }),
);
const route: fc.Arbitrary<Route> = fc.record({
  method: fc.constantFrom<Method>('GET', 'HEAD', 'POST', 'DELETE'),
  segs: fc.array(seg, { maxLength: 4 }),
});
/** Route sets without two routes of one method and shape (the config loader refuses those). */
const routeSet = fc.uniqueArray(route, {
  maxLength: 25,
  selector: (r) => `${r.method} ${shapeOf(r.segs)}`,
});
const request = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'OPTIONS'),
  path: fc.array(fc.constantFrom('a', 'b', 'c', 'd', '{p0}'), { maxLength: 5 }),
  trailing: fc.boolean(),
});

describe('route table: property', () => {
  it('match agrees with a brute-force reference matcher', () => {
    fc.assert(
      fc.property(routeSet, fc.array(request, { minLength: 1, maxLength: 20 }), (routes, requests) => {
        const table = buildRouteTable(
          configWith({ s: routes.map((r) => [r.method, templateOf(r.segs)] as const) }),
        );
        for (const { method, path, trailing } of requests) {
          assert.deepEqual(actual(table, method, path, trailing), reference(routes, method, path, trailing));
        }
      }),
      { numRuns: 500 },
    );
  });
});
