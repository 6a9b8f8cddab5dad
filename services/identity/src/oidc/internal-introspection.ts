import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, SecurityEvents } from '@rampart/sdk';
import { sendJson } from '../http/router.ts';
import { introspectToken, type IntrospectionSource } from './introspect-token.ts';
import { readAtMost } from '../http/read-at-most.ts';

/**
 * Where gateways introspect opaque access tokens (RFC 7662 shaped). Like the revocation feed it is
 * outside the issuer's mount (`/auth`), on identity's mTLS listener, which serves the gateway's
 * SPIFFE ID alone: the public mount forwards `/auth/…` only, so no client can reach it.
 *
 * Why not oidc-provider's own `/auth/token/introspection`: the gateway forwards every client's
 * `/auth` traffic over the very mTLS connection it would introspect on, so authenticating the
 * gateway by its certificate there would let any client ride on the gateway's identity.
 */
export const INTROSPECTION_PATH = '/internal/introspect';

/** An opaque token is 43 characters; a form or JSON body around it stays far below this. */
export const MAX_INTROSPECTION_BODY_BYTES = 4 * 1024;

export interface IntrospectionEndpointSource extends IntrospectionSource {
  readonly events: SecurityEvents;
  readonly log: Logger;
}

/** A request that is not a well-formed introspection request; answered with `status` and nothing looked up. */
class RefusedRequest extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string) {
    super(reason);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * Serves `POST /internal/introspect` with `token=<value>` (form) or `{"token": "<value>"}` (JSON),
 * at most 4 KiB: `{ "active": false }` for anything that is not a live opaque access token for the
 * gateway's audience, else its claims (`introspect-token.ts`). A malformed request gets an RFC 6749
 * error and an `introspection.refused` event; a store failure a 503, which the gateway turns into a
 * refusal — never into an accepted token. The caller's SPIFFE ID is checked before this runs.
 *
 * @example
 * if (path === INTROSPECTION_PATH) void serveIntrospection(identity, req, res);
 */
export async function serveIntrospection(
  source: IntrospectionEndpointSource,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let token: string;
  try {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      throw new RefusedRequest(405, 'method_not_allowed');
    }
    token = await readToken(req);
  } catch (error) {
    if (!(error instanceof RefusedRequest)) {
      source.log.warn({ err: error }, 'identity: introspection request could not be read');
      res.destroy();
      return;
    }
    source.events.emit({ event: 'introspection.refused', outcome: 'failure', reason: error.reason });
    res.setHeader('connection', 'close');
    sendJson(res, error.status, { error: 'invalid_request' });
    return;
  }
  try {
    sendJson(res, 200, await introspectToken(source, token));
  } catch (error) {
    source.log.error({ err: error }, 'identity: introspection failed');
    sendJson(res, 503, { error: 'temporarily_unavailable' });
  }
}

/** The one `token` parameter of a form or JSON body. */
async function readToken(req: IncomingMessage): Promise<string> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'application/json') {
    throw new RefusedRequest(415, 'unsupported_media_type');
  }
  const text = await readBody(req);
  if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new RefusedRequest(400, 'invalid_request');
    }
    // Only an own `token` string is read: nothing is merged, so no key can reach a prototype.
    if (typeof parsed !== 'object' || parsed === null || !Object.hasOwn(parsed, 'token')) {
      throw new RefusedRequest(400, 'invalid_request');
    }
    const { token } = parsed as { token: unknown };
    if (typeof token !== 'string' || token === '') throw new RefusedRequest(400, 'invalid_request');
    return token;
  }
  const tokens = new URLSearchParams(text).getAll('token');
  // RFC 7662 §2.1 has one `token`; two would make the answer ambiguous.
  if (tokens.length !== 1 || tokens[0] === undefined || tokens[0] === '') {
    throw new RefusedRequest(400, 'invalid_request');
  }
  return tokens[0];
}

/** The UTF-8 body, refused (413) as soon as it passes the cap — before reading it when declared. */
async function readBody(req: IncomingMessage): Promise<string> {
  const declared = req.headers['content-length'];
  if (
    declared !== undefined &&
    !(/^\d{1,6}$/.test(declared) && Number(declared) <= MAX_INTROSPECTION_BODY_BYTES)
  ) {
    throw new RefusedRequest(413, 'request_too_large');
  }
  const bytes = await readAtMost(
    req,
    MAX_INTROSPECTION_BODY_BYTES,
    () => new RefusedRequest(413, 'request_too_large'),
  );
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new RefusedRequest(400, 'invalid_request');
  }
}
