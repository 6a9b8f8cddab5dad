import { RampartError } from '@rampart/errors';

/** RFC 6750 §2.1 b64token (RFC 9110 token68): one token, no spaces or commas. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads the bearer token from one `Authorization` header value (`Bearer <token>`, scheme
 * case-insensitive, exactly one space, one token68). Throws GW_TOKEN_MISSING when no bearer
 * credentials are presented, GW_TOKEN_INVALID when they are malformed.
 */
export function parseBearerAuthorization(value: string | undefined): string {
  if (value === undefined) throw new RampartError('GW_TOKEN_MISSING', { detail: 'no Authorization header' });
  const space = value.indexOf(' ');
  const scheme = space === -1 ? value : value.slice(0, space);
  if (scheme.toLowerCase() !== 'bearer') {
    if (value.trim() === '')
      throw new RampartError('GW_TOKEN_INVALID', { detail: 'empty Authorization header' });
    throw new RampartError('GW_TOKEN_MISSING', {
      // Not even a prefix of the value: a malformed header may well be a credential (a password
      // pasted as the scheme, a Basic value) and the detail goes to the log.
      detail: 'Authorization scheme is not Bearer',
    });
  }
  const token = space === -1 ? '' : value.slice(space + 1);
  if (token === '') throw new RampartError('GW_TOKEN_INVALID', { detail: 'Bearer scheme without a token' });
  if (!TOKEN68.test(token)) {
    throw new RampartError('GW_TOKEN_INVALID', {
      detail: 'Bearer credentials are not a single token68 value',
    });
  }
  return token;
}

/** The one `Authorization` value of the raw headers; two are refused as ambiguous. */
function authorizationHeader(rawHeaders: readonly string[]): string | undefined {
  let value: string | undefined;
  let count = 0;
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'authorization') {
      count += 1;
      value = rawHeaders[index + 1];
    }
  }
  if (count > 1) throw new RampartError('GW_TOKEN_INVALID', { detail: `${count} Authorization headers` });
  return value;
}

/** The access token of a request and how it was presented: `Bearer` or `DPoP` (RFC 9449 §7.1). */
export interface PresentedToken {
  readonly scheme: 'bearer' | 'dpop';
  readonly token: string;
}

/**
 * Reads `Authorization: Bearer <token>` or `Authorization: DPoP <token>` from the raw headers (one
 * header only). The scheme matters: a DPoP-bound token must come with the DPoP scheme and a proof.
 */
export function presentedToken(rawHeaders: readonly string[]): PresentedToken {
  const value = authorizationHeader(rawHeaders);
  if (value !== undefined && /^dpop /i.test(value)) {
    return { scheme: 'dpop', token: parseBearerAuthorization(`Bearer ${value.slice(5)}`) };
  }
  return { scheme: 'bearer', token: parseBearerAuthorization(value) };
}
