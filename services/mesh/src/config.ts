import { parseDuration, platformPorts, trustDomainOf, type RampartConfig } from '@rampart/config';
import { DEFAULT_LEAF_TTL_MS } from '@rampart/mesh';

/** What the mesh takes from rampart.yaml. */
export interface MeshSettings {
  /** `trustDomain`, or `<name>.local`. */
  readonly trustDomain: string;
  /** mTLS port (`ports.mesh`, default 8445). */
  readonly port: number;
  /** Plain-HTTP admin port for /healthz and /readyz (`ports.meshAdmin`, default 9445). */
  readonly adminPort: number;
  /** `mesh.certificateTtl` (5m–24h, checked at load), default 1 h. */
  readonly certificateTtlMs: number;
}

/**
 * @example
 * const { trustDomain, port } = meshSettings(config); // 'shop.local', 8445
 */
export function meshSettings(config: RampartConfig): MeshSettings {
  const ports = platformPorts(config);
  return {
    trustDomain: trustDomainOf(config),
    port: ports.mesh,
    adminPort: ports.meshAdmin,
    certificateTtlMs:
      config.mesh?.certificateTtl === undefined
        ? DEFAULT_LEAF_TTL_MS
        : parseDuration(config.mesh.certificateTtl),
  };
}

/**
 * The call graph: may service `caller` obtain a token for service `callee`? Only when `callee` is
 * declared and lists `caller` in its `callers` (default deny: no `callers`, no caller).
 */
export function mayCall(config: RampartConfig, caller: string, callee: string): boolean {
  const entry = Object.hasOwn(config.services, callee) ? config.services[callee] : undefined;
  return entry?.callers?.includes(caller) ?? false;
}

/** Whether `name` is a declared service. */
export function isDeclaredService(config: RampartConfig, name: string): boolean {
  return Object.hasOwn(config.services, name);
}
