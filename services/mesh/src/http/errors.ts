import type { FastifyError, FastifyInstance } from 'fastify';
import { PROBLEM_CONTENT_TYPE, RampartError, toProblem } from '@rampart/errors';
import type { Logger } from '@rampart/sdk';
import { isOAuthRoute, sendOAuthError } from './oauth-error.ts';

/**
 * Problem details (RFC 9457) for every refusal, RFC 6749 errors on the token endpoint, and a
 * generic 500 for anything unexpected — never a stack trace or a detail in a response.
 */
export function registerErrorHandlers(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((error: FastifyError | RampartError | Error, request, reply) => {
    const mapped = toRampartError(error);
    if (mapped.status >= 500) log.error({ err: error, url: request.url }, 'request failed');
    if (isOAuthRoute(request.url)) {
      return sendOAuthError(reply, mapped.status >= 500 ? 'server_error' : 'invalid_request');
    }
    return reply
      .code(mapped.status >= 500 ? 500 : mapped.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(toProblem(mapped, request.id));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(toProblem(new RampartError('MESH_NOT_FOUND'), request.id)),
  );
}

function toRampartError(error: FastifyError | RampartError | Error): RampartError {
  if (error instanceof RampartError) return error;
  const { code, statusCode } = error as FastifyError;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new RampartError('MESH_PAYLOAD_TOO_LARGE');
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return new RampartError('MESH_BAD_REQUEST', { detail: error.message });
  }
  return new RampartError('SDK_INTERNAL', { detail: error.message, cause: error });
}
