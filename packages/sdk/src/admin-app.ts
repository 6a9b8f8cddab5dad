import { fastify, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerHealthRoutes, type Readiness } from './health.ts';

export interface AdminAppOptions {
  readonly logger: FastifyBaseLogger;
  readonly readiness: Readiness;
  /** Prometheus text exposition of the service's metrics. */
  readonly metrics?: () => Promise<{ contentType: string; body: string }>;
}

/**
 * The admin listener: plain HTTP on loopback, apart from the mTLS port, so that probes (the
 * supervisor, Kubernetes) and Prometheus need no workload certificate. It serves only
 * `/healthz`, `/readyz` and `/metrics` — nothing about users, never a secret.
 */
export function buildAdminApp(options: AdminAppOptions): FastifyInstance {
  const app = fastify({ loggerInstance: options.logger, bodyLimit: 1024, requestTimeout: 5_000 });
  registerHealthRoutes(app, options.readiness);
  const { metrics } = options;
  if (metrics !== undefined) {
    app.get('/metrics', { logLevel: 'warn' }, async (_request, reply) => {
      const { contentType, body } = await metrics();
      return reply.type(contentType).send(body);
    });
  }
  return app;
}
