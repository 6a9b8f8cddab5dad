import pg from 'pg';

const password = process.env.DB_PASSWORD;
const pool = new pg.Pool({ connectionString: `postgres://orders:${password}@db:5432/orders` });
export const query = (sql: string, values: unknown[]) => pool.query(sql, values);
