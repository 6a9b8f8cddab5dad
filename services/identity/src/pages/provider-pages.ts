import { html, page, trusted } from './layout.ts';

let mountPath = '/auth';

/** The issuer's mount path, for links to the stylesheet. Set once at start. */
export function setPagesMountPath(path: string): void {
  mountPath = path;
}

/**
 * oidc-provider's error page: the OAuth error code and its safe description, never a stack
 * trace. An unknown client or redirect URI lands here instead of being redirected anywhere.
 */
export function renderErrorPage(error: string, description: string | undefined): string {
  return page({
    mountPath,
    title: 'Sign-in problem',
    body: html`<p class="error">${error}</p>
      ${description === undefined ? '' : html`<p>${description}</p>`}
      <p class="muted">Go back to the application and try again.</p>`,
  });
}

/** RP-initiated logout confirmation. `form` is oidc-provider's own form (action and CSRF token). */
export function renderLogoutPage(form: string): string {
  return page({
    mountPath,
    title: 'Sign out',
    body: html`${trusted(form)}
      <p>Do you want to sign out?</p>
      <button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button
      ><button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
  });
}

export function renderLoggedOutPage(): string {
  return page({ mountPath, title: 'Signed out', body: html`<p>You are signed out.</p>` });
}
