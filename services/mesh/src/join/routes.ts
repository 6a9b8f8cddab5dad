import type { FastifyInstance } from 'fastify';
import { RampartError } from '@rampart/errors';
import { issuanceBody, type MeshContext } from '../context.ts';
import { stringField } from '../http/body.ts';

/**
 * `POST /v1/join` `{ joinToken, csr }`: a workload without a certificate proves who it is with a
 * one-time join token and gets its first certificate, for the SPIFFE ID the token is bound to.
 */
export function registerJoinRoutes(app: FastifyInstance, context: MeshContext): void {
  app.post('/v1/join', async (request, reply) => {
    const joinToken = stringField(request.body, 'joinToken');
    const csr = stringField(request.body, 'csr');
    let spiffeId: string | null = null;
    for (const attestor of context.attestors) {
      if (attestor.type !== 'join_token') continue;
      spiffeId = await attestor.attest({ type: 'join_token', token: joinToken });
      if (spiffeId !== null) break;
    }
    if (spiffeId === null) {
      context.log.warn(
        {
          event: 'mesh.join_refused',
          reason: 'join token unknown, used or expired',
          peer: { address: request.ip },
        },
        'join refused',
      );
      throw new RampartError('MESH_JOIN_TOKEN_INVALID');
    }
    let issued;
    try {
      issued = await context.ca.issue({ csrPem: csr, spiffeId, ttlMs: context.leafTtlMs });
    } catch (error) {
      if (error instanceof RampartError) {
        context.log.warn(
          {
            event: 'mesh.join_refused',
            reason: error.detail ?? error.title,
            peer: { spiffeId, address: request.ip },
          },
          'join refused',
        );
      }
      throw error;
    }
    context.log.info(
      {
        event: 'certificate.issued',
        serial: issued.serial,
        spiffeId,
        notAfter: issued.notAfter,
        via: 'join',
      },
      'certificate issued',
    );
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send(await issuanceBody(context, issued));
  });
}
