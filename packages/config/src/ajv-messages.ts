import type { ErrorObject } from 'ajv';
import { collapseUnions } from './collapse-unions.ts';
import { describePlace, fromPointer, getAt } from './data-path.ts';
import type { DataPath, Finding } from './problem.ts';
import { Duration, Name, Route } from './schema.ts';
import { isSafeToEcho, isSecretRefPlace } from './secret-patterns.ts';
import { didYouMean, suggest } from './suggest.ts';

const NAME_RULE = 'lower-case letters, digits and dashes, starting with a letter (at most 63 characters)';
const RECORD_KINDS: Readonly<Record<string, string>> = { services: 'service', policies: 'policy' };

/** Turns Ajv's errors into one human finding per problem, in the words of rampart.yaml. */
export function translateAjvErrors(errors: readonly ErrorObject[], data: unknown): Finding[] {
  const findings: Finding[] = [];
  for (const error of collapseUnions(errors)) {
    const path = fromPointer(error.instancePath, data);
    const finding = translate(error, path, data);
    if (finding !== undefined) findings.push(finding);
  }
  return findings;
}

function translate(error: ErrorObject, path: DataPath, data: unknown): Finding | undefined {
  const key = path.at(-1);
  const value = getAt(data, path);
  const label = labelOf(path);
  // A value that must be a secret reference is never quoted back, whatever its key.
  const shown = !isSecretRefPlace(path) && isSafeToEcho(key, value) ? `\`${String(value)}\`` : label;
  const invalid = (message: string, fix?: string): Finding =>
    fix === undefined
      ? { code: 'CFG_INVALID_VALUE', path, anchor: 'value', message }
      : { code: 'CFG_INVALID_VALUE', path, anchor: 'value', message, fix };
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKey(error, path, String(params.additionalProperty));
    case 'required': {
      const missing = String(params.missingProperty);
      if (path.length === 0 && value === null) {
        return {
          code: 'CFG_MISSING_KEY',
          path,
          anchor: 'map',
          message: 'the file is empty',
          fix: TOP_LEVEL_FIX,
        };
      }
      return {
        code: 'CFG_MISSING_KEY',
        path,
        anchor: 'map',
        message: `missing key \`${missing}\` in ${describePlace(data, path)}`,
      };
    }
    case 'type':
      if (path.length === 0) {
        const message =
          value === null ? 'the file is empty' : 'the file must be a mapping, not a single value';
        return { code: 'CFG_INVALID_VALUE', path, anchor: 'value', message, fix: TOP_LEVEL_FIX };
      }
      return invalid(`${label} must be ${typeName(String(params.type))}, not ${typeName(jsonType(value))}`);
    case 'pattern':
      // An inline secret is reported by the inline-secret check, with a message of its own.
      if (isSecretRefPlace(path)) return undefined;
      return patternMessage(String(params.pattern), shown, label, invalid, error.parentSchema?.description);
    case 'enum': {
      const allowed = ((params.allowedValues as unknown[] | undefined) ?? []).map(String);
      const types = ((params.alsoTypes as unknown[] | undefined) ?? []).map((t) => typeName(String(t)));
      const hint = typeof value === 'string' ? didYouMean(value, allowed) : '';
      const options =
        types.length === 0
          ? `one of ${allowed.join(', ')}`
          : `${allowed.map((a) => `\`${a}\``).join(', ')} or ${types.join(' or ')}`;
      return invalid(`${label} must be ${options}${shown === label ? '' : `, not ${shown}`}${hint}`);
    }
    case 'const':
      if (key === 'public') return invalid('`public` can only be `true`', 'remove it to require a token');
      return invalid(`${label} must be ${String(params.allowedValue)}`);
    case 'minimum':
    case 'maximum': {
      const schema = error.parentSchema as { minimum?: number; maximum?: number } | undefined;
      if (schema?.minimum !== undefined && schema.maximum !== undefined) {
        return invalid(`${label} must be between ${schema.minimum} and ${schema.maximum}`);
      }
      return invalid(
        `${label} must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params.limit)}`,
      );
    }
    case 'minLength':
      return invalid(`${label} must not be empty`);
    case 'minItems':
      return invalid(
        `${label} must list at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`,
      );
    case 'minProperties':
      return invalid(
        path.length === 1 && key === 'services'
          ? '`services` must declare at least one service'
          : `${label} must not be empty`,
      );
    case 'uniqueItems': {
      const later = Math.max(Number(params.i), Number(params.j));
      const item = getAt(data, [...path, later]);
      const what = isSafeToEcho(key, item) ? `\`${String(item)}\`` : `item ${later + 1}`;
      return {
        ...invalid(`${label} lists ${what} twice`, 'remove the repeated item'),
        path: [...path, later],
      };
    }
    case 'format':
      return params.format === 'uri'
        ? invalid(`${label} must be an absolute URI, such as https://auth.example.com`)
        : invalid(`${label} must be a valid ${String(params.format)}`);
    default:
      return invalid(`${label} ${error.message ?? 'is invalid'}`);
  }
}

const TOP_LEVEL_FIX = 'start from `version: 1`, `name: <system name>` and `services:` (see `rampart schema`)';

function unknownKey(error: ErrorObject, path: DataPath, key: string): Finding {
  const keyPath = [...path, key];
  const recordKind = path.length === 1 && typeof path[0] === 'string' ? RECORD_KINDS[path[0]] : undefined;
  if (recordKind !== undefined && isSafeToEcho(undefined, key)) {
    const fixed = key
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^[^a-z]+/, '')
      .slice(0, 63);
    const message = `\`${key}\` is not a valid ${recordKind} name — ${recordKind} names use ${NAME_RULE}`;
    return fixed === ''
      ? { code: 'CFG_INVALID_VALUE', path: keyPath, anchor: 'key', message }
      : {
          code: 'CFG_INVALID_VALUE',
          path: keyPath,
          anchor: 'key',
          message,
          fix: `rename it, e.g. \`${fixed}\``,
        };
  }
  const properties =
    (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  const allowed = Object.keys(properties).filter((k) => k !== '$schema');
  if (!isSafeToEcho(undefined, key)) {
    return {
      code: 'CFG_UNKNOWN_KEY',
      path: keyPath,
      anchor: 'key',
      message: 'unknown key',
      fix: `remove it`,
    };
  }
  const suggestion = suggest(key, allowed);
  return {
    code: 'CFG_UNKNOWN_KEY',
    path: keyPath,
    anchor: 'key',
    message: `unknown key \`${key}\`${suggestion === undefined ? '' : ` — did you mean \`${suggestion}\`?`}`,
    fix:
      suggestion === undefined
        ? `remove it; the keys allowed here are ${allowed.map((k) => `\`${k}\``).join(', ')}`
        : `rename \`${key}\` to \`${suggestion}\``,
  };
}

function patternMessage(
  pattern: string,
  shown: string,
  label: string,
  invalid: (message: string, fix?: string) => Finding,
  description: unknown,
): Finding {
  if (pattern === Duration.pattern) {
    return invalid(`${shown} is not a duration — use e.g. 30s, 15m, 12h, 14d`);
  }
  if (pattern === Name.pattern) {
    return invalid(`${shown} is not a valid name — use ${NAME_RULE}`);
  }
  if (pattern === Route.properties.path.pattern) {
    return invalid(
      `${shown} is not a valid route path`,
      'write an absolute path such as /orders/{id}: segments of letters, digits, `.`, `_`, `~`, `-`, and parameters as {name}, with no trailing slash',
    );
  }
  const what = shown === label ? label : `${shown} in ${label}`;
  return typeof description === 'string'
    ? invalid(`${what} has the wrong form`, description)
    : invalid(`${what} has the wrong form (it must match ${pattern})`);
}

function labelOf(path: DataPath): string {
  const key = path.at(-1);
  if (key === undefined) return 'the file';
  if (typeof key === 'number') {
    const parent = path.at(-2);
    return `item ${key + 1} of \`${String(parent)}\``;
  }
  return `\`${key}\``;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeName(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'a whole number',
    number: 'a number',
    boolean: 'true or false',
    null: 'empty',
  };
  return names[type] ?? type;
}
