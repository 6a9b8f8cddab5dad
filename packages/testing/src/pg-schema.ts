import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The superuser URL the tests administer PostgreSQL with: `DATABASE_URL`, or the local default. */
export const PG_ADMIN_URL = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A name no parallel run shares: `<prefix>_<pid>_<random>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs statements as the administrator, on `database` if given (else the admin URL's). */
export async function asPgAdmin<T>(fn: (client: pg.Client) => Promise<T>, database?: string): Promise<T> {
  const url = new URL(PG_ADMIN_URL);
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The admin URL pointed at another database. */
export function pgUrlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.href;
}

/**
 * Creates a fresh schema for one test run; `drop()` removes it with everything in it.
 *
 * @example
 * const temp = await createTempSchema();
 * const store = openPostgresStore({ url: PG_ADMIN_URL, schema: temp.schema });
 * after(() => temp.drop());
 */
export async function createTempSchema(
  prefix = 'rampart_t',
): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = uniqueName(prefix);
  await asPgAdmin((c) => c.query(`CREATE SCHEMA ${pg.escapeIdentifier(schema)}`));
  return {
    schema,
    drop: () =>
      asPgAdmin((c) => c.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)).then(
        () => undefined,
      ),
  };
}
