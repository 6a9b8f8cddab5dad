import { clientIdConflict } from '../principal-subject.ts';

/**
 * The rules of an OAuth client that a schema cannot say (RFC 9700, RFC 8252), for a client of
 * rampart.yaml (`identity.clients`) and one created through identity's admin API alike: one
 * module, so `rampart check` and the admin API refuse the same clients.
 */

/** What the rules look at: the fields rampart.yaml clients and admin API clients share. */
export interface ClientRuleInput {
  /** The client id (rampart.yaml `id`, the admin API's `clientId`). */
  readonly id: string;
  readonly type: 'confidential' | 'public';
  readonly grants: readonly string[];
  readonly redirectUris?: readonly string[] | undefined;
  readonly postLogoutRedirectUris?: readonly string[] | undefined;
  readonly scopes?: readonly string[] | undefined;
  /** Whether the client registers a key set (admin API `jwks`). */
  readonly hasKeys?: boolean;
  /** May introspect every token identity issues (RFC 7662 §4), not only its own. */
  readonly resourceServer?: boolean | undefined;
}

/** One rule broken, at a field of the client (and an index in it, for lists). */
export interface ClientRuleProblem {
  readonly field:
    'id' | 'grants' | 'redirectUris' | 'postLogoutRedirectUris' | 'scopes' | 'jwks' | 'resourceServer';
  readonly index?: number;
  readonly message: string;
  readonly fix: string;
  /**
   * `warning`: legal but dangerous (rampart.yaml prints it, `--strict` refuses it). The admin API
   * refuses warnings too: nobody reads a warning an API call would print.
   */
  readonly severity: 'error' | 'warning';
}

/** The scope of identity's admin API; only the console may obtain tokens for that API. */
export const RESERVED_ADMIN_SCOPE = 'admin';

/** Loopback hosts where plain http is allowed (RFC 8252 §7.3: IP literals, not `localhost`). */
const LOOPBACK = new Set(['127.0.0.1', '[::1]']);

const CODE = 'authorization_code';

/**
 * Every rule a client breaks, in field order:
 * - an id that looks like another kind of principal's (a user's UUID) is refused: a client's own
 *   tokens name it `client:<id>` (never a user's subject), and no id may read as a user's anywhere;
 * - a public client has authorization_code (with PKCE, always required), may have refresh_token,
 *   never client_credentials (anyone knowing its id would get tokens), no key set, and is no
 *   resource server (introspection needs an authenticated client);
 * - refresh_token only with authorization_code;
 * - redirect URIs exactly when authorization_code is granted, each acceptable to
 *   {@link redirectUriProblem}; the same for post-logout redirect URIs, which only a client with
 *   authorization_code may have;
 * - `admin` among the scopes is a warning: it names the admin API's scope, which this client can
 *   never obtain for that API, and a gateway policy asking for `admin` would accept its tokens.
 *
 * @example
 * clientRuleProblems({ id: 'shop-web', type: 'public', grants: ['client_credentials'] })[0]?.message;
 * // 'a public client cannot use client_credentials'
 */
export function clientRuleProblems(client: ClientRuleInput): ClientRuleProblem[] {
  const problems: ClientRuleProblem[] = [];
  const grants = new Set(client.grants);
  const code = grants.has(CODE);
  const error = (problem: Omit<ClientRuleProblem, 'severity'>): void => {
    problems.push({ ...problem, severity: 'error' });
  };
  const idConflict = clientIdConflict(client.id);
  if (idConflict !== undefined) {
    error({
      field: 'id',
      message: idConflict,
      fix: 'name the client after what it is, e.g. `billing-job` or `shop-web`',
    });
  }
  if (client.type === 'public') {
    if (grants.has('client_credentials')) {
      error({
        field: 'grants',
        index: client.grants.indexOf('client_credentials'),
        message: 'a public client cannot use client_credentials',
        fix: 'a public client keeps no secret, so anyone who knows its id would get tokens: make it `type: confidential`, or drop the grant',
      });
    }
    if (!code) {
      error({
        field: 'grants',
        message: 'a public client needs authorization_code',
        fix: 'public clients sign users in with authorization code and PKCE: add `authorization_code`',
      });
    }
    if (client.hasKeys === true) {
      error({
        field: 'jwks',
        message: 'only for confidential clients',
        fix: 'a public client cannot keep a private key: drop the key set, or make the client confidential',
      });
    }
    if (client.resourceServer === true) {
      error({
        field: 'resourceServer',
        message: 'only for confidential clients',
        fix: 'introspection needs an authenticated client: make it `type: confidential`, or drop `resourceServer`',
      });
    }
  }
  if (grants.has('refresh_token') && !code) {
    error({
      field: 'grants',
      index: client.grants.indexOf('refresh_token'),
      message: 'refresh_token needs authorization_code',
      fix: 'refresh tokens continue a user sign-in: add `authorization_code`, or drop `refresh_token`',
    });
  }
  const uris = client.redirectUris ?? [];
  if (code && uris.length === 0) {
    error({
      field: 'redirectUris',
      message: 'required with authorization_code',
      fix: 'list the exact URIs the client is redirected back to, e.g. https://app.example/callback',
    });
  }
  if (!code && uris.length > 0) {
    error({
      field: 'redirectUris',
      message: 'only with authorization_code',
      fix: 'drop `redirectUris`, or grant `authorization_code`',
    });
  }
  if (code) {
    uris.forEach((uri, index) => {
      const problem = redirectUriProblem(uri);
      if (problem !== undefined) error({ field: 'redirectUris', index, ...problem });
    });
  }
  const logoutUris = client.postLogoutRedirectUris ?? [];
  if (!code && logoutUris.length > 0) {
    error({
      field: 'postLogoutRedirectUris',
      message: 'only with authorization_code',
      fix: 'only a client that signs users in can send them back after logout: drop `postLogoutRedirectUris`, or grant `authorization_code`',
    });
  }
  logoutUris.forEach((uri, index) => {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) error({ field: 'postLogoutRedirectUris', index, ...problem });
  });
  const adminAt = (client.scopes ?? []).indexOf(RESERVED_ADMIN_SCOPE);
  if (adminAt !== -1) {
    problems.push({
      field: 'scopes',
      index: adminAt,
      severity: 'warning',
      message:
        'the admin scope is reserved for the console: this client can never obtain it for the admin API, ' +
        'yet a gateway policy requiring `admin` would accept its tokens',
      fix: 'name the scope after what it allows (e.g. `orders:admin`)',
    });
  }
  return problems;
}

/**
 * Why a redirect URI is refused, or undefined if it is acceptable: https (or http on a loopback IP
 * literal), absolute, without fragment, user info or wildcard, and written in normalized form
 * (identity compares redirect URIs byte for byte, so what is registered is what must be sent).
 *
 * @example
 * redirectUriProblem('http://shop.example/cb')?.message; // 'must use https (http only on 127.0.0.1 or [::1])'
 */
export function redirectUriProblem(uri: string): { message: string; fix: string } | undefined {
  if (uri.includes('#')) return { message: 'must not have a fragment', fix: 'drop the `#…` part' };
  if (uri.includes('*')) {
    return {
      message: 'must not contain a wildcard',
      fix: 'list every exact redirect URI: a wildcard lets an attacker-chosen URI receive the code',
    };
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { message: 'must be an absolute URL', fix: 'write it with its scheme and host' };
  }
  if (url.username !== '' || url.password !== '') {
    return { message: 'must not contain user info', fix: 'drop the `user@` part' };
  }
  const https = {
    message: 'must use https (http only on 127.0.0.1 or [::1])',
    fix: 'a code sent over plain http can be read on the way: use https, or a loopback IP literal for a local app',
  };
  if (url.protocol === 'http:') {
    if (!LOOPBACK.has(url.hostname)) return https;
  } else if (url.protocol !== 'https:') {
    return https;
  }
  if (url.href !== uri) {
    return {
      message: 'must be written in normalized form',
      fix: `write it as a URL parser does${url.href.length <= 200 ? ` (${url.href})` : ''}: it is compared byte for byte`,
    };
  }
  return undefined;
}
