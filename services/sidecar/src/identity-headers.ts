import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '@rampart/sdk';

/**
 * Every header whose name starts with this belongs to the sidecar: it removes any a caller sent and
 * sets its own, so a process behind it can trust them (when they come with its proof, below).
 */
export const RAMPART_HEADER_PREFIX = 'x-rampart-';

/** The caller's workload, as a SPIFFE ID (`spiffe://<td>/rampart/gateway`, `spiffe://<td>/service/orders`). */
export const CALLER_HEADER = 'x-rampart-caller';
/** The end user or client the request is for (`sub` of the internal token). */
export const SUBJECT_HEADER = 'x-rampart-subject';
/** `user` or `client`. */
export const SUBJECT_KIND_HEADER = 'x-rampart-subject-kind';
/** The token's scopes, space-separated. */
export const SCOPES_HEADER = 'x-rampart-scopes';
/** The user's groups, each percent-encoded, comma-separated. */
export const GROUPS_HEADER = 'x-rampart-groups';
/** How the user authenticated (`pwd`, `otp`, `hwk`…), comma-separated. */
export const AMR_HEADER = 'x-rampart-amr';
/**
 * The sidecar's per-start secret, on every request it forwards: a process that checks it
 * (`RAMPART_SIDECAR_SECRET` in its environment) refuses anything that did not come through the
 * sidecar, e.g. a local process calling its loopback port directly with forged headers.
 */
export const SIDECAR_PROOF_HEADER = 'x-rampart-sidecar';
/** What the process sends on every request to the egress port: `RAMPART_EGRESS_SECRET`. */
export const EGRESS_SECRET_HEADER = 'x-rampart-egress-secret';

/**
 * Headers that describe one connection, not the request (RFC 9110 §7.6.1), and those the next hop
 * recomputes (`host`, `content-length`) or must not get from a caller (`forwarded`, `x-forwarded-*`:
 * the process would take them for the sidecar's word).
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
  'forwarded',
]);

/** The identity the sidecar verified for one request: the mTLS peer and the internal token. */
export interface VerifiedCaller {
  readonly callerSpiffeId: string;
  readonly principal: Principal;
  /** The per-start proof that the request came through the sidecar. */
  readonly proof: string;
}

export type ForwardHeaders = Record<string, string | string[]>;

/**
 * The headers to send to the process for a request that arrived with `rawHeaders` (Node's flat
 * name/value list, every occurrence kept): the caller's own headers minus hop-by-hop ones, minus
 * any `x-rampart-*` (whatever its case, however often repeated), plus the sidecar's identity
 * headers. Pure, and the one place that decides what the process is told: a property test holds
 * it to never letting a caller-supplied identity header through.
 *
 * @example
 * const headers = forwardHeaders(request.raw.rawHeaders, { callerSpiffeId, principal, proof });
 */
export function forwardHeaders(rawHeaders: readonly string[], caller: VerifiedCaller): ForwardHeaders {
  const headers = copyEndToEnd(rawHeaders, [RAMPART_HEADER_PREFIX]);
  const { principal } = caller;
  headers[CALLER_HEADER] = caller.callerSpiffeId;
  headers[SUBJECT_HEADER] = headerSafe(principal.subject);
  headers[SUBJECT_KIND_HEADER] = principal.kind;
  headers[SCOPES_HEADER] = principal.scopes.map(headerSafe).join(' ');
  headers[GROUPS_HEADER] = principal.groups.map((group) => encodeURIComponent(group)).join(',');
  headers[AMR_HEADER] = principal.amr.map(headerSafe).join(',');
  headers[SIDECAR_PROOF_HEADER] = caller.proof;
  return headers;
}

/**
 * The headers of a request the process sent to the egress port, for the callee: end-to-end ones
 * only, without any `x-rampart-*` (the egress secret stays here) or `authorization` (replaced by
 * the exchanged token).
 */
export function egressHeaders(rawHeaders: readonly string[]): ForwardHeaders {
  return copyEndToEnd(rawHeaders, [RAMPART_HEADER_PREFIX, 'authorization']);
}

/** The headers of an answer to pass back: all but hop-by-hop ones. */
export function responseHeaders(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
): ForwardHeaders {
  const out: ForwardHeaders = {};
  const named = connectionTokens(headers['connection']);
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || (HOP_BY_HOP.has(lower) && lower !== 'content-length') || named.has(lower))
      continue;
    out[lower] = value;
  }
  return out;
}

function copyEndToEnd(rawHeaders: readonly string[], droppedPrefixes: readonly string[]): ForwardHeaders {
  const out: ForwardHeaders = Object.create(null) as ForwardHeaders;
  const connection: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === 'connection') connection.push(rawHeaders[i + 1] ?? '');
  }
  const named = connectionTokens(connection);
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] ?? '').toLowerCase();
    const value = rawHeaders[i + 1] ?? '';
    if (HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('x-forwarded-')) continue;
    if (droppedPrefixes.some((prefix) => name.startsWith(prefix))) continue;
    const previous = out[name];
    out[name] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return { ...out };
}

/** Header names listed in `Connection`, which apply to that connection only. */
function connectionTokens(value: string | readonly string[] | undefined): Set<string> {
  const values = value === undefined ? [] : typeof value === 'string' ? [value] : value;
  return new Set(
    values.flatMap((v) => v.split(',').map((token) => token.trim().toLowerCase())).filter((t) => t !== ''),
  );
}

/**
 * A claim as a header value: kept when it is printable ASCII without spaces or commas (subjects,
 * scopes and amr values are), percent-encoded otherwise, so no claim can end a header or add one.
 */
function headerSafe(value: string): string {
  return /^[\x21-\x2b\x2d-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}
