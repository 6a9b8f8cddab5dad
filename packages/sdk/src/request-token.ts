import type { FastifyRequest } from 'fastify';

/**
 * The verified internal token of each request, kept off the request object so that no handler
 * or serializer can log it by accident. The service client reads it to exchange it for the next hop.
 */
const tokens = new WeakMap<FastifyRequest, string>();

export function rememberToken(request: FastifyRequest, token: string): void {
  tokens.set(request, token);
}

export function tokenOf(request: FastifyRequest): string | undefined {
  return tokens.get(request);
}
