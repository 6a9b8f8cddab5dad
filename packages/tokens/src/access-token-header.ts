import type { ProtectedHeaderParameters } from 'jose';
import { AccessTokenError, type AccessTokenRefusal } from './access-token-error.ts';

/** Header parameters that point at or carry a key: never trusted, so a token using one is refused (RFC 8725 §3.10). */
export const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/** Longest `kid` looked up in a key set. */
export const MAX_KID_LENGTH = 256;

/** Normalizes a `typ` value the way RFC 7515 §4.1.9 compares media types. */
export function normalizeType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

export interface HeaderPolicy {
  allowsAlgorithm(alg: string): boolean;
  /** Normalized (see {@link normalizeType}). */
  readonly requiredType: string;
}

function refuse(reason: AccessTokenRefusal, detail: string): never {
  throw new AccessTokenError(reason, detail);
}

/**
 * Applies the header rules before any key is looked up, so each refusal has a precise reason.
 * jose enforces the algorithm list, `typ` and `crit` again during `jwtVerify`.
 */
export function checkProtectedHeader(header: ProtectedHeaderParameters, policy: HeaderPolicy): void {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string') refuse('malformed_token', 'alg header missing');
  if (alg.toLowerCase() === 'none') refuse('algorithm_not_allowed', 'alg none: unsigned tokens are refused');
  if (!policy.allowsAlgorithm(alg))
    refuse('algorithm_not_allowed', `alg ${JSON.stringify(alg.slice(0, 32))} not allowed`);
  for (const name of KEY_CARRYING_HEADERS) {
    if (Object.hasOwn(header, name))
      refuse('key_in_header', `${name} header present: keys come only from the issuer key set`);
  }
  if (Object.hasOwn(header, 'crit')) {
    const crit: unknown = header.crit;
    const names = Array.isArray(crit) ? crit.map(String).join(', ').slice(0, 128) : typeof crit;
    refuse('unsupported_critical', `crit header names unsupported extension(s): ${names}`);
  }
  if (typeof typ !== 'string')
    refuse('wrong_token_type', `typ header missing: access tokens must be typed ${policy.requiredType}`);
  if (normalizeType(typ) !== policy.requiredType) {
    refuse('wrong_token_type', `typ ${JSON.stringify(typ.slice(0, 64))} is not ${policy.requiredType}`);
  }
  if (typeof kid !== 'string' || kid.length === 0) refuse('malformed_token', 'kid header missing');
  if (kid.length > MAX_KID_LENGTH)
    refuse('malformed_token', `kid header longer than ${MAX_KID_LENGTH} characters`);
}
