/** What the gateway knows of a forwarded request, beyond the client's own fields. */
export interface ForwardContext {
  readonly internalToken: string;
  readonly clientIp: string;
  /** The `Host` the client asked for, if any. */
  readonly host: string | undefined;
  readonly requestId: string;
  readonly traceparent?: string;
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
]);

/**
 * The fields sent to a service: the client's (already stripped of identity claims) minus
 * credentials, proxy and hop-by-hop fields, plus the internal token, `X-Forwarded-For` (the client
 * IP alone — a chain the client sent is never extended), `X-Forwarded-Proto: https`,
 * `X-Forwarded-Host`, `X-Request-Id` and `traceparent`.
 */
export function forwardedRequestHeaders(
  client: Readonly<Record<string, string | readonly string[] | undefined>>,
  context: ForwardContext,
): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(client)) {
    const name = field.toLowerCase();
    if (value === undefined || DROPPED.has(name) || name.startsWith('x-forwarded-')) continue;
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  headers['authorization'] = `Bearer ${context.internalToken}`;
  headers['x-forwarded-for'] = context.clientIp;
  headers['x-forwarded-proto'] = 'https';
  if (context.host !== undefined) headers['x-forwarded-host'] = context.host;
  headers['x-request-id'] = context.requestId;
  if (context.traceparent !== undefined) headers['traceparent'] = context.traceparent;
  return headers;
}
