// The servers the mesh benchmark loads, in their own process so the load generator does not
// compete with them for the same event loop. Prints one JSON line with the ports, then serves
// until stdin closes.
import { createInterface } from 'node:readline';
import { fastify, type FastifyInstance } from 'fastify';

interface Tls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

const tls = JSON.parse(process.argv[2] ?? '{}') as Tls;
const handler = (): { ok: boolean; items: number[] } => ({ ok: true, items: [1, 2, 3] });

async function serve(app: FastifyInstance): Promise<number> {
  app.get('/ping', handler);
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
