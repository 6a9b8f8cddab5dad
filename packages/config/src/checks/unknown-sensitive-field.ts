import { isRecord } from '../data-path.ts';
import type { Finding } from '../problem.ts';
import type { RampartConfig } from '../schema.ts';

/**
 * CFG_UNKNOWN_SENSITIVE_FIELD (a warning): a field listed under `sensitive` that no route body
 * schema of the service mentions is probably misspelled. Services without any body schema are
 * not checked — there is nothing to compare against.
 */
export function checkUnknownSensitiveField(config: RampartConfig): Finding[] {
  const findings: Finding[] = [];
  for (const [name, service] of Object.entries(config.services)) {
    const bodies = (service.routes ?? []).flatMap((r) =>
      r.schema?.body === undefined ? [] : [r.schema.body],
    );
    if (bodies.length === 0) continue;
    const known = new Set<string>();
    for (const body of bodies) collectPropertyNames(body, known);
    for (const [index, field] of (service.sensitive ?? []).entries()) {
      const leaf = field.split('.').at(-1) ?? field;
      if (known.has(field) || known.has(leaf)) continue;
      findings.push({
        code: 'CFG_UNKNOWN_SENSITIVE_FIELD',
        severity: 'warning',
        path: ['services', name, 'sensitive', index],
        anchor: 'value',
        message: `sensitive field \`${field}\` of service \`${name}\` appears in none of its route body schemas`,
        fix: 'check the spelling against the body schemas, or remove it',
      });
    }
  }
  return findings;
}

/** Every property name declared anywhere in a JSON Schema (nested objects, items, unions). */
function collectPropertyNames(schema: unknown, into: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const item of schema) collectPropertyNames(item, into);
    return;
  }
  if (!isRecord(schema)) return;
  for (const [key, value] of Object.entries(schema)) {
    if ((key === 'properties' || key === 'patternProperties') && isRecord(value)) {
      for (const [name, sub] of Object.entries(value)) {
        if (key === 'properties') into.add(name);
        collectPropertyNames(sub, into);
      }
    } else if (key === 'required' && Array.isArray(value)) {
      for (const name of value) if (typeof name === 'string') into.add(name);
    } else {
      collectPropertyNames(value, into);
    }
  }
}
