import {
  gatewayOrigin,
  issuerProblem,
  platformIssuer,
  platformPorts,
  trustDomainOf,
  type RampartConfig,
} from '@rampart/config';
import { isIPv6 } from 'node:net';

/** What the gateway takes from rampart.yaml. */
export interface GatewaySettings {
  readonly trustDomain: string;
  /** Public HTTPS port (`ports.gateway`, 8443). */
  readonly port: number;
  /** The addresses the public port is bound on (`gateway.listen`; default 127.0.0.1 alone). */
  readonly listen: readonly string[];
  /** Admin port (`ports.admin`, 9464): health, readiness, metrics — never public. */
  readonly adminPort: number;
  /** The issuer whose access tokens the gateway accepts. */
  readonly issuer: string;
  /** Where the issuer publishes its keys. */
  readonly jwksUrl: string;
  /**
   * With the issuer on this gateway's own `/auth` mount: the local address its key set is fetched
   * through ({@link localUrl}), so a `gateway.publicUrl` the gateway cannot reach from inside (a
   * load balancer, a cluster's egress policy) does not matter; the request still names the public host.
   */
  readonly jwksConnectTo?: string;
  /** The audience access tokens must name (RFC 8707): this gateway's public origin. */
  readonly audience: string;
  /** Where identity listens on 127.0.0.1 (`ports.identity`, 8444), behind the `/auth` mount. */
  readonly identityPort: number;
  /** Where the audit service listens on 127.0.0.1 (`ports.audit`, 8446), behind the `/audit` mount. */
  readonly auditPort: number;
  /**
   * The host identity is reached at from outside, sent to it as `X-Forwarded-Host` in place of the
   * client's `Host`: the issuer's host when the issuer is served through the `/auth` mount, else
   * the gateway's own. Identity builds absolute URLs (redirects, DPoP `htu`) from it, so a client
   * must not choose it.
   */
  readonly publicHost: string;
  /** `identity.dangerouslyAllowHttpIssuer`: fetch the key set over plain HTTP (tests only). */
  readonly allowHttpIssuer: boolean;
}

/** Where the public port is bound without `gateway.listen`: this host only. */
export const DEFAULT_LISTEN = '127.0.0.1';

/**
 * @throws TypeError for an issuer whose key set the gateway cannot fetch safely — @rampart/config's
 *   `issuerProblem`, the rule `rampart check` applies (https; plain http on loopback only under
 *   `dangerouslyAllowHttpIssuer`).
 * @example
 * const { port, issuer } = gatewaySettings(config); // 8443, 'https://127.0.0.1:8443/auth'
 */
export function gatewaySettings(config: RampartConfig): GatewaySettings {
  const ports = platformPorts(config);
  const origin = gatewayOrigin(config);
  const issuer = platformIssuer(config);
  const allowHttpIssuer = config.identity?.dangerouslyAllowHttpIssuer === true;
  const problem = issuerProblem(issuer, allowHttpIssuer);
  if (problem !== undefined) throw new TypeError(`identity.issuer ${problem.message}: ${problem.fix}`);
  const issuerUrl = new URL(issuer);
  const listen = config.gateway?.listen ?? [DEFAULT_LISTEN];
  const ownMount = issuerUrl.origin === origin && issuerUrl.pathname === '/auth';
  return {
    trustDomain: trustDomainOf(config),
    port: ports.gateway,
    listen,
    adminPort: ports.admin,
    issuer,
    jwksUrl: `${issuer}/jwks`,
    ...(ownMount ? { jwksConnectTo: localUrl({ listen, port: ports.gateway }) } : {}),
    audience: origin,
    identityPort: ports.identity,
    auditPort: ports.audit,
    publicHost:
      issuerUrl.protocol === 'https:' && issuerUrl.pathname === '/auth'
        ? issuerUrl.host
        : new URL(origin).host,
    allowHttpIssuer,
  };
}

/** The public port's URL as this host reaches it: its first address, a wildcard reached on loopback. */
export function localUrl(settings: Pick<GatewaySettings, 'listen' | 'port'>): string {
  const address = settings.listen[0] ?? DEFAULT_LISTEN;
  const host =
    address === '0.0.0.0'
      ? DEFAULT_LISTEN
      : address === '::'
        ? '[::1]'
        : isIPv6(address)
          ? `[${address}]`
          : address;
  return `https://${host}:${settings.port}`;
}
