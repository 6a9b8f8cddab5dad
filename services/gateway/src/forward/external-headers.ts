/**
 * Client fields that never leave the platform for an upstream outside the mesh: credentials meant
 * for the gateway (`authorization`, `dpop`, `cookie` — identity's session among them), proxy
 * credentials, fields undici computes (`host`, `content-length`), hop-by-hop fields (RFC 9110
 * §7.6.1), and the ones that describe the platform's inside (trace context, forwarding chains, the
 * gateway's request id, which is set below).
 */
const NEVER_SENT = new Set([
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
  'baggage',
]);

/** Prefixes of fields never sent out: the platform's own, and forwarding chains a client could forge. */
const NEVER_SENT_PREFIXES = ['x-rampart-', 'x-forwarded-'];

/**
 * The fields sent to an external upstream: the client's own (content negotiation, `content-type`,
 * `user-agent`, `idempotency-key`…) minus everything in {@link NEVER_SENT}, any field named in the
 * client's `Connection`, any `x-rampart-*` and `x-forwarded-*` — plus `x-request-id`, the gateway's
 * id for this request, so the upstream's operator can name it. No identity at all: no token, no
 * subject, no client address (docs/adr/0015-external-upstreams.md says why).
 *
 * @example
 * externalRequestHeaders({ accept: 'application/json', authorization: 'Bearer …', cookie: 'sid=…' }, 'req-1');
 * // { accept: 'application/json', 'x-request-id': 'req-1' }
 */
export function externalRequestHeaders(
  client: Readonly<Record<string, string | readonly string[] | undefined>>,
  requestId: string,
): Record<string, string | string[]> {
  const nominated = new Set<string>();
  const connection = client['connection'];
  for (const value of typeof connection === 'string' ? [connection] : (connection ?? [])) {
    for (const token of value.split(',')) nominated.add(token.trim().toLowerCase());
  }
  const headers: Record<string, string | string[]> = {};
  for (const [field, value] of Object.entries(client)) {
    const name = field.toLowerCase();
    if (value === undefined || NEVER_SENT.has(name) || nominated.has(name)) continue;
    if (NEVER_SENT_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    headers[name] = typeof value === 'string' ? value : [...value];
  }
  headers['x-request-id'] = requestId;
  return headers;
}
