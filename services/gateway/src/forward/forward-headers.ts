/** What authenticates a forwarded request to its upstream. */
export type UpstreamCredentials =
  /** A service: the internal token addressed to it replaces every credential of the client. */
  | { readonly kind: 'internal-token'; readonly token: string }
  /**
   * Identity alone: it authenticates its own clients, so their `authorization` (client
   * authentication, bearer tokens for `/me`), `cookie` (its session) and `dpop` (RFC 9449
   * proofs) pass unchanged. `createUpstreams` refuses this for any other upstream.
   */
  | { readonly kind: 'client' };

/** What the gateway knows of a forwarded request, beyond the client's own fields. */
export interface ForwardContext {
  readonly credentials: UpstreamCredentials;
  readonly clientIp: string;
  /** The public host to name in `X-Forwarded-Host`, if any. */
  readonly host: string | undefined;
  readonly requestId: string;
  /** W3C Trace Context of the gateway's call; the client's own fields are never forwarded. */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

/**
 * Client fields never forwarded: credentials meant for the gateway, proxy chains a client could
 * forge, fields undici computes (`host`, `content-length`), hop-by-hop fields (RFC 9110 §7.6.1),
 * and the ones the gateway sets itself.
 */
const DROPPED = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'dpop',
  'forwarded',
  'x-real-ip',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'x-request-id',
  'traceparent',
  'tracestate',
]);

/** The client's credentials, which only an upstream authenticating its own clients receives. */
const CLIENT_CREDENTIALS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'dpop']);

/**
 * The fields sent upstream: the client's (already stripped of identity claims) minus
 * credentials, proxy and hop-by-hop fields, plus the internal token, `X-Forwarded-For` (the client
 * IP alone — a chain the client sent is never extended), `X-Forwarded-Proto: https`,
 * `X-Forwarded-Host`, `X-Request-Id`, `traceparent` and `tracestate`. With `{ kind: 'client' }` credentials
 * (identity) the client's `authorization`, `cookie` and `dpop` are kept instead of a token.
 */
export function forwardedRequestHeaders(
  client: Readonly<Record<string, string | readonly string[] | undefined>>,
  context: ForwardContext,
): Record<string, string | string[]> {
  const { credentials } = context;
  const passClientCredentials = credentials.kind === 'client';
  const headers: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(client)) {
    const name = field.toLowerCase();
    if (value === undefined || name.startsWith('x-forwarded-')) continue;
    if (DROPPED.has(name) && !(passClientCredentials && CLIENT_CREDENTIALS.has(name))) continue;
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  if (credentials.kind === 'internal-token') headers['authorization'] = `Bearer ${credentials.token}`;
  headers['x-forwarded-for'] = context.clientIp;
  headers['x-forwarded-proto'] = 'https';
  if (context.host !== undefined) headers['x-forwarded-host'] = context.host;
  headers['x-request-id'] = context.requestId;
  if (context.traceparent !== undefined) headers['traceparent'] = context.traceparent;
  if (context.tracestate !== undefined) headers['tracestate'] = context.tracestate;
  return headers;
}
