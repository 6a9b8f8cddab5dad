import type { IdentityContext } from '../app.ts';
import { sendJson, type PathHandler } from '../http/router.ts';
import { clientIp } from '../pages/client-ip.ts';
import { CSRF_FIELD, CSRF_HEADER, csrfAccepted, issueCsrfToken } from '../pages/csrf.ts';
import { html, page } from '../pages/layout.ts';
import { field, readForm, readJson } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { renderAccountPage } from './account-page.ts';
import { changePassword } from './password-change.ts';
import { NOTICES, type AccountRequest, type NoticeKey } from './account-request.ts';
import { loadAccountSession } from './account-session.ts';
import {
  reauthPasskeyOptions,
  reauthPasskeyVerify,
  renderReauthPage,
  sendSignedOut,
  submitReauth,
} from './reauth.ts';
import {
  beginTotpSetup,
  confirmTotpSetup,
  endEverySession,
  endOneSession,
  passkeyRegistrationOptions,
  passkeyRegistrationVerify,
  regenerateRecoveryCodes,
  removePasskey,
  removeTotp,
} from './security-actions.ts';
import { listSessions } from './sessions.ts';

type FormAction = (request: AccountRequest, form: URLSearchParams) => Promise<void>;
type JsonAction = (request: AccountRequest, body: unknown) => Promise<void>;

const FORM_ACTIONS: Readonly<Record<string, FormAction>> = {
  '/passkeys/remove': removePasskey,
  '/totp/begin': (request) => beginTotpSetup(request),
  '/totp/confirm': confirmTotpSetup,
  '/totp/remove': (request) => removeTotp(request),
  '/recovery-codes': (request) => regenerateRecoveryCodes(request),
  '/sessions/end': endOneSession,
  '/sessions/end-all': (request) => endEverySession(request),
  '/password': changePassword,
};
const JSON_ACTIONS: Readonly<Record<string, JsonAction>> = {
  '/passkeys/options': (request) => passkeyRegistrationOptions(request),
  '/passkeys/verify': passkeyRegistrationVerify,
};
const REAUTH_JSON: Readonly<Record<string, JsonAction>> = {
  '/reauth/passkey/options': (request) => reauthPasskeyOptions(request),
  '/reauth/passkey/verify': reauthPasskeyVerify,
};

const ROUTE = /^\/account((?:\/[a-z-]+){0,3})$/;

/**
 * Self-service security settings at `/account`, for the user signed in to identity's own session
 * (oidc-provider's cookie): passkeys, authenticator app, recovery codes, sessions. Everything but
 * the "confirm it's you" step needs a sign-in younger than 15 minutes; every POST passes the same
 * CSRF checks as the sign-in pages. See `interaction/README.md`.
 */
export function accountHandler(identity: IdentityContext): PathHandler {
  const { settings } = identity;
  const origin = new URL(settings.issuer).origin;
  const base = `${settings.mountPath}/account`;
  return async (req, res, path) => {
    const match = ROUTE.exec(path);
    if (match === null) return false;
    const action = match[1] ?? '';
    const jsonAction = JSON_ACTIONS[action] ?? REAUTH_JSON[action];
    const formAction = action === '/reauth' ? submitReauth : FORM_ACTIONS[action];
    if (action !== '' && jsonAction === undefined && formAction === undefined) return false;
    const allowed = action === '' ? ['GET', 'HEAD'] : ['POST'];
    if (!allowed.includes(req.method ?? 'GET')) {
      res.setHeader('allow', allowed.join(', '));
      sendJson(res, 405, { error: 'method_not_allowed' });
      return true;
    }

    let form = new URLSearchParams();
    let json: unknown;
    if (action !== '') {
      const body = jsonAction === undefined ? await readForm(req) : await readJson(req);
      if (!body.ok) {
        sendJson(res, body.status, { error: 'invalid_request' });
        return true;
      }
      if (body.value instanceof URLSearchParams) form = body.value;
      else json = body.value;
      const header = req.headers[CSRF_HEADER];
      const presented =
        jsonAction === undefined
          ? field(form, CSRF_FIELD, 64)
          : typeof header === 'string'
            ? header
            : undefined;
      if (!csrfAccepted(req, presented, origin)) {
        identity.events.emit({ event: 'request.rejected', outcome: 'failure', reason: 'csrf_failed' });
        if (jsonAction === undefined) {
          sendPage(
            res,
            403,
            page({
              mountPath: settings.mountPath,
              title: 'Request refused',
              body: html`<p>
                This form was not sent from this site, or it is too old. Go back, reload the page and try
                again.
              </p>`,
            }),
          );
        } else sendJson(res, 403, { error: 'forbidden', message: 'Reload the page and try again.' });
        return true;
      }
    }

    const account = await loadAccountSession(identity, req, res);
    if (account === undefined) {
      if (jsonAction === undefined) sendSignedOut(res, settings.mountPath);
      else sendJson(res, 401, { error: 'login_required', message: 'You are not signed in.' });
      return true;
    }
    const request: AccountRequest = {
      identity,
      req,
      res,
      account,
      csrf: issueCsrfToken(req, res, base),
      ip: clientIp(req),
      base,
    };

    const reauth = REAUTH_JSON[action];
    if (action === '/reauth') await submitReauth(request, form);
    else if (reauth !== undefined) await reauth(request, json);
    else if (!account.recent) {
      if (action === '') sendPage(res, 200, renderReauthPage(request));
      else if (jsonAction !== undefined)
        sendJson(res, 401, { error: 'login_required', message: 'Confirm it is you first: reload the page.' });
      else seeOther(res, base);
    } else if (jsonAction !== undefined) await jsonAction(request, json);
    else if (formAction !== undefined) await formAction(request, form);
    else await showOverview(request);
    return true;
  };
}

async function showOverview(request: AccountRequest): Promise<void> {
  const { identity } = request;
  const { user } = request.account;
  const [passkeys, recoveryCodesLeft, sessions] = await Promise.all([
    identity.passkeys.list(user.id),
    user.mfa.totp ? identity.totp.remainingRecoveryCodes(user.id) : Promise.resolve(0),
    listSessions(identity, user.id),
  ]);
  const done = new URL(request.req.url ?? '/', 'https://identity.invalid').searchParams.get('done');
  const notice = done !== null && Object.hasOwn(NOTICES, done) ? (done as NoticeKey) : undefined;
  sendPage(
    request.res,
    200,
    renderAccountPage(request, { passkeys, totp: user.mfa.totp, recoveryCodesLeft, sessions, notice }),
  );
}
