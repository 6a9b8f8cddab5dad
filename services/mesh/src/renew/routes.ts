import type { FastifyInstance, FastifyRequest } from 'fastify';
import { RampartError } from '@rampart/errors';
import { parseSpiffeId, serviceNameOf } from '@rampart/mesh';
import { isDeclaredService } from '../config.ts';
import type { MeshContext } from '../context.ts';
import { issueCertificate } from '../http/issue-certificate.ts';
import { stringField } from '../http/body.ts';
import { recordMeshEvent } from '../http/mesh-events.ts';
import { peerLabel, peerOf } from '../http/peer.ts';

/**
 * `POST /v1/renew` `{ csr }` over mTLS: a new certificate for the SPIFFE ID of the certificate the
 * client presented — never for another ID. A service removed from rampart.yaml cannot renew.
 */
export function registerRenewRoutes(app: FastifyInstance, context: MeshContext): void {
  app.post('/v1/renew', async (request, reply) => {
    const peer = peerOf(request);
    if (!peer.verified) refuse(context, request, peer.reason, peerLabel(request, peer));
    const spiffeId = peer.spiffeId;
    if (parseSpiffeId(spiffeId)?.trustDomain !== context.trustDomain) {
      refuse(context, request, 'SPIFFE ID of another trust domain', peerLabel(request, peer));
    }
    const service = serviceNameOf(spiffeId, context.trustDomain);
    if (service !== null && !isDeclaredService(context.config(), service)) {
      refuse(context, request, 'service no longer declared', peerLabel(request, peer));
    }
    const csr = stringField(request.body, 'csr');
    return issueCertificate(context, reply, { csr, spiffeId, via: 'renew', request });
  });
}

function refuse(
  context: MeshContext,
  request: FastifyRequest,
  reason: string,
  peer: { spiffeId: string | null; address: string },
): never {
  context.log.warn({ reason, peer }, 'renewal refused');
  // No peer in the event: the certificate's SPIFFE ID is not trusted here (refused, or of another
  // trust domain), or names a service no longer declared (kept in the log line).
  recordMeshEvent(context, request, {
    event: 'mesh.renew_refused',
    outcome: 'failure',
    reason: 'MESH_PEER_UNAUTHENTICATED',
  });
  throw new RampartError('MESH_PEER_UNAUTHENTICATED', { detail: reason });
}
