import type { IncomingMessage, ServerResponse } from 'node:http';
import { normalizeUsername, PSEUDONYM_PATTERN, USERNAME_PATTERN } from '../accounts/index.ts';
import type { SubjectPseudonyms } from '../accounts/index.ts';
import type { IdentityContext } from '../app.ts';
import { sendJson } from '../http/router.ts';
import { AdminError } from './admin-error.ts';
import type { AdminTokenCheckAnswer } from './admin-token-check.ts';
import { AdminTokenVerifier } from './authenticate.ts';
import { readJsonBody } from './read-json-body.ts';

/**
 * Where the audit service re-identifies a subject for an admin: which user a pseudonym `ps_…`
 * stands for, or which pseudonym a user's events carry. Like `/internal/admin-token` it lives on
 * identity's mTLS listener outside the issuer's mount, served to the audit service's SPIFFE ID
 * alone (`http/servers.ts`).
 */
export const SUBJECT_LOOKUP_PATH = '/internal/subject-lookup';

/** The body is one small JSON object. */
const MAX_LOOKUP_BODY_BYTES = 1024;
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What is asked: exactly one of these. */
export type SubjectLookupQuery =
  { readonly pseudonym: string } | { readonly username: string } | { readonly userId: string };

/**
 * The answer. A refused token is the admin-token check's refusal, word for word. Otherwise `admin`
 * is the asking admin's pseudonym (what the audit service records the lookup under) and `user`
 * the user found — their id, username and pseudonym — or null.
 */
export type SubjectLookupAnswer =
  | Extract<AdminTokenCheckAnswer, { active: false }>
  | {
      readonly active: true;
      readonly admin: string;
      readonly clientId: string;
      readonly user: { readonly id: string; readonly username: string; readonly subject: string } | null;
    };

export interface SubjectLookupOptions {
  readonly identity: IdentityContext;
  /** The pseudonym index, built on the deployment's pseudonym key (identity's own copy). */
  readonly pseudonyms: SubjectPseudonyms;
}

/**
 * Serves `POST /internal/subject-lookup`. The audit service forwards the admin's own
 * `Authorization` header, and identity decides again — with the admin API's `AdminTokenVerifier`,
 * uncached — that it is an admin token now (admin client, `admin` scope, MFA, an enabled admin):
 * the audit service's mTLS identity alone re-identifies nobody, and an admin disabled a second ago
 * is refused here even while the audit service's 10 s verdict cache still admits them. The body is
 * `{ "pseudonym": "ps_…" }`, `{ "username": "…" }` or `{ "userId": "…" }`, nothing else.
 *
 * Each lookup is a `subject.resolved` security event of identity's own, with the admin as subject
 * (outcome failure when nobody matched): a second record, beside the audit service's
 * `audit.reidentified`, that the audit service does not write. What was asked and what was found
 * are never in an event or a log line.
 *
 * @example
 * if (peer === auditId && req.url === SUBJECT_LOOKUP_PATH) void lookup(req, res);
 */
export function subjectLookup(
  options: SubjectLookupOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { identity, pseudonyms } = options;
  const verifier = new AdminTokenVerifier(identity);
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    let admin;
    try {
      admin = await verifier.authenticate(req.rawHeaders);
    } catch (error) {
      if (!(error instanceof AdminError) || error.deny === undefined) {
        identity.log.error({ err: error }, 'identity: subject lookup failed');
        sendJson(res, 503, { error: 'temporarily_unavailable' });
        return;
      }
      res.setHeader('connection', 'close');
      sendJson(res, 200, {
        active: false,
        status: error.status,
        error: error.code,
        deny: error.deny,
        ...(error.subject === undefined ? {} : { subject: pseudonyms.pseudonymOf(error.subject) }),
        ...(error.wwwAuthenticate === undefined ? {} : { wwwAuthenticate: error.wwwAuthenticate }),
      } satisfies SubjectLookupAnswer);
      return;
    }
    let query: SubjectLookupQuery;
    try {
      query = lookupQuery(await readJsonBody(req, MAX_LOOKUP_BODY_BYTES));
    } catch (error) {
      res.setHeader('connection', 'close');
      sendJson(res, error instanceof AdminError ? error.status : 400, { error: 'invalid_request' });
      return;
    }
    try {
      const user = await resolve(identity, pseudonyms, query);
      identity.events.emit({
        event: 'subject.resolved',
        outcome: user === undefined ? 'failure' : 'success',
        reason: 'pseudonym' in query ? 'by_pseudonym' : 'username' in query ? 'by_username' : 'by_user_id',
        subject: admin.userId,
        clientId: admin.clientId,
      });
      sendJson(res, 200, {
        active: true,
        admin: pseudonyms.pseudonymOf(admin.userId),
        clientId: admin.clientId,
        user:
          user === undefined
            ? null
            : { id: user.id, username: user.username, subject: pseudonyms.pseudonymOf(user.id) },
      } satisfies SubjectLookupAnswer);
    } catch (error) {
      identity.log.error({ err: error }, 'identity: subject lookup failed');
      sendJson(res, 503, { error: 'temporarily_unavailable' });
    }
  };
}

/** The body, read strictly: one known key with a well-formed value, or a 400. */
function lookupQuery(body: unknown): SubjectLookupQuery {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TypeError('no object');
  const entries: [string, unknown][] = Object.entries(body);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined) throw new TypeError('not one key');
  const [key, value] = entry;
  if (typeof value !== 'string') throw new TypeError('not a string');
  if (key === 'pseudonym' && PSEUDONYM_PATTERN.test(value)) return { pseudonym: value };
  if (key === 'userId' && USER_ID.test(value)) return { userId: value };
  if (key === 'username' && value.length <= 256 && USERNAME_PATTERN.test(normalizeUsername(value))) {
    return { username: value };
  }
  throw new TypeError('not a lookup');
}

async function resolve(
  identity: IdentityContext,
  pseudonyms: SubjectPseudonyms,
  query: SubjectLookupQuery,
): Promise<{ readonly id: string; readonly username: string } | undefined> {
  if ('pseudonym' in query) {
    const userId = await pseudonyms.userIdOf(query.pseudonym);
    return userId === undefined ? undefined : identity.accounts.findById(userId);
  }
  if ('userId' in query) return identity.accounts.findById(query.userId);
  return identity.accounts.findByUsername(query.username);
}
