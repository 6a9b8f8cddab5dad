import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { RampartError } from '@rampart/errors';
import type { Store } from '@rampart/sdk';
import { searchEvents } from '../query/index.ts';
import type { ReadContext } from './admin-api.ts';
import { BadQuery, decodeCursor, encodeCursor, filterOf, limitOf } from './query-params.ts';
import type { ResolvedUser, SubjectQuery, SubjectResolver } from './subject-resolver.ts';

/**
 * Why an admin re-identifies someone: one of these codes, required (`reason`), recorded as the
 * `audit.reidentified` event's reason. A closed list and not free text, because the trail keeps
 * no prose — a sentence typed under pressure is where a name or an e-mail address would end up.
 */
export const JUSTIFICATIONS = [
  'incident_response',
  'abuse_report',
  'fraud_investigation',
  'legal_request',
  'data_subject_request',
  'support_case',
] as const;
export type Justification = (typeof JUSTIFICATIONS)[number];

/**
 * A case or ticket reference (`ticket`, optional): letters, then digits, with at most one `-`, `#`
 * or `:` between — `INC-1234`, `INC0012345`, `SEC#42`, `case:7`. No e-mail address, name or
 * sentence fits.
 */
export const TICKET = /^[A-Za-z][A-Za-z0-9]{0,15}[-#:]?[0-9]{1,12}$/;

/** Re-identifications one admin may make: 30 per 15 minutes (per audit service process). */
export const REIDENTIFY_LIMIT = { points: 30, durationSeconds: 15 * 60 } as const;

const PSEUDONYM = /^ps_[A-Za-z0-9_-]{22}$/;
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,127}$/;

/** The parameters a re-identification adds to an operation. */
export const REIDENTIFY_PARAMS = ['reason', 'ticket'] as const;

/** A lookup that found nobody: 404, recorded as `audit.denied` (with the pseudonym asked, if any). */
export class NobodyFound extends RampartError {
  readonly deny: 'unknown_subject' | 'unknown_user';
  readonly target: string | undefined;
  constructor(target?: string) {
    super(target === undefined ? 'AUDIT_UNKNOWN_USER' : 'AUDIT_UNKNOWN_SUBJECT', {
      detail: target === undefined ? 'no user by that name or id' : 'no user has this pseudonym',
    });
    this.name = 'NobodyFound';
    this.deny = target === undefined ? 'unknown_user' : 'unknown_subject';
    this.target = target;
  }
}

/** Over the per-admin limit: 429 with `Retry-After`, recorded as `audit.denied` (`rate_limited`). */
export class ReidentifyLimited extends RampartError {
  readonly deny = 'rate_limited';
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('AUDIT_REIDENTIFY_LIMITED', { detail: `retry after ${retryAfterSeconds} s` });
    this.name = 'ReidentifyLimited';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface Reidentifier {
  /** `GET /audit/v1/subjects/{pseudonym}`: who a pseudonym is. */
  reveal(context: ReadContext, pseudonym: string): Promise<{ subject: string; user: ResolvedUser }>;
  /** `GET /audit/v1/events?user=…|userId=…`: one page of a user's events, and who they are. */
  eventsOf(
    context: ReadContext,
    store: Store,
  ): Promise<{ user: ResolvedUser; events: Record<string, unknown>[]; next: string | null }>;
}

/**
 * Re-identification for the admin API. Each lookup, in order: the justification must be given
 * (`reason`, one of {@link JUSTIFICATIONS}; `ticket` optional); the admin must be under the limit
 * ({@link REIDENTIFY_LIMIT}); identity resolves it, checking the admin's token again itself; the
 * lookup is recorded as `audit.reidentified` — the admin's pseudonym, the pseudonym looked up, the
 * justification and ticket — and committed; only then is the answer (or the search) made. Nobody
 * found is a 404 recorded as `audit.denied`. The user's id and username are in the answer alone.
 *
 * @example
 * const reidentify = createReidentifier({ resolver });
 * const { user } = await reidentify.reveal(context, 'ps_…');
 */
export function createReidentifier(options: {
  readonly resolver: SubjectResolver;
  readonly limit?: { readonly points: number; readonly durationSeconds: number };
}): Reidentifier {
  const limit = options.limit ?? REIDENTIFY_LIMIT;
  const limiter = new RateLimiterMemory({ points: limit.points, duration: limit.durationSeconds });

  /** Checks the justification and the limit, asks identity, records the lookup; then the user. */
  async function lookUp(context: ReadContext, query: SubjectQuery): Promise<ResolvedUser> {
    const { reason, ticket } = justificationOf(context.query);
    try {
      await limiter.consume(context.admin.subject);
    } catch (error) {
      if (error instanceof RateLimiterRes) throw new ReidentifyLimited(Math.ceil(error.msBeforeNext / 1000));
      throw error;
    }
    const { user } = await options.resolver.resolve(context.request.raw.rawHeaders, query);
    if (user === undefined) throw new NobodyFound('pseudonym' in query ? query.pseudonym : undefined);
    await context.recordReidentified({ target: user.subject, justification: reason, ticket });
    return user;
  }

  return {
    async reveal(context, pseudonym) {
      if (!PSEUDONYM.test(pseudonym)) {
        throw new BadQuery('pseudonym', 'must be a pseudonym: ps_ and 22 base64url characters');
      }
      const user = await lookUp(context, { pseudonym });
      return { subject: pseudonym, user };
    },
    async eventsOf(context, store) {
      const { query } = context;
      const username = query.get('user');
      const userId = query.get('userId');
      if (query.has('subject')) throw new BadQuery('subject', 'cannot be given with user or userId');
      if (username !== undefined && userId !== undefined) {
        throw new BadQuery('userId', 'cannot be given with user');
      }
      let lookup: SubjectQuery;
      if (userId !== undefined) {
        if (!USER_ID.test(userId)) throw new BadQuery('userId', 'must be a user id (a UUID, lower case)');
        lookup = { userId };
      } else {
        const name = (username ?? '').normalize('NFKC').toLowerCase();
        if (!USERNAME.test(name)) {
          throw new BadQuery('user', 'must be a username: 1 to 128 letters, digits, ".", "_", "@" or "-"');
        }
        lookup = { username: name };
      }
      // Refuse a bad filter before anything is looked up or recorded.
      const filter = filterOf(query);
      const limitValue = limitOf(query, 50, 500);
      const before = decodeCursor(query.get('cursor'));
      const user = await lookUp(context, lookup);
      const page = await searchEvents(
        store,
        { ...filter, subject: user.subject },
        { limit: limitValue, ...(before === undefined ? {} : { before }) },
      );
      const next = page.next !== undefined && 'before' in page.next ? encodeCursor(page.next.before) : null;
      return { user, events: page.events.map((hit) => ({ seq: hit.seq, ...hit.event })), next };
    },
  };
}

/** `reason` (required, one of {@link JUSTIFICATIONS}) and `ticket` (optional, {@link TICKET}). */
export function justificationOf(query: ReadonlyMap<string, string>): {
  reason: Justification;
  ticket: string | undefined;
} {
  const reason = query.get('reason');
  if (reason === undefined || !(JUSTIFICATIONS as readonly string[]).includes(reason)) {
    throw new BadQuery('reason', `is required to re-identify anyone: one of ${JUSTIFICATIONS.join(', ')}`);
  }
  const ticket = query.get('ticket');
  if (ticket !== undefined && !TICKET.test(ticket)) {
    throw new BadQuery('ticket', 'must be a case reference such as INC-1234 (letters, then digits)');
  }
  return { reason: reason as Justification, ticket };
}
