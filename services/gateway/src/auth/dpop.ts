import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { RampartError } from '@rampart/errors';
import type { ProofReplayCache } from './proof-replay.ts';

/** Asymmetric algorithms a DPoP proof may use (RFC 9449 §4.2: never `none`, never a MAC). */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'Ed25519', 'PS256'] as const;
/** A proof is a small JWT; anything larger is refused before it is parsed. */
const MAX_PROOF_BYTES = 4096;
/** How far a proof's `iat` may be from now, either way (RFC 9449 §11.1: a short window). */
export const PROOF_WINDOW_SECONDS = 60;

export interface DpopRequest {
  /** The `DPoP` header: exactly one proof. */
  readonly proof: string | undefined;
  readonly method: string;
  /** The request's URL without query or fragment, as the client addressed it (`https://host/path`). */
  readonly url: string;
  /** The access token presented with the `DPoP` scheme. */
  readonly accessToken: string;
  /** `cnf.jkt` of the verified access token. */
  readonly jkt: string;
}

function invalid(detail: string): RampartError {
  return new RampartError('GW_TOKEN_INVALID', { detail: `DPoP: ${detail}` });
}

/**
 * Checks a DPoP proof for a request carrying a DPoP-bound access token (RFC 9449 §4.3, §7.1): a
 * `dpop+jwt` signed with an allowed asymmetric algorithm by the public key in its own `jwk` header
 * (never a private key), whose thumbprint is the token's `cnf.jkt`; `htm` and `htu` name this very
 * request; `iat` within a minute; `ath` the hash of this access token; `jti` never seen before.
 * Throws `GW_TOKEN_INVALID` with the precise reason (for the audit trail only).
 *
 * @example
 * await verifyDpopProof({ proof, method: 'GET', url: 'https://127.0.0.1:8443/orders', accessToken, jkt }, replay);
 */
export async function verifyDpopProof(
  request: DpopRequest,
  replay: ProofReplayCache,
  now: () => number = Date.now,
): Promise<void> {
  const { proof } = request;
  if (proof === undefined || proof === '') throw invalid('no proof for a bound token');
  if (proof.length > MAX_PROOF_BYTES) throw invalid('proof too large');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('proof is not a JWS');
  }
  const jwk = header.jwk as JWK | undefined;
  if (jwk === undefined || typeof jwk !== 'object') throw invalid('no jwk header');
  if ('d' in jwk || 'p' in jwk || 'k' in jwk) throw invalid('jwk header holds a private or symmetric key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...DPOP_ALGORITHMS],
    }));
  } catch {
    throw invalid('proof signature, type or algorithm refused');
  }
  if ((await calculateJwkThumbprint(jwk)) !== request.jkt)
    throw invalid('proof key is not the key the token is bound to');
  if (payload['htm'] !== request.method) throw invalid('htm does not match the request method');
  if (typeof payload['htu'] !== 'string' || !sameTarget(payload['htu'], request.url)) {
    throw invalid('htu does not match the request URL');
  }
  const nowSeconds = Math.floor(now() / 1000);
  const iat = payload['iat'];
  if (typeof iat !== 'number' || Math.abs(iat - nowSeconds) > PROOF_WINDOW_SECONDS) {
    throw invalid('iat outside the accepted window');
  }
  const ath = createHash('sha256').update(request.accessToken, 'ascii').digest('base64url');
  if (payload['ath'] !== ath) throw invalid('ath is not the hash of this access token');
  const jti = payload['jti'];
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw invalid('jti missing');
  let first: boolean;
  try {
    first = await replay.remember(`${request.jkt}:${jti}`, nowSeconds);
  } catch (error) {
    // A shared replay store that cannot answer: refuse (a proof never gets a second chance).
    throw new RampartError('GW_UPSTREAM_UNAVAILABLE', {
      detail: 'DPoP replay store unavailable',
      cause: error,
    });
  }
  if (!first) throw invalid('proof replayed');
}

/** `htu` compared as RFC 9449 §4.3 asks: scheme, host and path, without query and fragment. */
function sameTarget(htu: string, url: string): boolean {
  try {
    const a = new URL(htu);
    const b = new URL(url);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}
