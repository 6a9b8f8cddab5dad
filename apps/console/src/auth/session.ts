import * as oauth from 'oauth4webapi';
import type { ConsoleSettings } from '../settings.ts';

/** A signed-in admin: the admin API token in memory only, never in storage. */
export interface AdminSession {
  readonly accessToken: string;
  /** When the access token expires (ms since the epoch); the console signs in again then. */
  readonly expiresAt: number;
  readonly idToken: string;
  readonly username: string;
  readonly subject: string;
}

/** The PKCE verifier and state of one redirect to identity: in sessionStorage only until it is back. */
const PENDING_KEY = 'rampart-console.sign-in';

interface PendingSignIn {
  readonly verifier: string;
  readonly state: string;
  /** The console page to return to (`#/users`). */
  readonly returnTo: string;
}

/** The admin API scope and identity's user claims; `admin` is granted only for the admin audience. */
const SCOPE = 'openid profile admin';

export class SignInError extends Error {
  override readonly name = 'SignInError';
}

/** OpenID Connect with identity through oauth4webapi: authorization code + PKCE (S256). */
export class Auth {
  readonly #settings: ConsoleSettings;
  readonly #client: oauth.Client;
  #server: oauth.AuthorizationServer | undefined;

  constructor(settings: ConsoleSettings) {
    this.#settings = settings;
    // identity signs ID tokens with ES256 (oauth4webapi expects RS256 unless told).
    this.#client = { client_id: settings.clientId, id_token_signed_response_alg: 'ES256' };
  }

  async #discover(): Promise<oauth.AuthorizationServer> {
    if (this.#server !== undefined) return this.#server;
    const issuer = new URL(this.#settings.issuer);
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oidc' });
    this.#server = await oauth.processDiscoveryResponse(issuer, response);
    return this.#server;
  }

  /** Sends the browser to identity's sign-in (password and second factor); comes back to the callback. */
  async signIn(returnTo: string): Promise<never> {
    const server = await this.#discover();
    if (server.authorization_endpoint === undefined)
      throw new SignInError('identity has no authorization endpoint');
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const pending: PendingSignIn = { verifier, state, returnTo: safeReturn(returnTo) };
    sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
    const url = new URL(server.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: this.#settings.clientId,
      redirect_uri: this.#settings.redirectUri,
      response_type: 'code',
      scope: SCOPE,
      resource: this.#settings.resource,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
    }).toString();
    window.location.assign(url.href);
    return new Promise<never>(() => undefined);
  }

  /**
   * The browser is back at `/console/callback?code…&state…&iss…`: checks the state and issuer,
   * redeems the code with the verifier, and forgets both. Returns the session and the page to show.
   */
  async completeSignIn(callback: URL): Promise<{ session: AdminSession; returnTo: string }> {
    const stored = sessionStorage.getItem(PENDING_KEY);
    sessionStorage.removeItem(PENDING_KEY);
    const pending = parsePending(stored);
    if (pending === undefined)
      throw new SignInError('this sign-in was not started here, or was already used');
    const server = await this.#discover();
    const params = oauth.validateAuthResponse(server, this.#client, callback, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      this.#client,
      oauth.None(),
      params,
      this.#settings.redirectUri,
      pending.verifier,
      { additionalParameters: { resource: this.#settings.resource } },
    );
    const result = await oauth.processAuthorizationCodeResponse(server, this.#client, response, {
      requireIdToken: true,
    });
    const claims = oauth.getValidatedIdTokenClaims(result);
    const username = claims?.['preferred_username'];
    return {
      session: {
        accessToken: result.access_token,
        expiresAt: Date.now() + (result.expires_in ?? 0) * 1000,
        idToken: result.id_token ?? '',
        username: typeof username === 'string' ? username : (claims?.sub ?? 'admin'),
        subject: claims?.sub ?? '',
      },
      returnTo: pending.returnTo,
    };
  }

  /** Ends the session at identity (RP-Initiated Logout), which then sends the browser back here. */
  async signOut(session: AdminSession | undefined): Promise<never> {
    const server = await this.#discover();
    const end = server.end_session_endpoint;
    if (end === undefined) {
      window.location.assign(this.#settings.postLogoutRedirectUri);
    } else {
      const url = new URL(end);
      url.search = new URLSearchParams({
        client_id: this.#settings.clientId,
        post_logout_redirect_uri: this.#settings.postLogoutRedirectUri,
        ...(session === undefined ? {} : { id_token_hint: session.idToken }),
      }).toString();
      window.location.assign(url.href);
    }
    return new Promise<never>(() => undefined);
  }
}

function parsePending(stored: string | null): PendingSignIn | undefined {
  if (stored === null) return undefined;
  try {
    const value: unknown = JSON.parse(stored);
    if (typeof value !== 'object' || value === null) return undefined;
    const { verifier, state, returnTo } = value as Record<string, unknown>;
    if (typeof verifier !== 'string' || typeof state !== 'string' || typeof returnTo !== 'string')
      return undefined;
    return { verifier, state, returnTo: safeReturn(returnTo) };
  } catch {
    return undefined;
  }
}

/** Only a page of the console (`#/…`): never a URL the state could smuggle elsewhere. */
function safeReturn(hash: string): string {
  return /^#\/[a-z-]*$/u.test(hash) ? hash : '#/overview';
}
