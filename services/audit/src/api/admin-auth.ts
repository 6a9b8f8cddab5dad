import { createHash } from 'node:crypto';
import { RampartError, type ErrorCode } from '@rampart/errors';
import type { WorkloadCredentials } from '@rampart/mesh';
import { readAuthorization } from '@rampart/tokens';
import { createIdentityClient } from './identity-client.ts';

/** Identity's check of admin tokens (`services/identity/src/admin/admin-token-check.ts`). */
export const ADMIN_TOKEN_CHECK_PATH = '/internal/admin-token';
/** The realm of the audit API's challenges. */
export const AUDIT_REALM = 'realm="rampart-audit"';
/** How long identity's verdict on one token is reused. */
export const ADMIN_CHECK_TTL_MS = 10_000;
/** Longest token sent to identity (the admin API refuses longer ones itself). */
const MAX_TOKEN_LENGTH = 4096;
/** A compact JWS: three base64url parts. Anything else is refused without asking identity. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_ENTRIES = 10_000;
const PSEUDONYM = /^ps_[A-Za-z0-9_-]{22}$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REASON = /^[a-z]+(?:_[a-z]+)*$/;

/** The admin a request was authenticated as: pseudonymous, never a user id. */
export interface AdminCaller {
  /** `ps_…`, the subject as every security event writes it. */
  readonly subject: string;
  readonly clientId: string;
}

/**
 * A refused admin token: the RampartError the client sees (`code`, 401/403), the challenge, and why
 * (`deny`: identity's `admin.denied` reason, or the audit service's own pre-check), for `audit.denied`.
 */
export class AdminDenial extends RampartError {
  readonly deny: string;
  readonly subject: string | undefined;
  readonly challenge: string;
  constructor(code: ErrorCode, deny: string, challenge: string, subject?: string) {
    super(code, { detail: `admin token refused: ${deny}` });
    this.name = 'AdminDenial';
    this.deny = deny;
    this.subject = subject;
    this.challenge = challenge;
  }
}

export interface AdminAuthenticatorOptions {
  readonly trustDomain: string;
  /** Identity's port (`ports.identity`), at its address of `peerOrigin`. */
  readonly identityPort: number;
  /** The audit service's workload certificate: identity serves the check to it alone. */
  readonly credentials: () => WorkloadCredentials;
  readonly ttlMs?: number;
  readonly now?: () => number;
}

export interface AdminAuthenticator {
  /**
   * The admin behind the request's `Authorization` header, or an {@link AdminDenial}; a
   * `RampartError` `AUDIT_IDENTITY_UNAVAILABLE` when identity cannot be asked (fail closed).
   */
  authenticate(rawHeaders: readonly string[]): Promise<AdminCaller>;
  /** After a certificate renewal. */
  rotate(): void;
  close(): Promise<void>;
}

export type Verdict =
  { readonly ok: true; readonly caller: AdminCaller } | { readonly ok: false; readonly denial: AdminDenial };

interface Cached {
  readonly verdict: Verdict;
  readonly until: number;
}

/**
 * Authenticates the callers of the audit API with the token identity's admin API accepts, decided
 * by identity itself: the token goes over mTLS to identity's `POST /internal/admin-token`, which runs
 * the admin API's own `AdminTokenVerifier` (signature under identity's keys, issuer, the admin
 * audience, `typ`, expiry, an admin client, the `admin` scope, MFA in `amr`, and a user who exists,
 * is enabled and is an admin now). What is plainly no bearer JWS is refused here without asking.
 * A verdict is reused for at most {@link ADMIN_CHECK_TTL_MS} (never past the token's `exp`), keyed
 * by the SHA-256 of the token, and concurrent checks of one token share one request.
 *
 * @example
 * const auth = createAdminAuthenticator({ trustDomain, identityPort: ports.identity, credentials });
 * const admin = await auth.authenticate(request.raw.rawHeaders);
 */
export function createAdminAuthenticator(options: AdminAuthenticatorOptions): AdminAuthenticator {
  const ttlMs = options.ttlMs ?? ADMIN_CHECK_TTL_MS;
  const now = options.now ?? Date.now;
  const identity = createIdentityClient(options);
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<Verdict>>();

  async function ask(token: string): Promise<Verdict> {
    return verdictOf(await identity.post(ADMIN_TOKEN_CHECK_PATH, token));
  }

  return {
    async authenticate(rawHeaders) {
      const token = bearerOf(rawHeaders);
      const key = createHash('sha256').update(token).digest('base64url');
      const at = now();
      const hit = cache.get(key);
      let verdict: Verdict;
      if (hit !== undefined && hit.until > at) {
        verdict = hit.verdict;
      } else {
        let pending = inFlight.get(key);
        if (pending === undefined) {
          pending = ask(token).finally(() => inFlight.delete(key));
          inFlight.set(key, pending);
        }
        verdict = await pending;
        const until = Math.min(at + ttlMs, expiryOf(token) ?? at + ttlMs);
        if (cache.size >= MAX_ENTRIES) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
        cache.delete(key);
        cache.set(key, { verdict, until });
      }
      if (!verdict.ok) throw verdict.denial;
      return verdict.caller;
    },
    rotate: () => {
      identity.rotate();
    },
    close: () => identity.close(),
  };
}

/** The one Bearer token of the request, or a denial that needs no round trip. */
export function bearerOf(rawHeaders: readonly string[]): string {
  const parsed = readAuthorization(rawHeaders);
  if (!parsed.ok && (parsed.reason === 'missing' || parsed.reason === 'empty')) {
    throw new AdminDenial('AUDIT_TOKEN_MISSING', 'missing_token', `Bearer ${AUDIT_REALM}`);
  }
  if (!parsed.ok || parsed.scheme !== 'bearer') throw invalid('malformed_token');
  if (parsed.token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(parsed.token))
    throw invalid('malformed_token');
  return parsed.token;
}

function invalid(deny: string, subject?: string): AdminDenial {
  return new AdminDenial(
    'AUDIT_TOKEN_INVALID',
    deny,
    `Bearer ${AUDIT_REALM}, error="invalid_token"`,
    subject,
  );
}

/**
 * Identity's answer (`/internal/admin-token`, or a refusal of `/internal/subject-lookup`), read
 * strictly: anything unexpected is no verdict (503), never an admission.
 */
export function verdictOf(body: unknown): Verdict {
  if (typeof body !== 'object' || body === null) throw unexpected();
  const answer = body as Record<string, unknown>;
  const subject = answer['subject'];
  if (subject !== undefined && (typeof subject !== 'string' || !PSEUDONYM.test(subject))) throw unexpected();
  if (answer['active'] === true) {
    const clientId = answer['clientId'];
    if (typeof subject !== 'string' || typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) {
      throw unexpected();
    }
    return { ok: true, caller: { subject, clientId } };
  }
  const { error, deny } = answer;
  if (answer['active'] !== false || typeof deny !== 'string' || !REASON.test(deny)) throw unexpected();
  const who = typeof subject === 'string' ? subject : undefined;
  const denial = (code: ErrorCode, challenge: string): Verdict => ({
    ok: false,
    denial: new AdminDenial(code, deny, challenge, who),
  });
  switch (error) {
    case 'invalid_token':
      return { ok: false, denial: invalid(deny, who) };
    case 'insufficient_scope':
      return denial(
        'AUDIT_INSUFFICIENT_SCOPE',
        `Bearer ${AUDIT_REALM}, error="insufficient_scope", scope="admin"`,
      );
    case 'mfa_required':
      // RFC 9470: the client should send the user through a sign-in with a second factor.
      return denial('AUDIT_MFA_REQUIRED', `Bearer ${AUDIT_REALM}, error="insufficient_user_authentication"`);
    case 'access_denied':
      return denial(
        'AUDIT_ACCESS_DENIED',
        `Bearer ${AUDIT_REALM}, error="insufficient_scope", scope="admin"`,
      );
    default:
      throw unexpected();
  }
}

function unexpected(): RampartError {
  return new RampartError('AUDIT_IDENTITY_UNAVAILABLE', { detail: 'identity answered an unexpected body' });
}

/** The token's `exp` in ms (identity verified it before saying it is active), if readable. */
function expiryOf(token: string): number | undefined {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    const exp =
      typeof payload === 'object' && payload !== null ? (payload as { exp?: unknown }).exp : undefined;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
