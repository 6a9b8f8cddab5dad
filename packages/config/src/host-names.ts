import { isIP } from 'node:net';

/** A component's or a service's name (`services` keys of rampart.yaml). */
const PEER_NAME = /^[a-z][a-z0-9-]{0,62}$/u;

/** One DNS label: letters, digits and `-`, not at either end, 1 to 63 characters. */
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/iu;

/**
 * Why `host` cannot name a peer, else `undefined`: a peer is reached at a DNS name (a Kubernetes
 * Service's `rampart-identity.shop.svc`) or an IP literal (IPv6 without brackets), and nothing else —
 * no scheme, port, path, user info or trailing dot. A name is only where to connect: the peer's
 * certificate must still carry its SPIFFE ID.
 *
 * @example
 * hostProblem('rampart-identity.shop.svc'); // undefined
 * hostProblem('https://identity:8444');     // 'is not a host name or an IP address (…)'
 */
export function hostProblem(host: string): string | undefined {
  if (isIP(host) !== 0) return undefined;
  const labels = host.split('.');
  const name = host.length <= 253 && labels.every((label) => LABEL.test(label));
  // A last label of digits only would be an IPv4 address written wrong (10.0.0.300), not a name.
  if (name && !/^\d+$/u.test(labels.at(-1) ?? '')) return undefined;
  return 'is not a host name or an IP address (no scheme, port, path or brackets)';
}

/**
 * Why `address` cannot be listened on, else `undefined`: an IP literal only — a host name would
 * bind whatever it resolves to.
 *
 * @example
 * listenHostProblem('0.0.0.0'); // undefined
 * listenHostProblem('localhost'); // 'is not an IP address'
 */
export function listenHostProblem(address: string): string | undefined {
  return isIP(address) === 0 ? 'is not an IP address' : undefined;
}

/**
 * The first entry of a peer map whose host {@link hostProblem} refuses, described by its name (the
 * value is not echoed), else `undefined`.
 *
 * @example
 * peerHostsProblem({ identity: 'identity:8444' }); // 'the entry "identity" is not a host name …'
 */
export function peerHostsProblem(hosts: Readonly<Record<string, string>>): string | undefined {
  for (const [name, host] of Object.entries(hosts)) {
    if (!PEER_NAME.test(name))
      return 'an entry is named by no component or service name (lower-case, e.g. identity, orders)';
    const problem = hostProblem(host);
    if (problem !== undefined) return `the entry "${name}" ${problem}`;
  }
  return undefined;
}
