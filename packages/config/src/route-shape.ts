/**
 * How routes overlap. A path is a list of segments; a segment is static (`orders`) or a parameter
 * (`{id}`) that matches exactly one non-empty segment. See README § "Route overlap".
 */

export type Segment = { kind: 'static'; value: string } | { kind: 'param' };

export type Overlap =
  /** No concrete path matches both. */
  | 'disjoint'
  /** Same segments up to parameter names: `/orders/{id}` and `/orders/{orderId}`. */
  | 'duplicate'
  /** Both match some path, and the first is more specific, so it always wins. */
  | 'first-wins'
  /** Both match some path, and the second is more specific, so it always wins. */
  | 'second-wins'
  /** Both match some path and neither is more specific: which one serves it is unclear. */
  | 'ambiguous';

export function parsePath(path: string): Segment[] {
  if (path === '/') return [];
  return path
    .slice(1)
    .split('/')
    .map((s) => (s.startsWith('{') && s.endsWith('}') ? { kind: 'param' } : { kind: 'static', value: s }));
}

/** `/orders/{}`: the path with parameter names erased; equal shapes are duplicates. */
export function shapeOf(path: string): string {
  return `/${parsePath(path)
    .map((s) => (s.kind === 'param' ? '{}' : s.value))
    .join('/')}`;
}

/** Whether the route matches the concrete path (a list of non-empty segments). */
export function matches(route: readonly Segment[], concrete: readonly string[]): boolean {
  return (
    route.length === concrete.length &&
    route.every((s, i) => s.kind === 'param' || (concrete[i] !== undefined && s.value === concrete[i]))
  );
}

/**
 * `a` is more specific than `b` when wherever `b` has a static segment `a` has the same one,
 * and `a` has a static segment in at least one place where `b` has a parameter.
 */
export function isMoreSpecific(a: readonly Segment[], b: readonly Segment[]): boolean {
  if (a.length !== b.length) return false;
  let stricter = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return false;
    if (y.kind === 'static' && (x.kind !== 'static' || x.value !== y.value)) return false;
    if (x.kind === 'static' && y.kind === 'param') stricter = true;
  }
  return stricter;
}

export function classifyOverlap(a: readonly Segment[], b: readonly Segment[]): Overlap {
  if (a.length !== b.length) return 'disjoint';
  let same = true;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return 'disjoint';
    if (x.kind === 'static' && y.kind === 'static' && x.value !== y.value) return 'disjoint';
    if (x.kind !== y.kind) same = false;
  }
  if (same) return 'duplicate';
  if (isMoreSpecific(a, b)) return 'first-wins';
  if (isMoreSpecific(b, a)) return 'second-wins';
  return 'ambiguous';
}

/** A concrete path both routes match (they must not be disjoint): `/a/b/c` for `/a/{x}/c` and `/a/b/{y}`. */
export function witnessPath(a: readonly Segment[], b: readonly Segment[]): string {
  const segments = a.map((x, i) => {
    const y = b[i];
    if (x.kind === 'static') return x.value;
    if (y?.kind === 'static') return y.value;
    return 'x';
  });
  return `/${segments.join('/')}`;
}
