import { ClaimValidationError, PasetoError, PublicProtocol, type Claims, type JsonValue } from 'paseto';
import { VerifyFactory, type PublicKey } from 'paseto/v4/public';
import {
  CLOCK_SKEW_SECONDS,
  INTERNAL_TOKEN_ISSUER,
  MAX_ACT_DEPTH,
  MAX_SUBJECT_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOKEN_LIFETIME_SECONDS,
  TOKEN_PREFIX,
} from './internal-token-policy.ts';
import type { InternalActor } from './sign-internal-token.ts';

const v4 = new PublicProtocol(VerifyFactory);

/** The claims of a verified internal token, checked for type and size. */
export interface VerifiedInternalToken {
  readonly sub: string;
  readonly aud: string;
  readonly scope: string | undefined;
  readonly groups: readonly string[] | undefined;
  readonly amr: readonly string[] | undefined;
  readonly act: InternalActor | undefined;
  readonly expiresAtMs: number;
}

/** Why an internal token was refused. */
export type InternalTokenRefusal =
  /** Longer than `MAX_TOKEN_LENGTH`, or not a `v4.public.` token. */
  | 'malformed'
  /** No trusted key verifies it, or none is trusted. */
  | 'untrusted'
  /** Signed by a trusted key, but `iss`, `aud`, `exp`, `nbf`, `iat` or a required claim is wrong. */
  | 'claims'
  /** Lives longer than `MAX_TOKEN_LIFETIME_SECONDS` (from now, or from `iat`). */
  | 'lifetime'
  /** A claim of the wrong type or size (`sub`, `scope`, `groups`, `amr`, `act`). */
  | 'claim_type';

export type InternalTokenVerification =
  | { readonly ok: true; readonly token: VerifiedInternalToken }
  | {
      readonly ok: false;
      readonly reason: InternalTokenRefusal;
      /** For the log: what was wrong, never the token or a claim value. */
      readonly detail: string;
      readonly cause?: PasetoError;
    };

export interface VerifyInternalTokenOptions {
  /**
   * The trusted Ed25519 public keys: one normally, two while the signing key rotates or where two
   * signers are trusted (the mesh's token exchange takes the gateway's tokens and its own).
   */
  readonly publicKeys: readonly PublicKey[];
  /** The exact `aud` the token must carry: the service it was sent to. */
  readonly audience: string;
  readonly now: Date;
}

/**
 * Verifies an internal token: at most `MAX_TOKEN_LENGTH` characters, PASETO v4.public, signed by
 * one of `publicKeys` (v4.public names no key, so each is tried; only a signature failure moves on
 * to the next), `iss` = `rampart`, `aud` = `audience`, `sub` and `exp` required, 30 s clock skew,
 * a lifetime of at most 5 minutes, and well-typed `sub`, `scope`, `groups`, `amr` and `act`.
 * Never throws for a bad token: the refusal says why.
 *
 * @example
 * const verified = await verifyInternalToken(token, { publicKeys, audience: 'orders', now: new Date() });
 * if (!verified.ok) throw new RampartError('SDK_TOKEN_INVALID', { detail: verified.detail });
 */
export async function verifyInternalToken(
  token: string,
  options: VerifyInternalTokenOptions,
): Promise<InternalTokenVerification> {
  if (token.length > MAX_TOKEN_LENGTH) {
    return refused('malformed', `token longer than ${MAX_TOKEN_LENGTH} characters`);
  }
  if (!token.startsWith(TOKEN_PREFIX)) return refused('malformed', 'not a v4.public token');

  let claims: Claims | undefined;
  let last: PasetoError | undefined;
  for (const key of options.publicKeys) {
    try {
      ({ claims } = await v4.Verify(key, token, {
        audience: options.audience,
        issuer: INTERNAL_TOKEN_ISSUER,
        clockTolerance: CLOCK_SKEW_SECONDS,
        requiredClaims: ['sub', 'exp', 'aud', 'iss'],
        now: options.now,
      }));
      break;
    } catch (error) {
      if (!(error instanceof PasetoError)) throw error;
      // Signed by this key but with bad claims (expired, wrong audience): that is the answer.
      if (error instanceof ClaimValidationError) return refused('claims', describe(error), error);
      last = error;
    }
  }
  if (claims === undefined) {
    return last === undefined
      ? refused('untrusted', 'no internal token key is trusted')
      : refused('untrusted', describe(last), last);
  }
  return checkClaims(claims, options.now.getTime());
}

function checkClaims(claims: Claims, nowMs: number): InternalTokenVerification {
  const expiresAtMs = Date.parse(claims.exp ?? '');
  if (Number.isNaN(expiresAtMs)) return refused('claim_type', 'exp is not a date');
  const maxMs = (MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
  if (expiresAtMs - nowMs > maxMs) {
    return refused('lifetime', `exp is more than ${MAX_TOKEN_LIFETIME_SECONDS}s away`);
  }
  if (claims.iat !== undefined) {
    const issuedAtMs = Date.parse(claims.iat);
    if (Number.isNaN(issuedAtMs)) return refused('claim_type', 'iat is not a date');
    if (expiresAtMs - issuedAtMs > MAX_TOKEN_LIFETIME_SECONDS * 1000) {
      return refused('lifetime', `lifetime longer than ${MAX_TOKEN_LIFETIME_SECONDS}s`);
    }
  }
  const sub = claims.sub;
  if (sub === undefined || !isSubject(sub)) return refused('claim_type', 'sub is empty or too long');
  const scope = claims.scope;
  if (scope !== undefined && typeof scope !== 'string') return refused('claim_type', 'scope is not a string');
  const groups = stringList(claims.groups);
  const amr = stringList(claims.amr);
  if (groups === null || amr === null) return refused('claim_type', 'groups or amr is not a list of strings');
  const act = claims.act === undefined ? undefined : actorOf(claims.act, 0);
  if (act === null) return refused('claim_type', 'act is malformed or too deep');
  return {
    ok: true,
    token: { sub, aud: claims.aud ?? '', scope, groups, amr, act, expiresAtMs },
  };
}

/** The `act` claim as a chain; null when malformed or deeper than `MAX_ACT_DEPTH`. */
function actorOf(value: JsonValue, level: number): InternalActor | null {
  if (level >= MAX_ACT_DEPTH || !isJsonObject(value)) return null;
  const sub = value['sub'];
  if (typeof sub !== 'string' || !isSubject(sub)) return null;
  const nested = value['act'];
  if (nested === undefined) return { sub };
  const inner = actorOf(nested, level + 1);
  return inner === null ? null : { sub, act: inner };
}

function isJsonObject(value: JsonValue): value is { readonly [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSubject(value: string): boolean {
  return value.length > 0 && value.length <= MAX_SUBJECT_LENGTH;
}

function stringList(value: JsonValue | undefined): readonly string[] | undefined | null {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) return null;
  return [...value];
}

function describe(error: PasetoError): string {
  return `${error.code}: ${error.message}`;
}

function refused(
  reason: InternalTokenRefusal,
  detail: string,
  cause?: PasetoError,
): InternalTokenVerification {
  return cause === undefined ? { ok: false, reason, detail } : { ok: false, reason, detail, cause };
}
