import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  classifyOverlap,
  isMoreSpecific,
  matches,
  parsePath,
  shapeOf,
  witnessPath,
  type Segment,
} from '../src/route-shape.ts';

// Routes over a tiny alphabet so that overlaps are frequent; concrete paths over a superset.
const segment = fc.oneof(fc.constantFrom('a', 'b'), fc.constant('{p}'));
const routePath = fc.array(segment, { minLength: 0, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const concrete = (length: number): fc.Arbitrary<string[]> =>
  fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: length, maxLength: length });

/** Every concrete path of the given length over {a, b, c}. */
function allConcrete(length: number): string[][] {
  let out: string[][] = [[]];
  for (let i = 0; i < length; i++) out = out.flatMap((p) => ['a', 'b', 'c'].map((s) => [...p, s]));
  return out;
}

describe('route shapes', () => {
  const table: [string, string, ReturnType<typeof classifyOverlap>][] = [
    ['/orders/{id}', '/orders/{orderId}', 'duplicate'],
    ['/orders/{id}', '/orders/latest', 'second-wins'],
    ['/orders', '/orders/{id}', 'disjoint'],
    ['/a/{x}/c', '/a/b/{y}', 'ambiguous'],
    ['/{x}/b', '/a/{y}', 'ambiguous'],
    ['/a/b', '/a/c', 'disjoint'],
    ['/', '/', 'duplicate'],
    ['/{x}/{y}', '/a/b', 'second-wins'],
  ];
  for (const [a, b, expected] of table) {
    it(`${a} vs ${b}: ${expected}`, () => {
      assert.equal(classifyOverlap(parsePath(a), parsePath(b)), expected);
    });
  }

  it('shapes erase parameter names', () => {
    assert.equal(shapeOf('/orders/{id}/items/{itemId}'), '/orders/{}/items/{}');
  });

  it('property: routes reported non-ambiguous never match one path with equal specificity', () => {
    fc.assert(
      fc.property(routePath, routePath, fc.nat(), (a, b, pick) => {
        const x = parsePath(a);
        const y = parsePath(b);
        const overlap = classifyOverlap(x, y);
        fc.pre(overlap !== 'ambiguous' && overlap !== 'duplicate');
        const paths = allConcrete(x.length);
        const path = paths[pick % paths.length] ?? [];
        if (matches(x, path) && matches(y, path)) {
          // Exactly one of the two is more specific: the winner is defined.
          assert.notEqual(isMoreSpecific(x, y), isMoreSpecific(y, x));
          assert.equal(overlap === 'first-wins', isMoreSpecific(x, y));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: the classification agrees with brute force over concrete paths', () => {
    fc.assert(
      fc.property(routePath, routePath, (a, b) => {
        const x = parsePath(a);
        const y = parsePath(b);
        const overlap = classifyOverlap(x, y);
        const both =
          x.length === y.length ? allConcrete(x.length).filter((p) => matches(x, p) && matches(y, p)) : [];
        assert.equal(overlap === 'disjoint', both.length === 0);
        if (overlap === 'duplicate') assert.equal(shapeOf(a), shapeOf(b));
        if (overlap !== 'disjoint') {
          const witness = witnessPath(x, y)
            .slice(1)
            .split('/')
            .filter((s) => s !== '');
          assert.ok(
            matches(x, witness) && matches(y, witness),
            `witness ${witnessPath(x, y)} of ${a} and ${b}`,
          );
        }
        // Ambiguous exactly when each route has a static segment where the other has a parameter.
        const staticWhereParam = (p: Segment[], q: Segment[]): boolean =>
          p.some((s, i) => s.kind === 'static' && q[i]?.kind === 'param');
        if (overlap !== 'disjoint' && overlap !== 'duplicate') {
          assert.equal(overlap === 'ambiguous', staticWhereParam(x, y) && staticWhereParam(y, x));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('property: among pairwise non-ambiguous routes, every path has one most specific match', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(routePath, { maxLength: 6, selector: shapeOf }),
        concrete(3),
        (paths, path) => {
          const routes = paths.map(parsePath);
          fc.pre(
            routes.every((r, i) => routes.slice(0, i).every((q) => classifyOverlap(q, r) !== 'ambiguous')),
          );
          const matching = routes.filter((r) => matches(r, path));
          const best = matching.filter((r) => matching.every((q) => q === r || isMoreSpecific(r, q)));
          assert.equal(best.length, matching.length === 0 ? 0 : 1);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
