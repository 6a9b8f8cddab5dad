import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { User } from '../accounts/index.ts';
import type { IdentityContext } from '../app.ts';

/** oidc-provider's session model. */
export type ProviderSession = InstanceType<Provider['Session']>;

/** How recent a sign-in must be to see and change security settings (ASVS 5.0 V6/V7: re-authenticate first). */
export const RECENT_AUTH_SECONDS = 15 * 60;

/** The signed-in user of an account page request. */
export interface AccountSession {
  readonly session: ProviderSession;
  readonly user: User;
  /** Signed in (or confirmed) within {@link RECENT_AUTH_SECONDS}. */
  readonly recent: boolean;
}

/**
 * Reads oidc-provider's own session from a plain request: its signed `_session` cookie, looked up
 * in the shared store through the provider's model (so any replica sees it, and expiry and
 * signature are checked the way the provider checks them). Undefined without a signed-in, enabled
 * account.
 */
export async function loadAccountSession(
  identity: IdentityContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<AccountSession | undefined> {
  const provider = identity.provider();
  const session = await provider.Session.get(provider.createContext(req, res));
  const accountId = session.accountId;
  if (accountId === undefined) return undefined;
  const user = await identity.accounts.findById(accountId);
  if (user === undefined || user.disabled) return undefined;
  const loginTs = session.loginTs ?? 0;
  return { session, user, recent: nowSeconds() - loginTs <= RECENT_AUTH_SECONDS };
}

/**
 * Records a re-authentication on the session: a new sign-in time and the methods just used (so
 * tokens issued from this session later report them). The session keeps its id and expiry.
 */
export async function recordReauthentication(
  session: ProviderSession,
  methods: { readonly amr: readonly string[]; readonly acr: string },
): Promise<void> {
  const accountId = session.accountId;
  if (accountId === undefined) throw new TypeError('recordReauthentication needs a signed-in session');
  session.loginAccount({ accountId, amr: [...methods.amr], acr: methods.acr, loginTs: nowSeconds() });
  await session.persist();
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
