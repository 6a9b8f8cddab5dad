import { Http2ServerRequest } from 'node:http2';
import type { RateLimitConfig } from '@rampart/config';
import { RampartError } from '@rampart/errors';
import type { RateLimiter } from '../rate-limit/index.ts';
import { ClientGoneError } from '../request/index.ts';
import type { PipelineDeps } from './deps.ts';
import type { Exchange } from './exchange.ts';

/** Largest body read when a route sets no `schema.maxBodyBytes`, and on the identity mount. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Counts the request against `limit`. Over the limit (or in the penalty box) is `GW_RATE_LIMITED`
 * (429); a shared limit store that cannot answer, with the fail-closed policy, is
 * `GW_RATE_LIMIT_UNAVAILABLE` (503): the client did nothing wrong, and a 429 would tell it so.
 * Both carry `retryAfterSeconds`.
 */
export async function consumeLimit(
  deps: PipelineDeps,
  request: Parameters<RateLimiter['consume']>[0],
  limit: RateLimitConfig,
): Promise<void> {
  const decision = await deps.limiter.consume(request, limit);
  if (!decision.allowed) {
    const code = decision.reason === 'unavailable' ? 'GW_RATE_LIMIT_UNAVAILABLE' : 'GW_RATE_LIMITED';
    const error = new RampartError(code, { detail: `rate limit (${decision.reason})` });
    throw Object.assign(error, { retryAfterSeconds: decision.retryAfterSeconds });
  }
}

/**
 * Reads the whole body up to `limit`; a larger one is refused without reading the rest. A body cut
 * short (an HTTP/2 stream cancelled, a connection dropped mid-body: the iteration then simply
 * ends) is never taken for the whole one: `ClientGoneError`.
 */
export async function readBodyUpTo(exchange: Exchange, limit: number): Promise<void> {
  const declared = Number(need(exchange.canonical).headers['content-length'] ?? 0);
  if (declared > limit)
    throw new RampartError('GW_PAYLOAD_TOO_LARGE', { detail: `content-length ${declared} > ${limit}` });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of exchange.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new RampartError('GW_PAYLOAD_TOO_LARGE', { detail: `body over ${limit} bytes` });
    chunks.push(chunk);
  }
  // HTTP/2's compatibility request counts a cancelled stream as `complete`; `aborted` tells.
  const { req } = exchange;
  const cut = req instanceof Http2ServerRequest ? req.aborted : !req.complete;
  if (cut) throw new ClientGoneError(`body ended after ${size} bytes`);
  if (size > 0) exchange.body = Buffer.concat(chunks, size);
}

export function firstValue(value: string | readonly string[] | undefined): string | undefined {
  return value === undefined || typeof value === 'string' ? value : value[0];
}

export function need<T>(value: T | undefined): T {
  if (value === undefined) throw new TypeError('a pipeline stage ran before the stage it depends on');
  return value;
}
