import type { FastifyReply, FastifyRequest } from 'fastify';
import { RampartError } from '@rampart/errors';
import type { AttestedWorkload, JoinEvidence } from '@rampart/mesh';
import { issuanceBody, type MeshContext } from '../context.ts';
import { recordMeshEvent } from './mesh-events.ts';

export interface IssueFor {
  readonly csr: string;
  readonly spiffeId: string;
  /** How the workload proved who it is. */
  readonly via: 'join' | 'renew';
  /** The request asking: its address goes into the events. */
  readonly request: FastifyRequest;
  /** For a join: the evidence type it was attested with. */
  readonly evidence?: JoinEvidence['type'];
  /** For a Kubernetes join: the service account and pod the token is bound to, for the log line. */
  readonly workload?: AttestedWorkload;
}

/**
 * Issues a leaf for an already-authenticated SPIFFE ID and answers 201 with it: the one place
 * join and renewal record `certificate.issued` — or `mesh.join_refused` / `mesh.renew_refused`
 * when the CSR is refused.
 */
export async function issueCertificate(
  context: MeshContext,
  reply: FastifyReply,
  request: IssueFor,
): Promise<FastifyReply> {
  let issued;
  try {
    issued = await context.ca.issue({
      csrPem: request.csr,
      spiffeId: request.spiffeId,
      ttlMs: context.leafTtlMs,
    });
  } catch (error) {
    if (error instanceof RampartError) {
      context.log.warn(
        { reason: error.detail ?? error.title, spiffeId: request.spiffeId, address: request.request.ip },
        `${request.via} refused`,
      );
      // The SPIFFE ID is the join token's or the verified client certificate's, never the CSR's.
      recordMeshEvent(context, request.request, {
        event: `mesh.${request.via}_refused`,
        outcome: 'failure',
        reason: error.code,
        peer: request.spiffeId,
      });
    }
    throw error;
  }
  context.log.info(
    {
      serial: issued.serial,
      spiffeId: request.spiffeId,
      notAfter: issued.notAfter,
      via: request.via,
      ...(request.evidence === undefined ? {} : { evidence: request.evidence }),
      // Which pod holds the key: a PSAT is valid while its pod exists, so this names the holder.
      ...(request.workload === undefined ? {} : { workload: request.workload }),
    },
    'certificate issued',
  );
  recordMeshEvent(context, request.request, {
    event: 'certificate.issued',
    outcome: 'success',
    reason: request.via === 'join' ? 'joined' : 'renewed',
    peer: request.spiffeId,
  });
  return reply
    .code(201)
    .header('cache-control', 'no-store')
    .send(await issuanceBody(context, issued));
}
