import { isIPv6 } from 'node:net';
import { LOOPBACK_HOST, type RampartConfig } from '@rampart/config';

/**
 * Where each component `rampart up` starts listens and is reached. Ordinarily all on 127.0.0.1.
 * Under `--rehearse-cluster`, each on a loopback address of its own, as a cluster gives each pod
 * its own: the same `RAMPART_LISTEN_HOST` and `RAMPART_PEER_HOSTS` wiring `rampart export k8s`
 * writes, rehearsed on one machine (Linux routes all of 127.0.0.0/8 to `lo`), so a component
 * that listens or dials on 127.0.0.1 where it should not fails here rather than on a cluster.
 */
export interface ComponentHosts {
  /** True under `--rehearse-cluster`. */
  readonly rehearsal: boolean;
  /** The address component `name` binds its mTLS and admin ports on. */
  hostOf(name: string): string;
  /** `RAMPART_PEER_HOSTS`: every component not on 127.0.0.1, by name (empty outside the rehearsal). */
  readonly peers: Readonly<Record<string, string>>;
}

/** The rehearsal's addresses: the platform's, then services from 127.0.0.10 in the order of their names. */
export const REHEARSAL_HOSTS = {
  mesh: '127.0.0.2',
  identity: '127.0.0.3',
  audit: '127.0.0.4',
  gateway: '127.0.0.5',
};
const FIRST_SERVICE_OCTET = 10;
const LAST_OCTET = 254;

/**
 * The hosts of `config`'s components: 127.0.0.1 for all, or with `rehearse` 127.0.0.2 (mesh),
 * .3 (identity), .4 (audit), .5 (the gateway's admin port; its public port keeps `gateway.listen`),
 * and 127.0.0.10, .11, … for the services in the order of their names.
 *
 * @throws TypeError when rehearsing more services than 127.0.0.10–254 holds, or not on Linux
 *   (elsewhere only 127.0.0.1 is on the loopback interface).
 * @example
 * componentHosts(config, true).hostOf('identity'); // '127.0.0.3'
 */
export function componentHosts(
  config: RampartConfig,
  rehearse: boolean,
  platform: NodeJS.Platform = process.platform,
): ComponentHosts {
  if (!rehearse) return { rehearsal: false, hostOf: () => LOOPBACK_HOST, peers: {} };
  if (platform !== 'linux') {
    throw new TypeError(
      `--rehearse-cluster needs Linux, which routes all of 127.0.0.0/8 to the loopback interface; ${platform} has 127.0.0.1 alone`,
    );
  }
  const services = Object.keys(config.services).sort();
  if (FIRST_SERVICE_OCTET + services.length - 1 > LAST_OCTET) {
    throw new TypeError(
      `--rehearse-cluster gives each service an address of 127.0.0.${FIRST_SERVICE_OCTET}–${LAST_OCTET}: ${services.length} services do not fit`,
    );
  }
  const peers: Record<string, string> = { ...REHEARSAL_HOSTS };
  services.forEach((name, index) => {
    peers[name] = `127.0.0.${FIRST_SERVICE_OCTET + index}`;
  });
  return {
    rehearsal: true,
    hostOf: (name) => (Object.hasOwn(peers, name) ? peers[name] : undefined) ?? LOOPBACK_HOST,
    peers,
  };
}

/** `<scheme>://<host>:<port>`, an IPv6 host in brackets: a component's own URL, for the supervisor. */
export function hostUrl(scheme: 'http' | 'https', host: string, port: number): string {
  return `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}
