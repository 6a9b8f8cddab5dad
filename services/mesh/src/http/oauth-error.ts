import type { FastifyReply } from 'fastify';

/** The RFC 6749 / RFC 8693 error codes the token endpoint answers with. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_target'
  | 'server_error';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_target: 400,
  server_error: 500,
};

export function isOAuthRoute(url: string): boolean {
  return url === '/v1/token' || url.startsWith('/v1/token?');
}

/** Sends `{ "error": code }` with the RFC's status and `Cache-Control: no-store`. */
export function sendOAuthError(reply: FastifyReply, error: OAuthErrorCode): FastifyReply {
  return reply
    .code(STATUS[error])
    .header('cache-control', 'no-store')
    .type('application/json')
    .send({ error });
}
