// The servers the mesh benchmark loads, in their own process so the load generator does not
// compete with them for the same event loop. Prints one JSON line with the ports, then serves
// until stdin closes.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { fastify, type FastifyInstance } from 'fastify';

interface Tls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

const tls = JSON.parse(process.argv[2] ?? '{}') as Tls;
// Two handlers: a trivial one (TLS's worst case, relatively) and a typical one — an indexed
// query on an embedded store returning a user's 20 orders as JSON, as the shop's GET /orders does.
const db = new DatabaseSync(':memory:');
db.exec(
  'CREATE TABLE orders (id TEXT PRIMARY KEY, owner TEXT, status TEXT, total_cents INTEGER, created_at TEXT)',
);
db.exec('CREATE INDEX orders_owner ON orders (owner, created_at)');
const insert = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?)');
for (let i = 0; i < 2000; i++) {
  insert.run(
    randomUUID(),
    `user-${i % 100}`,
    'paid',
    1000 + i,
    new Date(Date.now() - i * 60_000).toISOString(),
  );
}
const byOwner = db.prepare(
  'SELECT id, status, total_cents, created_at FROM orders WHERE owner = ? ORDER BY created_at DESC LIMIT 20',
);
let next = 0;

async function serve(app: FastifyInstance): Promise<number> {
  app.get('/ping', () => ({ ok: true, items: [1, 2, 3] }));
  app.get('/orders', () => ({ orders: byOwner.all(`user-${next++ % 100}`) }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

const plain = await serve(fastify());
const mtls = await serve(
  fastify({
    https: {
      key: tls.key,
      cert: tls.cert,
      ca: tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
    },
  }),
);
process.stdout.write(`${JSON.stringify({ plain, mtls })}\n`);
// Each line on stdin asks for the CPU time used so far (user + system, µs).
createInterface({ input: process.stdin }).on('line', () => {
  const { user, system } = process.cpuUsage();
  process.stdout.write(`${user + system}\n`);
});
process.stdin.on('end', () => process.exit(0));
