import type { FastifyInstance } from 'fastify';

export interface Readiness {
  ready(): boolean;
  revision(): number;
}

/** `GET /healthz` → `{"status":"live"}`; `GET /readyz` → `{"status":"ready","revision":N}` or 503. */
export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get('/healthz', () => ({ status: 'live' }));
  app.get('/readyz', (_request, reply) => {
    if (readiness.ready()) return reply.send({ status: 'ready', revision: readiness.revision() });
    return reply.code(503).send({ status: 'not-ready', revision: readiness.revision() });
  });
}
