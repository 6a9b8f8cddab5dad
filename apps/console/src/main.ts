// The console's entry module: settings, sign-in through identity, then the pages. Served
// type-stripped by the gateway at /console/app/main.js (apps/console/server).
import { html, render, type TemplateResult } from 'lit-html';
import { auditApi } from './api/audit.ts';
import { apiClient } from './api/http.ts';
import { identityAdmin } from './api/identity-admin.ts';
import type { AppContext, PageView } from './app.ts';
import { Auth, type AdminSession } from './auth/session.ts';
import { parseRoute, PAGES } from './router.ts';
import { loadSettings, type ConsoleSettings } from './settings.ts';
import { layout } from './views/layout.ts';

/** Set just before a sign-out, so the page identity sends the browser back to says so. */
const SIGNED_OUT_KEY = 'rampart-console.signed-out';
/** Sign in again this long before the access token expires. */
const RENEW_EARLY_MS = 5_000;
const CALLBACK_PATH = '/console/callback';

const root = document.getElementById('app') ?? document.body;
let painted = false;

/** Renders into the page, replacing the static "Loading…" of index.html the first time. */
function paint(template: TemplateResult): void {
  if (!painted) {
    root.replaceChildren();
    painted = true;
  }
  render(template, root);
}

function standalone(title: string, body: TemplateResult): void {
  document.title = `${title} · Rampart console`;
  paint(
    html`<main class="standalone" id="main" tabindex="-1">
      <h1>${title}</h1>
      ${body}
    </main>`,
  );
}

async function start(): Promise<void> {
  const settings = await loadSettings();
  const auth = new Auth(settings);
  if (window.location.pathname === CALLBACK_PATH) {
    const { session, returnTo } = await auth.completeSignIn(new URL(window.location.href));
    // The code and state leave the address bar and the history at once.
    window.history.replaceState(null, '', `/console/${returnTo}`);
    run(settings, auth, session);
    return;
  }
  if (sessionStorage.getItem(SIGNED_OUT_KEY) !== null) {
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    standalone(
      'Signed out',
      html`<p>You have signed out of the Rampart console and of identity.</p>
        <button type="button" @click=${() => void auth.signIn('#/overview')}>Sign in again</button>`,
    );
    return;
  }
  // Tokens live in memory only: a fresh page signs in through identity (its session makes it quick).
  await auth.signIn(window.location.hash);
}

function run(settings: ConsoleSettings, auth: Auth, session: AdminSession): void {
  let leaving = false;
  const signInAgain = (): void => {
    if (leaving) return;
    leaving = true;
    void auth.signIn(window.location.hash);
  };
  const api = apiClient(() => session.accessToken, signInAgain);
  let page: PageView | undefined;
  let current = 'overview';
  const app: AppContext = {
    settings,
    session,
    identity: identityAdmin(api, settings.adminApi),
    audit: auditApi(api, settings.auditApi),
    update: draw,
    navigate(hash) {
      window.location.hash = hash;
    },
  };
  const signOut = (): void => {
    leaving = true;
    sessionStorage.setItem(SIGNED_OUT_KEY, '1');
    void auth.signOut(session);
  };
  const skip = (): void => {
    document.getElementById('main')?.focus();
  };
  function draw(): void {
    if (page === undefined) return;
    document.title = `${page.title} · Rampart console`;
    paint(layout(current, session, page.render(), { signOut, skip }));
  }
  function show(): void {
    const route = parseRoute(window.location.hash);
    if (route === undefined) {
      // `#main` and the like are not pages; anything else unknown goes to the overview.
      if (page === undefined || window.location.hash === '') window.location.replace('#/overview');
      return;
    }
    const entry = PAGES.find((candidate) => candidate.id === route.id);
    if (entry === undefined) return;
    page?.dispose?.();
    current = route.id;
    page = entry.page(app, route.query);
    draw();
    document.getElementById('main')?.focus();
  }
  window.addEventListener('hashchange', show);
  // The session lasts as long as the access token; then identity is asked again.
  window.setTimeout(signInAgain, Math.max(0, session.expiresAt - Date.now() - RENEW_EARLY_MS));
  show();
}

start().catch((error: unknown) => {
  standalone(
    'The console could not start',
    html`<div class="state state-error" role="alert">
        <p>${error instanceof Error ? error.message : String(error)}</p>
      </div>
      <p><a href="/console/">Try again</a></p>`,
  );
});
