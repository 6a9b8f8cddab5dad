import type { IdentityContext } from '../app.ts';
import type { PathHandler } from '../http/router.ts';
import { renderErrorPage } from '../pages/provider-pages.ts';
import { readForm } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { ROUTES } from './provider.ts';

/** The largest form-serialized request accepted: it becomes a URL, which the gateway bounds too. */
const FORM_POST_LIMIT_BYTES = 6 * 1024;

/**
 * OpenID Connect requires POST as well as GET at the authorization endpoint (Core §3.1.2.1) and
 * the end-session endpoint (RP-Initiated Logout §2), with the parameters form-serialized.
 * oidc-provider serves POST there only with its session cookie set to `SameSite=None`, which
 * would send the sign-in session with every cross-site request. Instead, a POST is answered
 * `303 See Other` to the very same request as a GET: the browser follows it as a top-level GET,
 * which carries the `SameSite=Lax` session cookie, so single sign-on and `prompt=none` behave as
 * for a GET, and every parameter is checked by oidc-provider exactly as for a GET (duplicates
 * included: the form is passed on as it was sent).
 *
 * @example
 * // POST /auth/authorize  (client_id=…&response_type=code&…)
 * // → 303 Location: https://127.0.0.1:8443/auth/authorize?client_id=…&response_type=code&…
 */
export function formPostRequests(identity: IdentityContext): PathHandler {
  const targets = new Set<string>([ROUTES.authorization, ROUTES.end_session]);
  return async (req, res, path) => {
    if (req.method !== 'POST' || !targets.has(path)) return false;
    const form = await readForm(req, FORM_POST_LIMIT_BYTES);
    if (!form.ok) {
      const description =
        form.status === 415
          ? 'a POST request must be form-serialized (application/x-www-form-urlencoded)'
          : 'the request is too large or not UTF-8';
      sendPage(res, form.status, renderErrorPage('invalid_request', description));
      return true;
    }
    seeOther(res, `${identity.settings.issuer}${path}?${form.value.toString()}`);
    return true;
  };
}
