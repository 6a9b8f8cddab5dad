import type { ErrorObject } from 'ajv';

/**
 * Ajv reports a failed `anyOf` as the union's own error plus every error of every branch. This
 * keeps what a person needs: for a union of constants one "must be one of" error; for a union of
 * objects the errors of the branch the value was meant for (the one whose discriminating
 * constant matched), or a "must be one of" on the discriminator when none matched; for a constant
 * beside an object (`rateLimit: off` or a limit) the object's errors when a mapping was written,
 * else one "must be one of `off` or a mapping". Inner unions collapse before the ones around them.
 */
export function collapseUnions(errors: readonly ErrorObject[]): ErrorObject[] {
  let remaining = [...errors];
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => b.schemaPath.length - a.schemaPath.length);
  for (const union of unions) {
    if (!remaining.includes(union)) continue;
    const prefix = `${union.schemaPath}/`;
    const inside = remaining.filter((e) => e.schemaPath.startsWith(prefix));
    remaining = remaining.filter((e) => e !== union && !inside.includes(e));
    remaining.push(...chooseBranch(union, inside));
  }
  return remaining;
}

function chooseBranch(union: ErrorObject, inside: readonly ErrorObject[]): ErrorObject[] {
  const prefix = `${union.schemaPath}/`;
  const branches = new Map<string, ErrorObject[]>();
  for (const e of inside) {
    const index = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
    branches.set(index, [...(branches.get(index) ?? []), e]);
  }
  const all = [...branches.values()];
  const isConst = (e: ErrorObject): boolean => e.keyword === 'const' || e.keyword === 'enum';
  if (all.length > 0 && all.every((b) => b.length === 1 && b[0] !== undefined && isConst(b[0]))) {
    return [choice(union, union.instancePath, all.flat())];
  }
  const atUnion = (e: ErrorObject): boolean => e.instancePath === union.instancePath;
  // A branch of another type than the value's, or a constant the value is not: neither is what
  // a value that got past its type and failed deeper (a mapping with a bad key) was meant for.
  const wrongType = (b: readonly ErrorObject[]): boolean => b.some((e) => atUnion(e) && e.keyword === 'type');
  const constant = (b: readonly ErrorObject[]): boolean =>
    b.some(isConst) && b.every((e) => atUnion(e) && (isConst(e) || e.keyword === 'type'));
  const fitting = all.filter((b) => !wrongType(b) && !constant(b));
  if (fitting.length === 0 && all.some(constant)) {
    const types = all
      .filter((b) => !constant(b))
      .flatMap((b) => b.filter((e) => atUnion(e) && e.keyword === 'type').map((e) => String(e.params.type)));
    return [choice(union, union.instancePath, all.filter(constant).flat().filter(isConst), types)];
  }
  const candidates = fitting.length > 0 ? fitting : all;
  const intended = candidates.filter(
    (b) => !b.some((e) => isConst(e) && e.instancePath !== union.instancePath),
  );
  if (intended.length === 0) {
    const discriminators = candidates.flat().filter(isConst);
    const at = discriminators[0]?.instancePath ?? union.instancePath;
    return [
      choice(
        union,
        at,
        discriminators.filter((e) => e.instancePath === at),
      ),
    ];
  }
  intended.sort((a, b) => a.length - b.length);
  return intended[0] ?? [];
}

/**
 * One "must be one of" error; `types` are value types the union also takes (`object`), with those
 * of the errors it merges (an inner union already collapsed).
 */
function choice(
  union: ErrorObject,
  instancePath: string,
  consts: readonly ErrorObject[],
  types: readonly string[] = [],
): ErrorObject {
  const allowedValues = [
    ...new Set(
      consts.flatMap((e): unknown[] =>
        e.keyword === 'const'
          ? [e.params.allowedValue]
          : ((e.params.allowedValues as unknown[] | undefined) ?? []),
      ),
    ),
  ];
  const alsoTypes = [
    ...new Set([...types, ...consts.flatMap((e) => (e.params.alsoTypes as string[] | undefined) ?? [])]),
  ];
  return {
    keyword: 'enum',
    instancePath,
    schemaPath: union.schemaPath,
    params: { allowedValues, ...(alsoTypes.length > 0 ? { alsoTypes } : {}) },
  };
}
