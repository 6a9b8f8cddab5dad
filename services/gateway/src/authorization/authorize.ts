import type { PolicyConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import type { CedarPolicySet, CedarRequest } from './cedar.ts';

/** Who is calling, as authentication established it from a verified access token. */
export interface AccessPrincipal {
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly groups: readonly string[];
  /** Authentication methods references (RFC 8176). */
  readonly amr: readonly string[];
  readonly acr: string | undefined;
}

/**
 * `amr` values (RFC 8176 §2) that show a second factor or a phishing-resistant key: one-time
 * password, hardware or software key, explicit multi-factor, fingerprint, face.
 */
export const MFA_AMR_VALUES: readonly string[] = Object.freeze(['otp', 'hwk', 'swk', 'mfa', 'fpt', 'face']);

/** The route's compiled Cedar policy set and what it is asked about (see `compileCedarPolicySet`). */
export interface CedarCheck {
  readonly policySet: CedarPolicySet;
  readonly request: Omit<CedarRequest, 'mfa'>;
}

/**
 * Applies a route's policy, denying by default. Returns when the request may proceed.
 *
 * - `public: true` with no other requirement: allowed, with or without a principal.
 * - Otherwise a principal is required (`GW_TOKEN_MISSING`); then every scope in `scopes`
 *   (`GW_FORBIDDEN`), at least one of `groups` (`GW_FORBIDDEN`; an empty list admits no one),
 *   an MFA `amr` when `mfa: true` (`GW_MFA_REQUIRED`), and last the `cedar` policy set, which
 *   must permit (`GW_FORBIDDEN`; without a compiled set to evaluate it denies — fail closed).
 * - A policy with none of these admits any principal: "any valid token".
 *
 * @throws RampartError as above; `detail` (for the audit trail) says which requirement failed.
 * @example
 * authorize(matched.policy, principal); // principal: null on a request without a token
 * authorize(matched.policy, principal, { policySet: matched.cedar, request: { method, template, service, params, ip } });
 */
export function authorize(policy: PolicyConfig, principal: AccessPrincipal | null, cedar?: CedarCheck): void {
  const scopes = policy.scopes ?? [];
  const requiresMore =
    scopes.length > 0 || policy.groups !== undefined || policy.mfa === true || policy.cedar !== undefined;
  // `public` only waives the token when nothing else is asked for: mixed with requirements, it
  // cannot mean "anyone", so the requirements win (fail closed).
  if (policy.public === true && !requiresMore) return;
  if (principal === null) {
    throw new RampartError('GW_TOKEN_MISSING', { detail: 'the route policy requires an access token' });
  }
  const missing = scopes.filter((scope) => !principal.scopes.includes(scope));
  if (missing.length > 0) {
    throw new RampartError('GW_FORBIDDEN', { detail: `missing scopes: ${missing.join(' ')}` });
  }
  if (policy.groups !== undefined && !policy.groups.some((group) => principal.groups.includes(group))) {
    throw new RampartError('GW_FORBIDDEN', {
      detail: `in none of the groups: ${policy.groups.length === 0 ? '(none listed)' : policy.groups.join(', ')}`,
    });
  }
  const mfa = principal.amr.some((method) => MFA_AMR_VALUES.includes(method));
  if (policy.mfa === true && !mfa) {
    throw new RampartError('GW_MFA_REQUIRED', {
      detail: `no multi-factor amr (${MFA_AMR_VALUES.join(', ')}) in the token`,
    });
  }
  if (policy.cedar !== undefined) {
    if (cedar === undefined) {
      throw new RampartError('GW_FORBIDDEN', {
        detail: 'the cedar policy set was not compiled for this route',
      });
    }
    const decision = cedar.policySet.evaluate(principal, { ...cedar.request, mfa });
    if (!decision.allowed) throw new RampartError('GW_FORBIDDEN', { detail: decision.detail });
  }
}
