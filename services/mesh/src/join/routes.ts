import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RampartError } from '@rampart/errors';
import type { Attestation, JoinEvidence } from '@rampart/mesh';
import type { MeshContext } from '../context.ts';
import { issueCertificate } from '../http/issue-certificate.ts';
import { recordMeshEvent } from '../http/mesh-events.ts';
import { readJoinRequest } from './join-evidence.ts';

/**
 * `POST /v1/join` `{ joinToken, csr }` or `{ attestation: { type, token }, csr }`: a workload
 * without a certificate proves who it is — a one-time join token from `rampart up`, or on
 * Kubernetes its projected service-account token (`k8s_psat`) — and gets its first certificate,
 * for the SPIFFE ID the attestor verified (never one the CSR asks for). Kubernetes joins are rate
 * limited (each costs a TokenReview); every refusal is a `mesh.join_refused` event.
 */
export function registerJoinRoutes(app: FastifyInstance, context: MeshContext): void {
  app.post('/v1/join', async (request, reply) => {
    let join;
    try {
      join = readJoinRequest(request.body);
    } catch (error) {
      if (error instanceof RampartError && error.code === 'MESH_ATTESTATION_UNSUPPORTED') {
        refused(context, request, 'unknown', {
          ok: false,
          code: error.code,
          reason: 'evidence_type_unknown',
          detail: error.detail ?? error.title,
        });
      }
      throw error;
    }
    const { evidence, csr } = join;
    const attestor = context.attestors.find((candidate) => candidate.type === evidence.type);
    if (attestor === undefined) {
      refused(context, request, evidence.type, {
        ok: false,
        code: 'MESH_ATTESTATION_UNSUPPORTED',
        reason: 'evidence_type_unsupported',
        detail: `${evidence.type} evidence is not accepted: the mesh does not run on Kubernetes`,
      });
    }
    const attestation =
      evidence.type === 'k8s_psat'
        ? await limited(context, request, reply, () => attestor.attest(evidence))
        : await attestor.attest(evidence);
    if (!attestation.ok) refused(context, request, evidence.type, attestation);
    return issueCertificate(context, reply, {
      csr,
      spiffeId: attestation.spiffeId,
      via: 'join',
      request,
      evidence: evidence.type,
      ...(attestation.workload === undefined ? {} : { workload: attestation.workload }),
    });
  });
}

/** Runs a Kubernetes attestation within the join limiter, or refuses with `MESH_JOIN_RATE_LIMITED`. */
async function limited(
  context: MeshContext,
  request: FastifyRequest,
  reply: FastifyReply,
  attest: () => Promise<Attestation>,
): Promise<Attestation> {
  const slot = await context.joinLimiter.acquire(request.ip);
  if (!slot.ok) {
    void reply.header('retry-after', String(slot.retryAfterSeconds));
    return {
      ok: false,
      code: 'MESH_JOIN_RATE_LIMITED',
      reason: slot.reason === 'per_address' ? 'rate_limited' : 'too_many_reviews',
      detail: `retry after ${slot.retryAfterSeconds} s`,
    };
  }
  try {
    return await attest();
  } finally {
    slot.release();
  }
}

/** Logs and records the refusal, then throws the error the workload is answered with. */
function refused(
  context: MeshContext,
  request: FastifyRequest,
  evidence: JoinEvidence['type'] | 'unknown',
  refusal: Extract<Attestation, { ok: false }>,
): never {
  context.log.warn(
    {
      reason: refusal.reason,
      detail: refusal.detail,
      evidence,
      address: request.ip,
      ...(refusal.workload === undefined ? {} : { workload: refusal.workload }),
    },
    'join refused',
  );
  recordMeshEvent(context, request, {
    event: 'mesh.join_refused',
    outcome: 'failure',
    reason: refusal.reason,
  });
  throw new RampartError(refusal.code, { detail: refusal.detail });
}
