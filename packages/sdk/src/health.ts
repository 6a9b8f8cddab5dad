import type { FastifyInstance } from 'fastify';
import { addPublicRoute } from './http-app.ts';

export interface Readiness {
  /** True once the store is open and the configuration loaded, false again while stopping. */
  ready(): boolean;
  /** The configuration revision applied (0 at start). */
  revision(): number;
}

/**
 * Registers `GET /healthz` (200 `{"status":"live"}` while the process serves) and `GET /readyz`
 * (200 `{"status":"ready","revision":N}` or 503 `{"status":"not-ready","revision":N}`).
 */
export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  addPublicRoute(app, { method: 'GET', url: '/healthz', handler: () => ({ status: 'live' }) }, 'warn');
  addPublicRoute(
    app,
    {
      method: 'GET',
      url: '/readyz',
      handler: (_request, reply) => {
        if (readiness.ready()) return { status: 'ready', revision: readiness.revision() };
        return reply.code(503).send({ status: 'not-ready', revision: readiness.revision() });
      },
    },
    'warn',
  );
}
