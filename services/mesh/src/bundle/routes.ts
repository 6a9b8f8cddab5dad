import type { FastifyInstance } from 'fastify';
import type { MeshContext } from '../context.ts';

/** `GET /v1/bundle`: the trusted roots (PEM) and the keys verifying internal tokens. Public data. */
export function registerBundleRoutes(app: FastifyInstance, context: MeshContext): void {
  app.get('/v1/bundle', async (_request, reply) =>
    reply.header('cache-control', 'no-cache').send({
      bundle: await context.ca.bundlePem(),
      tokenKeys: context.publishedTokenKeys,
    }),
  );
}
