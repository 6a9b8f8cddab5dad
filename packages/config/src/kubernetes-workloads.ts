import type { RampartConfig } from './schema.ts';

/**
 * How Rampart's workloads are named on Kubernetes — the one table `rampart export k8s` (which
 * creates the ServiceAccounts) and the mesh authority's `k8s_psat` attestor (which maps a verified
 * ServiceAccount to a SPIFFE ID) both read, so the two cannot drift apart.
 *
 * - a service `<name>` of rampart.yaml runs as ServiceAccount `<name>`;
 * - the platform components gateway, identity and audit run as `rampart-<component>`;
 * - the mesh authority runs as `rampart-mesh` and is no workload of its own mesh (it joins nothing).
 *
 * A service may not be named `rampart-…` (`CFG_RESERVED_NAME`), so no service can take a
 * component's ServiceAccount.
 */

/** The audience of the projected token a pod joins the mesh with (`mesh.kubernetes.audience`'s default). */
export const KUBERNETES_MESH_AUDIENCE = 'rampart-mesh';
/** Where `rampart export k8s` mounts that token in every pod (`componentEnv.meshPsatFile`). */
export const KUBERNETES_MESH_TOKEN_PATH = '/var/run/secrets/rampart/mesh-token';
/** ServiceAccount names of the platform's components start with this; services may not. */
export const KUBERNETES_COMPONENT_PREFIX = 'rampart-';
/** The components that join the mesh (the mesh authority issues, it does not join). */
export const MESH_COMPONENTS = ['gateway', 'identity', 'audit'] as const;
export type MeshComponent = (typeof MESH_COMPONENTS)[number];

/** A workload a ServiceAccount stands for. */
export type KubernetesWorkload =
  | { readonly kind: 'service'; readonly name: string }
  | { readonly kind: 'component'; readonly name: MeshComponent };

/** What rampart.yaml says about the mesh on Kubernetes, with defaults applied. */
export interface KubernetesMeshSettings {
  /** The one namespace whose ServiceAccounts may join. */
  readonly namespace: string;
  /** The audience the projected token must carry. */
  readonly audience: string;
}

/**
 * `mesh.kubernetes` with its defaults, or `undefined` when the mesh does not accept Kubernetes
 * service-account tokens.
 *
 * @example
 * kubernetesMeshSettings(config); // { namespace: 'shop', audience: 'rampart-mesh' }
 */
export function kubernetesMeshSettings(config: RampartConfig): KubernetesMeshSettings | undefined {
  const kubernetes = config.mesh?.kubernetes;
  if (kubernetes === undefined) return undefined;
  return { namespace: kubernetes.namespace, audience: kubernetes.audience ?? KUBERNETES_MESH_AUDIENCE };
}

/**
 * The ServiceAccount name a workload runs as.
 *
 * @example
 * kubernetesServiceAccountOf({ kind: 'service', name: 'orders' }); // 'orders'
 * kubernetesServiceAccountOf({ kind: 'component', name: 'gateway' }); // 'rampart-gateway'
 */
export function kubernetesServiceAccountOf(workload: KubernetesWorkload): string {
  return workload.kind === 'service' ? workload.name : `${KUBERNETES_COMPONENT_PREFIX}${workload.name}`;
}

/**
 * Every ServiceAccount that may join the mesh, and the workload it stands for: the declared
 * services and the three joining components. Built from rampart.yaml alone — never from a name a
 * workload claims. A service named like a component's account is left out (and refused by
 * `CFG_RESERVED_NAME`), so a mapping is never ambiguous.
 *
 * @example
 * kubernetesWorkloads(config).get('orders'); // { kind: 'service', name: 'orders' }
 * kubernetesWorkloads(config).get('rampart-mesh'); // undefined
 */
export function kubernetesWorkloads(config: RampartConfig): ReadonlyMap<string, KubernetesWorkload> {
  const table = new Map<string, KubernetesWorkload>();
  for (const name of MESH_COMPONENTS) {
    const workload: KubernetesWorkload = { kind: 'component', name };
    table.set(kubernetesServiceAccountOf(workload), workload);
  }
  for (const name of Object.keys(config.services)) {
    if (name.startsWith(KUBERNETES_COMPONENT_PREFIX)) continue;
    table.set(name, { kind: 'service', name });
  }
  return table;
}
