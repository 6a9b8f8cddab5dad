import { platformPorts, trustDomainOf, type RampartConfig } from '@rampart/config';

/** What the gateway takes from rampart.yaml. */
export interface GatewaySettings {
  readonly trustDomain: string;
  /** Public HTTPS port (`ports.gateway`, 8443). */
  readonly port: number;
  /** Admin port (`ports.admin`, 9464): health, readiness, metrics — never public. */
  readonly adminPort: number;
  /** The issuer whose access tokens the gateway accepts. */
  readonly issuer: string;
  /** Where the issuer publishes its keys. */
  readonly jwksUrl: string;
  /** The audience access tokens must name (RFC 8707): this gateway's public origin. */
  readonly audience: string;
  /** `identity.dangerouslyAllowHttpIssuer`: fetch the key set over plain HTTP (tests only). */
  readonly allowHttpIssuer: boolean;
}

/**
 * @example
 * const { port, issuer } = gatewaySettings(config); // 8443, 'https://127.0.0.1:8443/auth'
 */
export function gatewaySettings(config: RampartConfig): GatewaySettings {
  const ports = platformPorts(config);
  const origin = `https://127.0.0.1:${ports.gateway}`;
  const issuer = (config.identity?.issuer ?? `${origin}/auth`).replace(/\/+$/, '');
  return {
    trustDomain: trustDomainOf(config),
    port: ports.gateway,
    adminPort: ports.admin,
    issuer,
    jwksUrl: `${issuer}/jwks`,
    audience: origin,
    allowHttpIssuer: config.identity?.dangerouslyAllowHttpIssuer === true,
  };
}
