import type { FastifyRequest } from 'fastify';
import { parseSpiffeId } from '@rampart/mesh';
import { isIpLiteral, type SecurityEventInput } from '@rampart/sdk';
import type { MeshContext } from '../context.ts';

/** What a mesh event says beyond where the request came from. */
export interface MeshEventInput {
  readonly event: string;
  readonly outcome: SecurityEventInput['outcome'];
  /** A code: an error code (`MESH_JOIN_TOKEN_INVALID`) or an OAuth error (`invalid_target`). */
  readonly reason: string;
  /** A workload's SPIFFE ID the authority has verified (its client certificate, or the one it issued). */
  readonly peer?: string | null;
}

/**
 * Records one of the mesh authority's security events (SDK `createSecurityEvents`: its log, and
 * its outbox to the audit service), with the caller's address. A peer is named only when verified:
 * a SPIFFE ID read from a certificate the authority refused is the attacker's to choose.
 *
 * @example
 * recordMeshEvent(context, request, { event: 'token.exchange_refused', outcome: 'failure', reason: 'invalid_target', peer });
 */
export function recordMeshEvent(context: MeshContext, request: FastifyRequest, input: MeshEventInput): void {
  const { peer, ...rest } = input;
  context.events.emit({
    ...rest,
    ...(typeof peer === 'string' && parseSpiffeId(peer) !== null ? { peer } : {}),
    ...(isIpLiteral(request.ip) ? { sourceIp: request.ip } : {}),
    requestId: request.id,
  });
}
