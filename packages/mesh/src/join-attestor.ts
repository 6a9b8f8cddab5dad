import type { ErrorCode } from '@rampart/errors';
import type { JoinTokens } from './join-tokens.ts';

/**
 * Evidence a workload presents at `POST /v1/join` to prove who it is before it has a certificate.
 * `join_token` is what `rampart up` uses; `k8s_psat` is the Kubernetes variant (a projected
 * service-account token with the mesh as its audience).
 */
export type JoinEvidence =
  | { readonly type: 'join_token'; readonly token: string }
  | { readonly type: 'k8s_psat'; readonly token: string };

/** The evidence types the authority knows. */
export const JOIN_EVIDENCE_TYPES: readonly JoinEvidence['type'][] = Object.freeze(['join_token', 'k8s_psat']);

/**
 * What an attestor verified beyond the SPIFFE ID, for the issuance's log line: on Kubernetes the
 * service account and the pod the token is bound to. Never a token.
 */
export interface AttestedWorkload {
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly podName?: string;
  readonly podUid?: string;
}

/** An attestor's answer: the SPIFFE ID to issue, or why not. */
export type Attestation =
  | { readonly ok: true; readonly spiffeId: string; readonly workload?: AttestedWorkload }
  | {
      readonly ok: false;
      /** What the workload is told (a `MESH_*` code of docs/errors.md). */
      readonly code: ErrorCode;
      /** The `mesh.join_refused` event's reason: a code, finer than `code` (`psat_wrong_audience`). */
      readonly reason: string;
      /** Free text for the log line only; never holds the token. */
      readonly detail: string;
      /** What was verified before the refusal (a genuine token of another namespace), for the log. */
      readonly workload?: AttestedWorkload;
    };

/**
 * Turns join evidence into the SPIFFE ID the workload may receive, or a refusal. An attestor never
 * trusts a name the workload claims: the ID comes from what the attestor itself verified.
 *
 * Two exist: {@link joinTokenAttestor} (one-time join tokens, `rampart up`), and the mesh
 * authority's Kubernetes attestor (`services/mesh/src/join/k8s-psat-attestor.ts`), which verifies
 * a projected service-account token with the cluster's TokenReview API — authenticated, audience
 * `rampart-mesh`, a service account of the configured namespace, bound to a pod — and maps the
 * service account to a SPIFFE ID through a table built from rampart.yaml. It lives in the service,
 * not here, so that the SDK (which imports this package) does not carry the Kubernetes client.
 * An attestor must not throw for bad evidence: it answers `ok: false`.
 */
export interface JoinAttestor {
  /** The evidence type it understands. */
  readonly type: JoinEvidence['type'];
  attest(evidence: JoinEvidence): Promise<Attestation>;
}

/**
 * The attestor `rampart up` uses: one-time join tokens.
 *
 * @example
 * const attestor = joinTokenAttestor(tokens);
 * const attestation = await attestor.attest({ type: 'join_token', token });
 * if (attestation.ok) issue(attestation.spiffeId);
 */
export function joinTokenAttestor(tokens: JoinTokens): JoinAttestor {
  return {
    type: 'join_token',
    attest(evidence) {
      const spiffeId = evidence.type === 'join_token' ? tokens.redeem(evidence.token) : null;
      return Promise.resolve(
        spiffeId === null
          ? {
              ok: false,
              code: 'MESH_JOIN_TOKEN_INVALID',
              reason: 'MESH_JOIN_TOKEN_INVALID',
              detail: 'join token unknown, used or expired',
            }
          : { ok: true, spiffeId },
      );
    },
  };
}
