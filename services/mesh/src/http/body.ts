import { RampartError } from '@rampart/errors';

/** A JSON object body's string field, or a `MESH_BAD_REQUEST`. */
export function stringField(body: unknown, name: string): string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: 'the body must be a JSON object' });
  }
  const value = (body as Record<string, unknown>)[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw new RampartError('MESH_BAD_REQUEST', { detail: `"${name}" must be a non-empty string` });
  }
  return value;
}
