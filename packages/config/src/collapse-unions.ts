import type { ErrorObject } from 'ajv';

/**
 * Ajv reports a failed `anyOf` as the union's own error plus every error of every branch. This
 * keeps what a person needs: for a union of constants one "must be one of" error; for a union of
 * objects the errors of the branch the value was meant for (the one whose discriminating
 * constant matched), or a "must be one of" on the discriminator when none matched.
 */
export function collapseUnions(errors: readonly ErrorObject[]): ErrorObject[] {
  let remaining = [...errors];
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
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
  const intended = all.filter((b) => !b.some((e) => isConst(e) && e.instancePath !== union.instancePath));
  if (intended.length === 0) {
    const discriminators = all.flat().filter(isConst);
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

function choice(union: ErrorObject, instancePath: string, consts: readonly ErrorObject[]): ErrorObject {
  const allowedValues = [
    ...new Set(
      consts.flatMap((e): unknown[] =>
        e.keyword === 'const'
          ? [e.params.allowedValue]
          : ((e.params.allowedValues as unknown[] | undefined) ?? []),
      ),
    ),
  ];
  return { keyword: 'enum', instancePath, schemaPath: union.schemaPath, params: { allowedValues } };
}
