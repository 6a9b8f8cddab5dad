import { Ajv, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { jsonSchema } from './schema.ts';
import { translateAjvErrors } from './ajv-messages.ts';
import type { Finding } from './problem.ts';

// Compiled once, at module load: allErrors so every problem is reported in one run; strict so a
// mistake in the schema itself fails here rather than passing silently; verbose for the allowed
// keys of a mapping when a key is unknown.
const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
addFormats.default(ajv, ['uri']);
const validate = ajv.compile(jsonSchema());

/** Checks parsed data against the rampart.yaml schema; each finding is one clear message. */
export function validateSchema(data: unknown): Finding[] {
  if (validate(data)) return [];
  return translateAjvErrors(validate.errors ?? ([] as ErrorObject[]), data);
}
