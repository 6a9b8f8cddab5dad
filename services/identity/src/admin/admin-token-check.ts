import type { IncomingMessage, ServerResponse } from 'node:http';
import type { IdentityContext } from '../app.ts';
import { sendJson } from '../http/router.ts';
import { AdminError } from './admin-error.ts';
import { AdminTokenVerifier } from './authenticate.ts';

/**
 * Where the audit service asks whether a bearer token is an admin token now. Like the gateway's
 * introspection it lives outside the issuer's mount, on identity's mTLS listener, and only the
 * audit service's SPIFFE ID (`spiffe://<td>/rampart/audit`) is served it (`http/servers.ts`): the
 * public `/auth` mount can never reach it.
 */
export const ADMIN_TOKEN_CHECK_PATH = '/internal/admin-token';

/**
 * The answer: the admin API's own verdict on the token (`AdminTokenVerifier`, the one policy), with
 * the subject as its pseudonym only — the audit service never learns a user id.
 */
export type AdminTokenCheckAnswer =
  | { readonly active: true; readonly subject: string; readonly clientId: string }
  | {
      readonly active: false;
      readonly status: number;
      /** The admin API's error code (`invalid_token`, `insufficient_scope`, `mfa_required`, `access_denied`). */
      readonly error: string;
      /** Why, as the admin API's `admin.denied` reason (`not_admin`, `account_disabled`, …). */
      readonly deny: string;
      readonly subject?: string;
      /** The admin API's RFC 6750 challenge, when it has one. */
      readonly wwwAuthenticate?: string;
    };

export interface AdminTokenCheckOptions {
  readonly identity: IdentityContext;
  /** The deployment's pseudonym of a subject (`ps_…`), as identity's security events write it. */
  readonly pseudonymize: (subject: string) => string;
}

/**
 * Serves `POST /internal/admin-token`: the caller sends the admin's `Authorization` header as it
 * received it, and identity runs exactly what its admin API runs on it — the shared access-token
 * verification under the admin policy, an admin client, the `admin` scope, MFA in `amr`, and a user
 * who exists, is enabled and has the `admin` role now. Nothing is audited here: the caller records
 * its own refusal (`audit.denied`). A store that fails is a 503, never a verdict.
 *
 * @example
 * if (req.url === ADMIN_TOKEN_CHECK_PATH) void serveAdminTokenCheck(check, req, res);
 */
export function adminTokenCheck(
  options: AdminTokenCheckOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const verifier = new AdminTokenVerifier(options.identity);
  const { pseudonymize } = options;
  return async (req, res) => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      sendJson(res, 405, { error: 'method_not_allowed' });
      return;
    }
    // No body is read: whatever a caller sent is dropped with the connection.
    if (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') {
      res.setHeader('connection', 'close');
      sendJson(res, 400, { error: 'invalid_request' });
      return;
    }
    let answer: AdminTokenCheckAnswer;
    try {
      const admin = await verifier.authenticate(req.rawHeaders);
      answer = { active: true, subject: pseudonymize(admin.userId), clientId: admin.clientId };
    } catch (error) {
      if (!(error instanceof AdminError) || error.deny === undefined) {
        options.identity.log.error({ err: error }, 'identity: admin token check failed');
        sendJson(res, 503, { error: 'temporarily_unavailable' });
        return;
      }
      answer = {
        active: false,
        status: error.status,
        error: error.code,
        deny: error.deny,
        ...(error.subject === undefined ? {} : { subject: pseudonymize(error.subject) }),
        ...(error.wwwAuthenticate === undefined ? {} : { wwwAuthenticate: error.wwwAuthenticate }),
      };
    }
    sendJson(res, 200, answer);
  };
}
