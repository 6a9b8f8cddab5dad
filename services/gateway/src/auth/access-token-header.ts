import type { ProtectedHeaderParameters } from 'jose';
import { RampartError } from '@rampart/errors';

/** Header parameters that point at or carry a key: never trusted, so a token using one is refused (RFC 8725 §3.10). */
export const KEY_CARRYING_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

const MAX_KID_LENGTH = 256;

/** Normalizes a `typ` value the way RFC 7515 §4.1.9 compares media types. */
export function normalizeType(value: string): string {
  const lower = value.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function invalid(detail: string): RampartError {
  return new RampartError('GW_TOKEN_INVALID', { detail });
}

export interface HeaderPolicy {
  readonly algorithms: ReadonlySet<string>;
  /** Normalized (see {@link normalizeType}). */
  readonly requiredType: string;
}

/**
 * Applies the header rules before any key is looked up, so each refusal has a precise reason.
 * jose enforces the algorithm list, `typ` and `crit` again during `jwtVerify`.
 */
export function checkProtectedHeader(header: ProtectedHeaderParameters, policy: HeaderPolicy): string {
  const { alg, typ, kid } = header;
  if (typeof alg !== 'string') throw invalid('alg header missing');
  if (alg.toLowerCase() === 'none') throw invalid('alg none: unsigned tokens are refused');
  if (!policy.algorithms.has(alg)) throw invalid(`alg ${JSON.stringify(alg.slice(0, 32))} not allowed`);
  for (const name of KEY_CARRYING_HEADERS) {
    if (Object.hasOwn(header, name))
      throw invalid(`${name} header present: keys come only from the issuer key set`);
  }
  if (Object.hasOwn(header, 'crit')) {
    const crit: unknown = header.crit;
    const names = Array.isArray(crit) ? crit.map(String).join(', ').slice(0, 128) : typeof crit;
    throw invalid(`crit header names unsupported extension(s): ${names}`);
  }
  if (typeof typ !== 'string') throw invalid('typ header missing: access tokens must be typed at+jwt');
  if (normalizeType(typ) !== policy.requiredType) {
    throw invalid(`typ ${JSON.stringify(typ.slice(0, 64))} is not ${policy.requiredType}`);
  }
  if (typeof kid !== 'string' || kid.length === 0) throw invalid('kid header missing');
  if (kid.length > MAX_KID_LENGTH) throw invalid(`kid header longer than ${MAX_KID_LENGTH} characters`);
  return alg;
}
