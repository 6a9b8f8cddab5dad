import type { FastifyReply } from 'fastify';
import { RampartError } from '@rampart/errors';
import { issuanceBody, type MeshContext } from '../context.ts';

export interface IssueFor {
  readonly csr: string;
  readonly spiffeId: string;
  /** How the workload proved who it is. */
  readonly via: 'join' | 'renew';
  /** Who asked, as the refusal event records it. */
  readonly peer: Readonly<Record<string, unknown>>;
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
        { event: `mesh.${request.via}_refused`, reason: error.detail ?? error.title, peer: request.peer },
        `${request.via} refused`,
      );
    }
    throw error;
  }
  context.log.info(
    {
      event: 'certificate.issued',
      serial: issued.serial,
      spiffeId: request.spiffeId,
      notAfter: issued.notAfter,
      via: request.via,
    },
    'certificate issued',
  );
  return reply
    .code(201)
    .header('cache-control', 'no-store')
    .send(await issuanceBody(context, issued));
}
