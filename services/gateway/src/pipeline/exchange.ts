import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { Context } from '@opentelemetry/api';
import type { AccessTokenClaims } from '@rampart/tokens';
import type { CanonicalRequest } from '../request/index.ts';
import type { MatchedRoute } from '../routing/index.ts';

/** A request as HTTP/1.1 (`IncomingMessage`) or HTTP/2 (`Http2ServerRequest`) delivers it. */
export type GatewayRequest = IncomingMessage | Http2ServerRequest;

/** What the pipeline does with a response: `ServerResponse` and `Http2ServerResponse` both fit. */
export interface GatewayResponse {
  statusCode: number;
  readonly headersSent: boolean;
  writeHead(statusCode: number, headers: OutgoingHttpHeaders): unknown;
  end(callback?: () => void): unknown;
  end(chunk: string | Uint8Array, callback?: () => void): unknown;
  /** A streamed answer (the audit mount): false when the client must drain first. */
  write(chunk: Uint8Array): boolean;
  once(event: 'close' | 'drain', listener: () => void): unknown;
  off(event: 'close' | 'drain', listener: () => void): unknown;
  destroy(error?: Error): unknown;
}

/**
 * One request's journey through the pipeline. Every stage reads the same canonical request:
 * no stage can see a different path, method or header set than another.
 */
export interface Exchange {
  readonly req: GatewayRequest;
  readonly res: GatewayResponse;
  /**
   * The request came on an HTTP/2 stream (the connection negotiated `h2`). Decided by the
   * connection, never by the version a request line claims (`GET / HTTP/2.0` is HTTP/1.1).
   */
  readonly http2: boolean;
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
  /**
   * Headers every answer to this request gets, refusals too, set by a mount that has its own
   * (the console's Content-Security-Policy).
   */
  mountHeaders?: Readonly<Record<string, string>>;
  /** Set by the cache stage when the answer may be stored: its key. */
  cacheKey?: string;
  /** A stage has answered (a cache hit): the rest of the pipeline does not run. */
  answered?: boolean;
  /**
   * The OpenTelemetry context of the request's SERVER span (`observability/`): the upstream call's
   * CLIENT span is its child. Without it an upstream call starts a trace of its own.
   */
  readonly traceContext?: Context;
}
