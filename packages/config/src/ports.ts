import type { RampartConfig, ServiceConfig } from './schema.ts';

/** Where each platform component listens when `ports` does not say otherwise. */
export const DEFAULT_PORTS = {
  gateway: 8443,
  admin: 9464,
  identity: 8444,
  identityAdmin: 9444,
  mesh: 8445,
  meshAdmin: 9445,
  audit: 8446,
  auditAdmin: 9446,
} as const;

export type PlatformPorts = { readonly [K in keyof typeof DEFAULT_PORTS]: number };

/** A service's admin port (health, readiness, metrics) when it sets none: its port + 1000. */
export const ADMIN_PORT_OFFSET = 1000;

/**
 * The ports of the platform's own components, defaults filled in.
 *
 * @example
 * const { mesh } = platformPorts(config); // 8445 unless `ports.mesh` is set
 */
export function platformPorts(config: RampartConfig): PlatformPorts {
  return { ...DEFAULT_PORTS, ...config.ports };
}

/**
 * The gateway's public origin: `gateway.publicUrl`, else `https://127.0.0.1:<ports.gateway>`. What
 * API tokens name as audience, the default issuer's base, the console's redirect URIs and the
 * origin DPoP proofs must name (`htu`).
 *
 * @example
 * gatewayOrigin(config); // 'https://api.example.com' with `gateway.publicUrl`, else 'https://127.0.0.1:8443'
 */
export function gatewayOrigin(config: RampartConfig): string {
  return config.gateway?.publicUrl ?? `https://127.0.0.1:${platformPorts(config).gateway}`;
}

/** The issuer: `identity.issuer`, else identity behind the gateway's `/auth` mount; no trailing slash. */
export function platformIssuer(config: RampartConfig): string {
  return (config.identity?.issuer ?? `${gatewayOrigin(config)}/auth`).replace(/\/+$/u, '');
}

/**
 * Where a service serves /healthz, /readyz and /metrics: plain HTTP on loopback, apart from its
 * mTLS port so probes and scrapers need no workload certificate.
 */
export function serviceAdminPort(service: ServiceConfig): number {
  return service.adminPort ?? service.port + ADMIN_PORT_OFFSET;
}

/** A sidecar's egress port (the process's way out to other services) when it sets none: its port + 2000. */
export const EGRESS_PORT_OFFSET = 2000;

/**
 * Where the sidecar of a service with `upstream` takes the process's outgoing calls: plain HTTP on
 * loopback, `egressPort` or port + 2000. Undefined for a service built on the SDK.
 */
export function sidecarEgressPort(service: ServiceConfig): number | undefined {
  if (service.upstream === undefined) return undefined;
  return service.egressPort ?? service.port + EGRESS_PORT_OFFSET;
}

/** The platform components `rampart up` can run several processes of. */
export type ReplicatedComponent = 'gateway' | 'identity';

/** How far apart the admin ports of two successive replicas are: clear of the defaults' 9444–9464 cluster. */
export const REPLICA_ADMIN_PORT_STEP = 100;

/**
 * How many processes of `component` run (`gateway.replicas`, `identity.replicas`; default 1).
 *
 * @example
 * replicaCount(config, 'gateway'); // 2 with `gateway: { replicas: 2 }`
 */
export function replicaCount(config: RampartConfig, component: ReplicatedComponent): number {
  return config[component]?.replicas ?? 1;
}

/**
 * The admin port of replica `replica` (1-based) of a component whose admin port is `base`: the
 * first keeps `base`, replica k serves at `base + 100·(k−1)` (the gateway's 9464, 9564, …;
 * identity's 9444, 9544, …).
 *
 * @example
 * replicaAdminPort(9464, 2); // 9564
 */
export function replicaAdminPort(base: number, replica: number): number {
  return base + REPLICA_ADMIN_PORT_STEP * (replica - 1);
}

/** The admin port of every replica of `component`, the first (the configured one) first. */
export function replicaAdminPorts(config: RampartConfig, component: ReplicatedComponent): number[] {
  const base = component === 'gateway' ? platformPorts(config).admin : platformPorts(config).identityAdmin;
  return Array.from({ length: replicaCount(config, component) }, (_, i) => replicaAdminPort(base, i + 1));
}

/**
 * The name `rampart up` gives a replica: the component's own for the first (`gateway`, so its
 * state directory, log and user stay those of a single process), `<component>-<k>` for the others.
 *
 * @example
 * replicaName('gateway', 2); // 'gateway-2'
 */
export function replicaName(component: ReplicatedComponent, replica: number): string {
  return replica === 1 ? component : `${component}-${replica}`;
}
