import { createHash } from 'node:crypto';
import { externalServices, parseExternalUrl } from './external-upstream.ts';
import { kubernetesServiceAccountOf } from './kubernetes-workloads.ts';
import {
  EGRESS_PORT_OFFSET,
  platformPorts,
  serviceAdminPort,
  sidecarEgressPort,
  type PlatformPorts,
} from './ports.ts';
import type { ComponentKind } from './component-env.ts';
import type { RampartConfig } from './schema.ts';
import { parseUpstream } from './upstream.ts';

/** The label every selector of `rampart export k8s` matches on: the workload's Kubernetes name. */
export const NAME_LABEL = 'app.kubernetes.io/name';
/** The label naming the workload as rampart.yaml does (`gateway`, `orders`, …). */
export const COMPONENT_LABEL = 'rampart.dev/component';
/** The label naming the installation (rampart.yaml's `name`). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';

/**
 * One workload of the installation as Kubernetes runs it: a platform component or a service of
 * rampart.yaml, with what its manifests are made of. Everything here is derived from rampart.yaml
 * alone, so two exports of one file are identical.
 */
export interface Workload {
  /** `mesh`, `identity`, `audit`, `gateway`, or the service's key under `services`. */
  readonly name: string;
  readonly kind: ComponentKind;
  /** The Kubernetes name of its Deployment or StatefulSet and Service (a DNS-1035 label). */
  readonly resourceName: string;
  /**
   * Its ServiceAccount: the name the mesh authority's `k8s_psat` attestor maps to its SPIFFE ID
   * (`kubernetesServiceAccountOf` of @rampart/config: a service's own name, `rampart-<component>`).
   */
  readonly serviceAccount: string;
  /** The port it serves on (mTLS, or TLS for the gateway's public listener). */
  readonly port: number;
  /** Its plain-HTTP admin port: `/healthz`, `/readyz`, `/metrics`. */
  readonly adminPort: number;
  /** Its own non-zero UID and GID: distinct per workload, stable across exports (see {@link workloadUid}). */
  readonly uid: number;
  /**
   * `persistent`: it keeps state a restart must not lose (the mesh CA's keys; an embedded store),
   * so it is a single-replica StatefulSet with a volume claim. `ephemeral`: its state directory holds
   * only what a new pod rebuilds (its event outbox, caches), an `emptyDir`.
   */
  readonly state: 'persistent' | 'ephemeral';
  readonly replicas: number;
  /** For a service declared with `upstream`: its process, in a container of its own beside the sidecar. */
  readonly sidecar?: SidecarProcess;
}

/** The process behind a sidecar, as its container in the pod sees it. */
export interface SidecarProcess {
  /** Its own UID and GID, distinct from the sidecar's (and every workload's): it cannot read the sidecar's files. */
  readonly uid: number;
  /** Where it listens in the pod (`upstream`: loopback, a port). */
  readonly host: string;
  readonly port: number;
  /** The sidecar's egress port on loopback, its way out to other services. */
  readonly egressPort: number;
}

/** Who talks to whom, inside the namespace or out of it, and on which port. */
export type Peer =
  | { readonly type: 'workload'; readonly name: string }
  | { readonly type: 'internet' }
  | { readonly type: 'dependency'; readonly name: DependencyName }
  /** An HTTPS upstream outside the mesh (`external` of rampart.yaml), which the gateway alone reaches. */
  | { readonly type: 'external'; readonly name: string };

/** What runs outside the namespace: the stores, the cluster's API and DNS, the alert webhook's receiver. */
export type DependencyName =
  'postgresql' | 'redis' | 'nats' | 'kubernetes-api' | 'dns' | 'alert-webhook' | 'otlp-collector';

/** One connection rampart.yaml declares: `from` opens it to `to` on `port`. */
export interface Edge {
  readonly from: Peer;
  readonly to: Peer;
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
  /** Why it exists, in the words of rampart.yaml (shown as a comment beside the rule). */
  readonly reason: string;
}

export interface Topology {
  readonly workloads: readonly Workload[];
  readonly edges: readonly Edge[];
  readonly ports: PlatformPorts;
}

/** The port a URL names, else its scheme's default. */
function urlPort(url: string | undefined, fallback: number): number {
  if (url === undefined) return fallback;
  // A reference such as postgres://u:${env:P}@db:5433/x parses once the reference is out of the way.
  const parsed = URL.parse(url.replace(/\$\{[^}]*\}/gu, 'x'));
  const port = parsed?.port;
  return port === undefined || port === '' ? fallback : Number(port);
}

const UID_BASE = 20_000;
const UID_SPAN = 40_000;
const PLATFORM_UIDS: Readonly<Record<Exclude<ComponentKind, 'service'>, number>> = {
  mesh: 10_001,
  identity: 10_002,
  audit: 10_003,
  gateway: 10_004,
};

/**
 * A service's UID (and GID): 20000 + a hash of its name into 40000 slots, so that adding or
 * removing another service never changes it (a persistent volume's files stay its own). A
 * collision takes the next free slot, in the order of the names.
 */
export function workloadUid(name: string, taken: ReadonlySet<number>): number {
  const hash = createHash('sha256').update(name).digest().readUInt32BE(0);
  for (let i = 0; i < UID_SPAN; i++) {
    const uid = UID_BASE + ((hash + i) % UID_SPAN);
    if (!taken.has(uid)) return uid;
  }
  throw new RangeError('no free UID left for a service');
}

/** The process of a service with `upstream`, with a UID of its own (taken from `taken`); else undefined. */
function sidecarProcessOf(
  name: string,
  service: RampartConfig['services'][string],
  taken: Set<number>,
): SidecarProcess | undefined {
  if (service.upstream === undefined) return undefined;
  const upstream = parseUpstream(service.upstream);
  if (!upstream.ok) throw new TypeError(`services.${name}.upstream ${upstream.reason}`);
  const uid = workloadUid(`${name}/app`, taken);
  taken.add(uid);
  return {
    uid,
    host: upstream.host,
    port: upstream.port,
    egressPort: sidecarEgressPort(service) ?? service.port + EGRESS_PORT_OFFSET,
  };
}

/**
 * A Kubernetes name for a service: `svc-<name>`, shortened with a hash of the name when longer
 * than a DNS-1035 label's 63 characters.
 */
export function serviceResourceName(name: string): string {
  const full = `svc-${name}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/u, '')}-${hash}`;
}

/**
 * The workloads and the call graph of a config, as `rampart export k8s` deploys them.
 *
 * @example
 * const { workloads, edges } = topologyOf(config);
 * edges.filter((edge) => edge.to.type === 'workload' && edge.to.name === 'payments'); // orders → payments
 */
export function topologyOf(config: RampartConfig): Topology {
  const ports = platformPorts(config);
  const sql = config.storage?.sql;
  const postgres = sql?.kind === 'postgres';
  const replicated = postgres ? 2 : 1;
  const taken = new Set<number>(Object.values(PLATFORM_UIDS));
  const services = Object.keys(config.services)
    .sort()
    .map((name): Workload => {
      const service = config.services[name];
      if (service === undefined) throw new TypeError(`no service named '${name}'`);
      const uid = workloadUid(name, taken);
      taken.add(uid);
      const sidecar = sidecarProcessOf(name, service, taken);
      return {
        name,
        kind: 'service',
        resourceName: serviceResourceName(name),
        serviceAccount: kubernetesServiceAccountOf({ kind: 'service', name }),
        port: service.port,
        adminPort: serviceAdminPort(service),
        uid,
        state: postgres ? 'ephemeral' : 'persistent',
        replicas: replicated,
        ...(sidecar === undefined ? {} : { sidecar }),
      };
    });
  const platform = (
    kind: Exclude<ComponentKind, 'service'>,
    port: number,
    adminPort: number,
    state: Workload['state'],
    replicas: number,
  ): Workload => ({
    name: kind,
    kind,
    resourceName: `rampart-${kind}`,
    serviceAccount: `rampart-${kind}`,
    port,
    adminPort,
    uid: PLATFORM_UIDS[kind],
    state,
    replicas,
  });
  const workloads = [
    // The CA's keys are the mesh's own state: one authority, on a volume of its own.
    platform('mesh', ports.mesh, ports.meshAdmin, 'persistent', 1),
    platform(
      'identity',
      ports.identity,
      ports.identityAdmin,
      postgres ? 'ephemeral' : 'persistent',
      replicated,
    ),
    // The ledger is one hash chain with one writer, on PostgreSQL or its own volume.
    platform('audit', ports.audit, ports.auditAdmin, postgres ? 'ephemeral' : 'persistent', 1),
    platform('gateway', ports.gateway, ports.admin, 'ephemeral', 2),
    ...services,
  ];
  return { workloads, edges: edgesOf(config, workloads, ports), ports };
}

function edgesOf(config: RampartConfig, workloads: readonly Workload[], ports: PlatformPorts): Edge[] {
  const workload = (name: string): Peer => ({ type: 'workload', name });
  const portOf = (name: string): number => {
    const found = workloads.find((w) => w.name === name);
    if (found === undefined) throw new TypeError(`no workload named '${name}'`);
    return found.port;
  };
  const edges: Edge[] = [];
  // One edge per connection: a second reason for the same one (the gateway's /audit mount and its
  // events) joins the first rather than making a second rule.
  const add = (
    from: Peer,
    to: Peer,
    port: number,
    reason: string,
    protocol: Edge['protocol'] = 'TCP',
  ): void => {
    const key = (edge: Pick<Edge, 'from' | 'to' | 'port' | 'protocol'>): string =>
      JSON.stringify([edge.from, edge.to, edge.port, edge.protocol]);
    const index = edges.findIndex((edge) => key(edge) === key({ from, to, port, protocol }));
    const existing = edges[index];
    if (existing === undefined) edges.push({ from, to, port, protocol, reason });
    else edges[index] = { ...existing, reason: `${existing.reason}; ${reason}` };
  };
  const storage = config.storage;
  const nats = storage?.nats;
  const natsPort = urlPort(nats?.url, 4222);

  add({ type: 'internet' }, workload('gateway'), ports.gateway, 'the public entry point');
  add(
    workload('gateway'),
    workload('identity'),
    ports.identity,
    'the /auth mount, introspection, revocations',
  );
  add(workload('gateway'), workload('audit'), ports.audit, 'the /audit mount');
  add(workload('audit'), workload('identity'), ports.identity, 'admin-token checks of the /audit API');

  const routed = new Set(
    Object.entries(config.services)
      .filter(([, service]) => (service.routes ?? []).length > 0)
      .map(([name]) => name),
  );
  for (const [callee, service] of Object.entries(config.services).sort(([a], [b]) => a.localeCompare(b))) {
    const callers = new Set(service.callers ?? []);
    if (routed.has(callee)) callers.add('gateway');
    for (const caller of [...callers].sort()) {
      const reason = caller === 'gateway' ? `routes and callers of ${callee}` : `${callee}.callers`;
      add(workload(caller), workload(callee), portOf(callee), reason);
    }
  }

  // Upstreams outside the mesh: the gateway alone reaches them, at any address on their port.
  for (const [name, external] of externalServices(config).sort(([a], [b]) => a.localeCompare(b))) {
    const url = parseExternalUrl(external.url);
    if (!url.ok) throw new TypeError(`external.${name}.url ${url.reason}`);
    add(workload('gateway'), { type: 'external', name }, url.port, `external.${name}: ${url.origin}`);
  }

  for (const w of workloads) {
    if (w.kind !== 'mesh')
      add(workload(w.name), workload('mesh'), ports.mesh, 'joins and renews in the mesh');
  }
  if (nats === undefined) {
    for (const w of workloads) {
      if (w.kind !== 'audit') add(workload(w.name), workload('audit'), ports.audit, 'ships security events');
    }
  } else {
    for (const w of workloads) {
      add(workload(w.name), { type: 'dependency', name: 'nats' }, natsPort, 'security events over JetStream');
    }
  }
  if (storage?.sql?.kind === 'postgres') {
    const port = urlPort(storage.sql.url, 5432);
    for (const w of workloads) {
      if (w.kind === 'identity' || w.kind === 'audit' || w.kind === 'service') {
        add(workload(w.name), { type: 'dependency', name: 'postgresql' }, port, 'its store');
      }
    }
  }
  if (storage?.redis !== undefined) {
    const port = urlPort(storage.redis.url, 6379);
    for (const name of ['gateway', 'identity']) {
      add(workload(name), { type: 'dependency', name: 'redis' }, port, 'rate limits, revocations');
    }
  }
  const webhook = config.audit?.alerts?.webhook;
  if (webhook !== undefined) {
    add(
      workload('audit'),
      { type: 'dependency', name: 'alert-webhook' },
      urlPort(webhook.url, 443),
      'audit.alerts.webhook',
    );
  }
  const traces = config.telemetry?.traces;
  if (traces !== undefined) {
    const port = urlPort(traces.endpoint, traces.endpoint.startsWith('http:') ? 80 : 443);
    for (const w of workloads) {
      add(workload(w.name), { type: 'dependency', name: 'otlp-collector' }, port, 'telemetry.traces');
    }
  }
  add(
    workload('mesh'),
    { type: 'dependency', name: 'kubernetes-api' },
    443,
    'TokenReview of service-account tokens',
  );
  for (const w of workloads) {
    for (const protocol of ['UDP', 'TCP'] as const) {
      add(workload(w.name), { type: 'dependency', name: 'dns' }, 53, 'cluster DNS', protocol);
    }
  }
  return edges;
}

/** The labels of a workload's objects and pods, as `rampart export k8s` writes them. */
export function labelsOf(workload: Workload, config: RampartConfig): Record<string, string> {
  return {
    [NAME_LABEL]: workload.resourceName,
    'app.kubernetes.io/component': workload.kind,
    'app.kubernetes.io/part-of': 'rampart',
    [INSTANCE_LABEL]: config.name,
    'app.kubernetes.io/managed-by': 'rampart-export',
    [COMPONENT_LABEL]: workload.name,
  };
}
