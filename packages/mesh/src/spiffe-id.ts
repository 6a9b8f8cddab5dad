import type { PeerCertificate } from 'node:tls';
import { X509Certificate as NodeCryptoX509Certificate } from 'node:crypto';
import { SubjectAlternativeNameExtension, X509Certificate as PeculiarX509Certificate } from './x509.ts';

/** A parsed SPIFFE ID (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md). */
export interface SpiffeId {
  /** The whole ID, `spiffe://<trustDomain><path>`. */
  readonly id: string;
  readonly trustDomain: string;
  /** The path, starting with `/`, never empty, never ending with `/`. */
  readonly path: string;
}

/** Longest SPIFFE ID accepted (the spec's limit for URIs in SANs). */
export const MAX_SPIFFE_ID_LENGTH = 2048;

const SCHEME = 'spiffe://';
const TRUST_DOMAIN = /^[a-z0-9._-]{1,255}$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * Parses a SPIFFE ID strictly: lower-case `spiffe://` scheme, a trust domain of `[a-z0-9._-]`, a
 * non-empty path of `[A-Za-z0-9._-]` segments without `.`, `..`, empty segments or a trailing
 * slash, and no port, user info, query or fragment. Returns null for anything else.
 *
 * @example
 * parseSpiffeId('spiffe://shop.local/service/orders'); // { trustDomain: 'shop.local', path: '/service/orders', ... }
 */
export function parseSpiffeId(uri: string): SpiffeId | null {
  if (typeof uri !== 'string' || uri.length > MAX_SPIFFE_ID_LENGTH || !uri.startsWith(SCHEME)) return null;
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return null;
  const trustDomain = rest.slice(0, slash);
  const path = rest.slice(slash);
  if (!TRUST_DOMAIN.test(trustDomain)) return null;
  const segments = path.slice(1).split('/');
  for (const segment of segments) {
    if (!PATH_SEGMENT.test(segment) || segment === '.' || segment === '..') return null;
  }
  return { id: uri, trustDomain, path };
}

/**
 * The SPIFFE ID of a declared service: `spiffe://<trustDomain>/service/<name>`.
 *
 * @example
 * serviceSpiffeId('shop.local', 'orders'); // 'spiffe://shop.local/service/orders'
 */
export function serviceSpiffeId(trustDomain: string, name: string): string {
  return buildId(trustDomain, 'service', name);
}

/**
 * The SPIFFE ID of a Rampart component (gateway, mesh): `spiffe://<trustDomain>/rampart/<name>`.
 *
 * @example
 * componentSpiffeId('shop.local', 'mesh'); // 'spiffe://shop.local/rampart/mesh'
 */
export function componentSpiffeId(trustDomain: string, name: string): string {
  return buildId(trustDomain, 'rampart', name);
}

/**
 * The service name in `spiffe://<trustDomain>/service/<name>`, or null when the ID is of another
 * trust domain or not a service ID.
 *
 * @example
 * serviceNameOf('spiffe://shop.local/service/orders', 'shop.local'); // 'orders'
 */
export function serviceNameOf(spiffeId: string, trustDomain: string): string | null {
  const parsed = parseSpiffeId(spiffeId);
  if (parsed?.trustDomain !== trustDomain) return null;
  const match = /^\/service\/([a-z][a-z0-9-]{0,62})$/.exec(parsed.path);
  return match?.[1] ?? null;
}

/**
 * The workload name in a service's or a Rampart component's SPIFFE ID of `trustDomain` — `orders`
 * for `…/service/orders`, `gateway` for `…/rampart/gateway` — or null for anything else.
 *
 * @example
 * workloadNameOf('spiffe://shop.local/rampart/identity', 'shop.local'); // 'identity'
 */
export function workloadNameOf(spiffeId: string, trustDomain: string): string | null {
  const parsed = parseSpiffeId(spiffeId);
  if (parsed?.trustDomain !== trustDomain) return null;
  const match = /^\/(?:service|rampart)\/([a-z][a-z0-9-]{0,62})$/.exec(parsed.path);
  return match?.[1] ?? null;
}

function buildId(trustDomain: string, kind: string, name: string): string {
  if (!TRUST_DOMAIN.test(trustDomain)) {
    throw new TypeError(
      `invalid trust domain "${trustDomain}": use lower-case letters, digits, dots, dashes`,
    );
  }
  if (!NAME.test(name)) {
    throw new TypeError(
      `invalid name "${name}": use lower-case letters, digits and dashes, starting with a letter`,
    );
  }
  return `${SCHEME}${trustDomain}/${kind}/${name}`;
}

/** What {@link peerSpiffeId} accepts: a TLS peer certificate or a parsed certificate. */
export type CertificateLike =
  | PeerCertificate
  | NodeCryptoX509Certificate
  | PeculiarX509Certificate
  | { readonly subjectaltname?: string; readonly raw?: Buffer };

/**
 * The SPIFFE ID of a certificate: its URI SAN, when there is exactly one URI SAN and it is a
 * well-formed SPIFFE ID. Returns null otherwise — no URI SAN (a CN or DNS name never counts), two
 * URI SANs, or a URI that is not `spiffe://`. The DER is parsed when available; the
 * `subjectaltname` string is only a fallback, and refused if it holds any quoted value.
 *
 * @example
 * const id = peerSpiffeId(socket.getPeerCertificate()); // 'spiffe://shop.local/service/orders' or null
 */
export function peerSpiffeId(certificate: CertificateLike | null | undefined): string | null {
  if (certificate === null || certificate === undefined || typeof certificate !== 'object') return null;
  const der = derOf(certificate);
  const uris = der === undefined ? urisFromSanString(certificate) : urisFromDer(der);
  if (uris === null || uris.length !== 1) return null;
  const [uri] = uris;
  return uri === undefined ? null : (parseSpiffeId(uri)?.id ?? null);
}

function derOf(certificate: CertificateLike): Uint8Array | undefined {
  if (certificate instanceof PeculiarX509Certificate) return new Uint8Array(certificate.rawData);
  if (certificate instanceof NodeCryptoX509Certificate) return certificate.raw;
  const raw: unknown = (certificate as { raw?: unknown }).raw;
  return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
}

function urisFromDer(der: Uint8Array): string[] | null {
  let parsed: PeculiarX509Certificate;
  try {
    parsed = new PeculiarX509Certificate(der);
  } catch {
    return null;
  }
  const extensions = parsed.getExtensions(SubjectAlternativeNameExtension);
  if (extensions.length === 0) return [];
  if (extensions.length > 1) return null;
  const [san] = extensions;
  if (san === undefined) return [];
  return san.names.items.filter((name) => name.type === 'url').map((name) => name.value);
}

function urisFromSanString(certificate: CertificateLike): string[] | null {
  const san: unknown = (certificate as { subjectaltname?: unknown }).subjectaltname;
  if (san === undefined) return [];
  if (typeof san !== 'string' || san.includes('"')) return null;
  return san
    .split(', ')
    .filter((entry) => entry.startsWith('URI:'))
    .map((entry) => entry.slice('URI:'.length));
}

/**
 * A `checkServerIdentity` for TLS clients: the server's certificate must carry exactly the
 * expected SPIFFE ID (the host name is not checked — identity is the URI SAN only).
 *
 * @example
 * new Agent({ connect: { ca: bundlePem, checkServerIdentity: verifyPeerSpiffeId('spiffe://shop.local/rampart/mesh') } });
 */
export function verifyPeerSpiffeId(
  expected: string,
): (hostname: string, certificate: PeerCertificate) => Error | undefined {
  if (parseSpiffeId(expected) === null) throw new TypeError(`"${expected}" is not a SPIFFE ID`);
  return (_hostname, certificate) => {
    const actual = peerSpiffeId(certificate);
    if (actual === expected) return undefined;
    const error = new Error(`server identity ${actual ?? '(none)'} is not ${expected}`);
    (error as NodeJS.ErrnoException).code = 'ERR_MESH_PEER_IDENTITY';
    return error;
  };
}
