import { RampartError } from '@rampart/errors';
import type { WorkloadCredentials } from '@rampart/mesh';
import { bearerOf, verdictOf } from './admin-auth.ts';
import { createIdentityClient } from './identity-client.ts';

/** Identity's re-identification (`services/identity/src/admin/subject-lookup.ts`). */
export const SUBJECT_LOOKUP_PATH = '/internal/subject-lookup';

const PSEUDONYM = /^ps_[A-Za-z0-9_-]{22}$/;
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,127}$/;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** What an admin asks: which user a pseudonym is, or which pseudonym a user's events carry. */
export type SubjectQuery =
  { readonly pseudonym: string } | { readonly username: string } | { readonly userId: string };

/** A user as identity names them, with the pseudonym their events carry. */
export interface ResolvedUser {
  readonly id: string;
  readonly username: string;
  readonly subject: string;
}

/** Identity's answer to one lookup, for the admin identity checked (again) for it. */
export interface SubjectResolution {
  /** The asking admin's pseudonym, as identity verified the token just now. */
  readonly admin: string;
  readonly clientId: string;
  /** Undefined: nobody matches. */
  readonly user: ResolvedUser | undefined;
}

export interface SubjectResolverOptions {
  readonly trustDomain: string;
  /** Identity's port (`ports.identity`), at its address of `peerOrigin`. */
  readonly identityPort: number;
  /** The audit service's workload certificate: identity serves the lookup to it alone. */
  readonly credentials: () => WorkloadCredentials;
}

export interface SubjectResolver {
  /**
   * Asks identity, forwarding the admin's own bearer token, which identity verifies again before it
   * looks anything up. A refused token is an `AdminDenial`; identity unreachable or answering
   * anything unexpected is `AUDIT_IDENTITY_UNAVAILABLE` (fail closed).
   */
  resolve(rawHeaders: readonly string[], query: SubjectQuery): Promise<SubjectResolution>;
  /** After a certificate renewal. */
  rotate(): void;
  close(): Promise<void>;
}

/**
 * The audit service's side of re-identification. It holds no pseudonym key and no user list:
 * identity, which has both, answers one lookup at a time over mTLS (its certificate must be
 * `spiffe://<td>/rampart/identity`), and only for an admin token it accepts at that moment. The
 * answer is kept in memory for the one response it is for — never cached, stored or logged.
 *
 * @example
 * const resolver = createSubjectResolver({ trustDomain, identityPort: ports.identity, credentials });
 * const { user } = await resolver.resolve(request.raw.rawHeaders, { pseudonym: 'ps_…' });
 */
export function createSubjectResolver(options: SubjectResolverOptions): SubjectResolver {
  const identity = createIdentityClient(options);
  return {
    async resolve(rawHeaders, query) {
      return resolutionOf(await identity.post(SUBJECT_LOOKUP_PATH, bearerOf(rawHeaders), query));
    },
    rotate: () => {
      identity.rotate();
    },
    close: () => identity.close(),
  };
}

/** Identity's answer, read strictly: a refusal throws its denial; anything unexpected is a 503. */
function resolutionOf(body: unknown): SubjectResolution {
  if (typeof body !== 'object' || body === null) throw unexpected();
  const answer = body as Record<string, unknown>;
  if (answer['active'] !== true) {
    const verdict = verdictOf(body);
    // An `active: false` answer is always a refusal; anything else is not identity speaking.
    if (verdict.ok) throw unexpected();
    throw verdict.denial;
  }
  const { admin, clientId, user } = answer;
  if (typeof admin !== 'string' || !PSEUDONYM.test(admin)) throw unexpected();
  if (typeof clientId !== 'string' || !CLIENT_ID.test(clientId)) throw unexpected();
  if (user === null) return { admin, clientId, user: undefined };
  if (typeof user !== 'object') throw unexpected();
  const { id, username, subject } = user as Record<string, unknown>;
  if (
    typeof id !== 'string' ||
    !USER_ID.test(id) ||
    typeof username !== 'string' ||
    !USERNAME.test(username) ||
    typeof subject !== 'string' ||
    !PSEUDONYM.test(subject)
  ) {
    throw unexpected();
  }
  return { admin, clientId, user: { id, username, subject } };
}

function unexpected(): RampartError {
  return new RampartError('AUDIT_IDENTITY_UNAVAILABLE', { detail: 'identity answered an unexpected body' });
}
