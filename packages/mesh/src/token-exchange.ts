import { meshRequest } from './mesh-http.ts';
import type { WorkloadCredentials } from './workload-identity.ts';

/** RFC 8693 grant type. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** The token type of Rampart internal tokens (PASETO v4.public). */
export const INTERNAL_TOKEN_TYPE = 'urn:rampart:token-type:internal';

export interface ExchangeTokenOptions {
  readonly authorityUrl: string;
  readonly authoritySpiffeId: string;
  /** The caller's workload identity (its current certificate authenticates the request). */
  readonly identity: { current(): WorkloadCredentials };
  /** The internal token this service received (addressed to it). */
  readonly subjectToken: string;
  /** The service to call: the new token's `aud`. */
  readonly audience: string;
}

export interface ExchangedToken {
  readonly token: string;
  readonly expiresAt: Date;
}

/** The authority refused the exchange; `error` is the RFC 6749 code (`invalid_grant`, `invalid_target`…). */
export class TokenExchangeError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, status: number, options?: ErrorOptions) {
    super(`token exchange refused: ${error} (HTTP ${status})`, options);
    this.name = 'TokenExchangeError';
    this.error = error;
    this.status = status;
  }
}

/**
 * Exchanges the internal token this service received for one addressed to `audience` (RFC 8693),
 * over mTLS with the workload's certificate. The authority allows it only along the call graph of
 * rampart.yaml, and records this service in the new token's `act` chain.
 *
 * @example
 * const { token } = await exchangeToken({ authorityUrl, authoritySpiffeId, identity, subjectToken, audience: 'payments' });
 */
export async function exchangeToken(options: ExchangeTokenOptions): Promise<ExchangedToken> {
  const credentials = options.identity.current();
  const form = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
    subject_token: options.subjectToken,
    subject_token_type: INTERNAL_TOKEN_TYPE,
    audience: options.audience,
  });
  let response;
  try {
    response = await meshRequest({
      url: `${options.authorityUrl.replace(/\/+$/, '')}/v1/token`,
      method: 'POST',
      caPem: credentials.caPems.join(''),
      certPem: credentials.certPem,
      keyPem: credentials.keyPem,
      serverSpiffeId: options.authoritySpiffeId,
      contentType: 'application/x-www-form-urlencoded',
      body: form.toString(),
    });
  } catch (cause) {
    throw new TokenExchangeError('temporarily_unavailable', 0, { cause });
  }
  const body = (typeof response.json === 'object' && response.json !== null ? response.json : {}) as Record<
    string,
    unknown
  >;
  if (response.status !== 200) {
    const error = typeof body['error'] === 'string' ? body['error'] : 'server_error';
    throw new TokenExchangeError(error, response.status);
  }
  const token = body['access_token'];
  const expiresIn = body['expires_in'];
  if (typeof token !== 'string' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new TokenExchangeError('server_error', response.status);
  }
  return { token, expiresAt: new Date(Date.now() + expiresIn * 1000) };
}
