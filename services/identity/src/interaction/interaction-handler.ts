import type { ServerResponse } from 'node:http';
import { errors } from 'oidc-provider';
import type { IdentityContext } from '../app.ts';
import { sendJson, type PathHandler } from '../http/router.ts';
import { clientIp } from '../pages/client-ip.ts';
import { CSRF_FIELD, CSRF_HEADER, csrfAccepted, issueCsrfToken } from '../pages/csrf.ts';
import { html, page } from '../pages/layout.ts';
import { field, readForm, readJson } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { advance } from './advance.ts';
import { submitChangePassword } from './change-password-step.ts';
import { submitConsent } from './consent-step.ts';
import { submitCredentials } from './credentials-step.ts';
import { sendExpired } from './expired-page.ts';
import { nextLoginStep } from './next-step.ts';
import { passkeyOptions, passkeyVerify } from './passkey-step.ts';
import { readProgress } from './progress.ts';
import { submitSecondFactor } from './second-factor-step.ts';
import type { StepContext } from './step-context.ts';
import { showStep } from './step-page.ts';
import { submitTotpEnrollment } from './totp-enrollment-step.ts';

/** `/interaction/<uid>` and `/interaction/<uid>/<action>`; uids are oidc-provider's nanoids. */
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/[a-z]+(?:\/[a-z]+)?)?$/;
const FORM_ACTIONS: ReadonlySet<string> = new Set([
  '/login',
  '/password',
  '/totp',
  '/mfa',
  '/continue',
  '/consent',
]);
const JSON_ACTIONS: ReadonlySet<string> = new Set(['/passkey/options', '/passkey/verify']);

/**
 * The sign-in and consent pages oidc-provider sends the browser to (`interactions.url`):
 * `GET /interaction/<uid>` shows the current step; each step posts to an action below it. Every
 * POST is checked for CSRF (same origin, and the double-submitted token) before anything else,
 * then tied to the interaction by oidc-provider's signed interaction cookie. See README.md.
 */
export function interactionHandler(identity: IdentityContext): PathHandler {
  const { settings } = identity;
  const origin = new URL(settings.issuer).origin;
  return async (req, res, path) => {
    const match = ROUTE.exec(path);
    if (match === null) return false;
    const uid = match[1] ?? '';
    const action = match[2] ?? '';
    const isJson = JSON_ACTIONS.has(action);
    if (action !== '' && !FORM_ACTIONS.has(action) && !isJson) return false;
    const method = req.method ?? 'GET';
    const allowed = action === '' ? ['GET', 'HEAD'] : ['POST'];
    if (!allowed.includes(method)) {
      res.setHeader('allow', allowed.join(', '));
      sendJson(res, 405, { error: 'method_not_allowed' });
      return true;
    }

    let form = new URLSearchParams();
    let json: unknown;
    if (action !== '') {
      const body = isJson ? await readJson(req) : await readForm(req);
      if (!body.ok) {
        sendJson(res, body.status, { error: 'invalid_request' });
        return true;
      }
      if (body.value instanceof URLSearchParams) form = body.value;
      else json = body.value;
      const header = req.headers[CSRF_HEADER];
      const presented = isJson
        ? typeof header === 'string'
          ? header
          : undefined
        : field(form, CSRF_FIELD, 64);
      if (!csrfAccepted(req, presented, origin)) {
        identity.events.emit({ event: 'request.rejected', outcome: 'failure', reason: 'csrf_failed' });
        if (isJson) sendJson(res, 403, { error: 'forbidden', message: 'Reload the page and try again.' });
        else sendForbidden(res, settings.mountPath);
        return true;
      }
    }

    const provider = identity.provider();
    let interaction;
    try {
      interaction = await provider.interactionDetails(req, res);
    } catch (error) {
      if (!(error instanceof errors.SessionNotFound)) throw error;
      interaction = undefined;
    }
    if (interaction?.uid !== uid) {
      if (isJson) sendJson(res, 400, { error: 'expired', message: 'This sign-in has expired.' });
      else sendExpired(res, settings.mountPath);
      return true;
    }
    const base = `${settings.mountPath}/interaction/${uid}`;
    const ctx: StepContext = {
      identity,
      req,
      res,
      provider,
      interaction,
      uid,
      csrf: issueCsrfToken(req, res, base),
      ip: clientIp(req),
      base,
    };
    if (action === '') await showStep(ctx);
    else if (isJson) await runJsonAction(ctx, action, json);
    else await runFormAction(ctx, action, form);
    return true;
  };
}

async function runFormAction(ctx: StepContext, action: string, form: URLSearchParams): Promise<void> {
  const { name } = ctx.interaction.prompt;
  if (action === '/consent') {
    if (name === 'consent') await submitConsent(ctx, form);
    else seeOther(ctx.res, ctx.base);
    return;
  }
  if (name !== 'login') {
    seeOther(ctx.res, ctx.base);
    return;
  }
  if (action === '/login') {
    await submitCredentials(ctx, form);
    return;
  }
  // Every other action belongs to one step: a form left open from an earlier step goes back to the current one.
  const step = await nextLoginStep(ctx, readProgress(ctx.interaction));
  if (action === '/password' && step.kind === 'change_password')
    await submitChangePassword(ctx, step.user, form);
  else if (action === '/totp' && step.kind === 'enroll_totp')
    await submitTotpEnrollment(ctx, step.user, form);
  else if (action === '/mfa' && step.kind === 'second_factor')
    await submitSecondFactor(ctx, step.user, step.factors, form);
  else if (action === '/continue' && step.kind === 'complete')
    await advance(ctx, readProgress(ctx.interaction));
  else seeOther(ctx.res, ctx.base);
}

async function runJsonAction(ctx: StepContext, action: string, body: unknown): Promise<void> {
  if (ctx.interaction.prompt.name !== 'login') {
    sendJson(ctx.res, 409, { error: 'wrong_step', message: 'Reload the page and try again.' });
    return;
  }
  if (action === '/passkey/options') await passkeyOptions(ctx);
  else await passkeyVerify(ctx, body);
}

function sendForbidden(res: ServerResponse, mountPath: string): void {
  sendPage(
    res,
    403,
    page({
      mountPath,
      title: 'Request refused',
      body: html`<p>This form was not sent from this site, or it is too old.</p>
        <p class="muted">Go back, reload the page and try again.</p>`,
    }),
  );
}
