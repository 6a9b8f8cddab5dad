import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenClaims } from '../auth/index.ts';
import type { CanonicalRequest } from '../request/index.ts';
import type { MatchedRoute } from '../routing/index.ts';

/**
 * One request's journey through the pipeline. Every stage reads the same canonical request:
 * no stage can see a different path, method or header set than another.
 */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly startedAt: bigint;
  /** The client's address: the socket peer, or X-Forwarded-For from a trusted proxy. */
  clientIp: string;
  /** The stage running (or that refused the request), for the log. */
  stage: string;
  /** What metrics and logs call the request: a route template, `/auth`, or `unmatched`. */
  label: string;
  canonical?: CanonicalRequest;
  matched?: MatchedRoute;
  /** The verified access token, when the request carried one. */
  claims?: AccessTokenClaims;
  body?: Buffer;
  /** CORS headers every answer to this request gets (an allowed cross-origin request). */
  cors?: Readonly<Record<string, string>>;
  /** Set by the cache stage when the answer may be stored: its key. */
  cacheKey?: string;
  /** A stage has answered (a cache hit): the rest of the pipeline does not run. */
  answered?: boolean;
}
