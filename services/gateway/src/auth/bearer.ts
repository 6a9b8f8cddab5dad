import { RampartError } from '@rampart/errors';
import { readAuthorization, type AuthorizationScheme } from '@rampart/tokens';

/** The access token of a request and how it was presented: `Bearer` or `DPoP` (RFC 9449 §7.1). */
export interface PresentedToken {
  readonly scheme: AuthorizationScheme;
  readonly token: string;
}

const SCHEMES: readonly AuthorizationScheme[] = ['bearer', 'dpop'];

/**
 * Reads `Authorization: Bearer <token>` or `Authorization: DPoP <token>` from the raw headers with
 * the grammar of `@rampart/tokens` (one header, scheme case-insensitive, exactly one space, one
 * token68). The scheme matters: a DPoP-bound token must come with the DPoP scheme and a proof.
 * Throws GW_TOKEN_MISSING when no credentials are presented (no header, another scheme),
 * GW_TOKEN_INVALID when they are malformed or the header is repeated. The detail never quotes the
 * value: a malformed header may well be a credential, and the detail goes to the log.
 */
export function presentedToken(rawHeaders: readonly string[]): PresentedToken {
  const parsed = readAuthorization(rawHeaders, { schemes: SCHEMES });
  if (parsed.ok) return { scheme: parsed.scheme, token: parsed.token };
  switch (parsed.reason) {
    case 'missing':
      throw new RampartError('GW_TOKEN_MISSING', { detail: 'no Authorization header' });
    case 'other_scheme':
      throw new RampartError('GW_TOKEN_MISSING', { detail: 'Authorization scheme is not Bearer or DPoP' });
    case 'repeated':
      throw new RampartError('GW_TOKEN_INVALID', { detail: `${parsed.count} Authorization headers` });
    case 'empty':
      throw new RampartError('GW_TOKEN_INVALID', { detail: 'empty Authorization header' });
    case 'no_credentials':
      throw new RampartError('GW_TOKEN_INVALID', { detail: 'Authorization scheme without a token' });
    case 'malformed':
      throw new RampartError('GW_TOKEN_INVALID', {
        detail: 'Authorization credentials are not a single token68 value',
      });
  }
}
