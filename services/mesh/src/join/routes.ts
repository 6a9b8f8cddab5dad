import type { FastifyInstance } from 'fastify';
import { RampartError } from '@rampart/errors';
import type { MeshContext } from '../context.ts';
import { issueCertificate } from '../http/issue-certificate.ts';
import { stringField } from '../http/body.ts';
import { recordMeshEvent } from '../http/mesh-events.ts';

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
        { reason: 'join token unknown, used or expired', address: request.ip },
        'join refused',
      );
      recordMeshEvent(context, request, {
        event: 'mesh.join_refused',
        outcome: 'failure',
        reason: 'MESH_JOIN_TOKEN_INVALID',
      });
      throw new RampartError('MESH_JOIN_TOKEN_INVALID');
    }
    return issueCertificate(context, reply, {
      csr,
      spiffeId,
      via: 'join',
      request,
    });
  });
}
