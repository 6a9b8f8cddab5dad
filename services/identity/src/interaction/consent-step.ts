import { csrfInput } from '../pages/form-parts.ts';
import { html, page, type SafeHtml } from '../pages/layout.ts';
import { field } from '../pages/request-body.ts';
import { seeOther, sendPage } from '../pages/respond.ts';
import { clientIdOf, type StepContext } from './step-context.ts';

/** What the authorization request asks for that the user has not granted yet (oidc-provider's prompt details). */
export interface MissingGrants {
  readonly oidcScopes: readonly string[];
  readonly oidcClaims: readonly string[];
  /** Resource indicator → scopes. */
  readonly resourceScopes: Readonly<Record<string, readonly string[]>>;
}

const SCOPE_TEXT: Readonly<Record<string, string>> = {
  openid: 'Know who you are (your account id)',
  profile: 'Your name and username',
  email: 'Your e-mail address',
  groups: 'The groups you are in',
  offline_access: 'Stay connected when you are not using it (refresh tokens)',
};

/** Reads `prompt.details` of a consent prompt: exactly what is missing, nothing more. */
export function missingGrants(ctx: StepContext): MissingGrants {
  const details = ctx.interaction.prompt.details;
  const resourceScopes: Record<string, readonly string[]> = {};
  const resources = details['missingResourceScopes'];
  if (typeof resources === 'object' && resources !== null) {
    for (const [resource, scopes] of Object.entries(resources as Record<string, unknown>)) {
      resourceScopes[resource] = strings(scopes);
    }
  }
  return {
    oidcScopes: strings(details['missingOIDCScope']),
    oidcClaims: strings(details['missingOIDCClaims']),
    resourceScopes,
  };
}

/**
 * The consent prompt. First-party clients (every client of rampart.yaml, and the console) are
 * granted what they ask without a page; any other client gets the consent page.
 */
export async function showConsent(ctx: StepContext): Promise<void> {
  const client = await ctx.provider.Client.find(clientIdOf(ctx));
  if (client === undefined || ctx.interaction.session?.accountId === undefined) {
    await deny(ctx, 'the client or the session is gone');
    return;
  }
  if (client.metadata()['rampart_first_party'] === true) {
    await grant(ctx, 'first_party');
    return;
  }
  sendPage(ctx.res, 200, renderConsentPage(ctx, client.clientName ?? client.clientId, missingGrants(ctx)));
}

/** Allow or deny, from the consent page. */
export async function submitConsent(ctx: StepContext, form: URLSearchParams): Promise<void> {
  const decision = field(form, 'decision', 8);
  if (ctx.interaction.session?.accountId === undefined) {
    await deny(ctx, 'the session is gone');
    return;
  }
  if (decision === 'allow') await grant(ctx, 'user_allowed');
  else await deny(ctx, 'The user did not allow access.', 'user_denied');
}

/** The page: which application, and what it asks for, with Allow / Deny. */
export function renderConsentPage(ctx: StepContext, clientName: string, missing: MissingGrants): string {
  const items: SafeHtml[] = [
    ...missing.oidcScopes.map((scope) => describe(scope)),
    ...missing.oidcClaims.map((claim) => html`<li>Your <code>${claim}</code> claim</li>`),
    ...Object.entries(missing.resourceScopes).flatMap(([resource, scopes]) =>
      scopes.map((scope) => html`<li><code>${scope}</code> <span class="muted">on ${resource}</span></li>`),
    ),
  ];
  const body = html`<p>
      <strong>${clientName}</strong> <span class="muted">(${clientIdOf(ctx)})</span> wants to:
    </p>
    <ul class="scopes">
      ${items}
    </ul>
    <form method="post" action="${ctx.base}/consent">
      ${csrfInput(ctx.csrf)}
      <button type="submit" name="decision" value="allow">Allow</button>
      <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
    </form>`;
  return page({ mountPath: ctx.identity.settings.mountPath, title: 'Allow access?', body });
}

/**
 * Adds exactly the missing scopes and claims to the user's grant for this client (the existing
 * grant when there is one) and finishes the prompt. `mergeWithLastSubmission` keeps the login
 * result of the previous prompt (so `prompt=login` is not asked again); it carries its own `ts`.
 */
async function grant(ctx: StepContext, reason: 'first_party' | 'user_allowed'): Promise<void> {
  const accountId = ctx.interaction.session?.accountId ?? '';
  const clientId = clientIdOf(ctx);
  const missing = missingGrants(ctx);
  const existingId = ctx.interaction.grantId;
  const existing = existingId === undefined ? undefined : await ctx.provider.Grant.find(existingId);
  const grantModel = existing ?? new ctx.provider.Grant({ accountId, clientId });
  if (missing.oidcScopes.length > 0) grantModel.addOIDCScope(missing.oidcScopes.join(' '));
  if (missing.oidcClaims.length > 0) grantModel.addOIDCClaims([...missing.oidcClaims]);
  for (const [resource, scopes] of Object.entries(missing.resourceScopes)) {
    if (scopes.length > 0) grantModel.addResourceScope(resource, scopes.join(' '));
  }
  const grantId = await grantModel.save();
  const returnTo = await ctx.provider.interactionResult(
    ctx.req,
    ctx.res,
    { consent: existing === undefined ? { grantId } : {} },
    { mergeWithLastSubmission: true },
  );
  ctx.identity.events.emit({ event: 'consent.granted', outcome: 'success', reason, subject: accountId });
  seeOther(ctx.res, returnTo);
}

async function deny(ctx: StepContext, description: string, reason = 'consent_unavailable'): Promise<void> {
  const accountId = ctx.interaction.session?.accountId;
  const returnTo = await ctx.provider.interactionResult(
    ctx.req,
    ctx.res,
    { error: 'access_denied', error_description: description },
    { mergeWithLastSubmission: false },
  );
  ctx.identity.events.emit({
    event: 'consent.denied',
    outcome: 'failure',
    reason,
    ...(accountId === undefined ? {} : { subject: accountId }),
  });
  seeOther(ctx.res, returnTo);
}

function describe(scope: string): SafeHtml {
  const text = SCOPE_TEXT[scope];
  return text === undefined ? html`<li><code>${scope}</code></li>` : html`<li>${text}</li>`;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}
