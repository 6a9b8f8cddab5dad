import type { JoinTokens } from './join-tokens.ts';

/**
 * Evidence a workload presents at `POST /v1/join` to prove who it is before it has a certificate.
 * `join_token` is what `rampart up` uses; `k8s_psat` is the Kubernetes variant (a projected
 * service-account token with the mesh as its audience).
 */
export type JoinEvidence =
  | { readonly type: 'join_token'; readonly token: string }
  | { readonly type: 'k8s_psat'; readonly token: string };

/**
 * Turns join evidence into the SPIFFE ID the workload may receive, or null to refuse. An attestor
 * never trusts a name the workload claims: the ID comes from what the attestor itself verified.
 *
 * A Kubernetes attestor would verify the projected service-account token with the cluster's
 * TokenReview API (or its OIDC JWKS) — audience = the mesh, not expired, pod still running — and
 * map `system:serviceaccount:<namespace>:<sa>` to `spiffe://<td>/service/<sa>` through a table
 * built from rampart.yaml; the token is reusable while valid, so it is bound to the pod's UID.
 */
export interface JoinAttestor {
  /** The evidence type it understands. */
  readonly type: JoinEvidence['type'];
  attest(evidence: JoinEvidence): Promise<string | null>;
}

/**
 * The attestor `rampart up` uses: one-time join tokens.
 *
 * @example
 * const attestor = joinTokenAttestor(tokens);
 * const spiffeId = await attestor.attest({ type: 'join_token', token });
 */
export function joinTokenAttestor(tokens: JoinTokens): JoinAttestor {
  return {
    type: 'join_token',
    attest: (evidence) =>
      Promise.resolve(evidence.type === 'join_token' ? tokens.redeem(evidence.token) : null),
  };
}
