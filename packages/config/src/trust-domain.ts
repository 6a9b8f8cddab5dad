import type { RampartConfig } from './schema.ts';

/**
 * The SPIFFE trust domain of a deployment: `trustDomain`, or `<name>.local` when unset.
 *
 * @example
 * trustDomainOf(config); // 'shop.local'
 */
export function trustDomainOf(config: RampartConfig): string {
  return config.trustDomain ?? `${config.name}.local`;
}
