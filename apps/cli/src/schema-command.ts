import { jsonSchema } from '@rampart/config';

/**
 * `rampart schema`: prints the JSON Schema of rampart.yaml (2-space indent, trailing newline).
 * `rampart.schema.json` at the repository root is exactly this output.
 */
export function schemaCommand(io: { stdout: NodeJS.WritableStream }): number {
  io.stdout.write(`${JSON.stringify(jsonSchema(), null, 2)}\n`);
  return 0;
}
