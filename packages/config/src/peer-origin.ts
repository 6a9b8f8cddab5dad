import { isIPv6 } from 'node:net';
import {
  componentEnv,
  LOOPBACK_HOST,
  readListenHost,
  readPeerHosts,
  type Environment,
} from './component-env.ts';

/**
 * The address this process binds its mTLS and admin ports on: `RAMPART_LISTEN_HOST` of the
 * component contract, `127.0.0.1` when unset (a component run by `rampart up` without
 * `--rehearse-cluster`, or in a test). The gateway's public port is not one of them: it keeps
 * `gateway.listen`; nor is a sidecar's egress port, which stays on loopback (its process is beside it).
 *
 * @throws TypeError naming the variable when it is not an IP address.
 * @example
 * await app.listen({ host: listenHost(), port }); // '0.0.0.0' in a Kubernetes pod
 */
export function listenHost(env: Environment = process.env): string {
  return readListenHost(env);
}

let cached:
  | {
      readonly env: Environment;
      readonly raw: string | undefined;
      readonly hosts: Readonly<Record<string, string>>;
    }
  | undefined;

/**
 * The origin at which this process reaches `peer` (a platform component — `mesh`, `identity`,
 * `audit` — or a service of rampart.yaml) on `port`: `https://<host>:<port>`, the host from
 * `RAMPART_PEER_HOSTS`, `127.0.0.1` for a peer it does not name. The one place a peer's address
 * is made. The host says only where to connect: every caller still requires the peer's SPIFFE ID
 * of its certificate (`verifyPeerSpiffeId`), which a name, or whoever answers at it, cannot fake.
 *
 * @throws TypeError naming the variable when it is not a valid peer map.
 * @example
 * peerOrigin('identity', 8444); // 'https://rampart-identity.shop.svc:8444' on Kubernetes, else 'https://127.0.0.1:8444'
 */
export function peerOrigin(peer: string, port: number, env: Environment = process.env): string {
  const hosts = peerHostsOf(env);
  const host = (Object.hasOwn(hosts, peer) ? hosts[peer] : undefined) ?? LOOPBACK_HOST;
  return `https://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** The map, parsed once per value of the variable (the gateway asks on every forwarded request). */
function peerHostsOf(env: Environment): Readonly<Record<string, string>> {
  const raw = env[componentEnv.peerHosts.name];
  if (cached?.env === env && cached.raw === raw) return cached.hosts;
  const hosts = readPeerHosts(env);
  cached = { env, raw, hosts };
  return hosts;
}
