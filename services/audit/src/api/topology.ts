import { routeRateLimits, type RampartConfig, type RateLimitConfig } from '@rampart/config';

export interface TopologyRoute {
  readonly method: string;
  readonly path: string;
  /** The policy's name, or null for a route without one (refused by the gateway). */
  readonly policy: string | null;
  /** The limits the gateway applies to it (its own, else the defaults); `[]` when switched off. */
  readonly rateLimit: readonly RateLimitConfig[];
}

export interface TopologyService {
  readonly name: string;
  /** Who may call it: `gateway` and service names. */
  readonly callers: readonly string[];
  readonly routes: readonly TopologyRoute[];
}

export interface TopologyPolicy {
  readonly scopes?: readonly string[];
  readonly groups?: readonly string[];
  readonly mfa?: boolean;
  readonly public?: true;
  /** The Cedar policy set, as written (policy text holds no secret). */
  readonly cedar?: string;
}

export interface Topology {
  readonly name: string;
  readonly revision: number;
  readonly services: readonly TopologyService[];
  readonly policies: Readonly<Record<string, TopologyPolicy>>;
}

/**
 * The system rampart.yaml declares, as the console draws it: each service with its callers and its
 * routes (method, path, policy, the rate limits in force), and the policies. Built field by field
 * from what is named here — never a copy of the config — so no client secret, storage URL, secret
 * reference, entry file or port can leak out.
 *
 * @example
 * topologyOf(config, 3).services.find((s) => s.name === 'orders')?.callers; // ['gateway']
 */
export function topologyOf(config: RampartConfig, revision: number): Topology {
  const services = Object.entries(config.services).map(([name, service]) => ({
    name,
    callers: [...(service.callers ?? [])],
    routes: (service.routes ?? []).map((route) => ({
      method: route.method,
      path: route.path,
      policy: route.policy ?? null,
      rateLimit: routeRateLimits(config, route).map((limit) => ({ ...limit })),
    })),
  }));
  const policies: Record<string, TopologyPolicy> = {};
  for (const [name, policy] of Object.entries(config.policies ?? {})) {
    policies[name] = {
      ...(policy.scopes === undefined ? {} : { scopes: [...policy.scopes] }),
      ...(policy.groups === undefined ? {} : { groups: [...policy.groups] }),
      ...(policy.mfa === undefined ? {} : { mfa: policy.mfa }),
      ...(policy.public === undefined ? {} : { public: policy.public }),
      ...(policy.cedar === undefined ? {} : { cedar: policy.cedar }),
    };
  }
  return { name: config.name, revision, services, policies };
}
