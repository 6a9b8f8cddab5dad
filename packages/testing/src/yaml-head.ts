/** The trust domain of the in-process fixtures' mesh CA, and of {@link yamlHead}. */
export const FIXTURE_TRUST_DOMAIN = 'shop.local';

/** The ports and issuer a rampart.yaml head names. */
export interface YamlHeadPorts {
  readonly gateway: number;
  readonly admin: number;
  readonly identity: number;
  /** The issuer URL (plain HTTP on loopback, allowed by `dangerouslyAllowHttpIssuer`). */
  readonly issuer: string;
}

/**
 * The head of a test rampart.yaml for these ports: version, name, trust domain, ports, issuer.
 * Append `policies:` and `services:` (and any other top-level section) to it.
 *
 * @example
 * const yaml = (ports: YamlHeadPorts) => `${yamlHead(ports)}services:\n  orders:\n    entry: orders.ts\n`;
 */
export function yamlHead(ports: YamlHeadPorts): string {
  return [
    'version: 1',
    'name: shop',
    `trustDomain: ${FIXTURE_TRUST_DOMAIN}`,
    `ports: { gateway: ${ports.gateway}, admin: ${ports.admin}, identity: ${ports.identity} }`,
    'identity:',
    `  issuer: ${ports.issuer}`,
    '  dangerouslyAllowHttpIssuer: true',
    '',
  ].join('\n');
}
