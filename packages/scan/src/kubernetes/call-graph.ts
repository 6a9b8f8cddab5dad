import {
  COMPONENT_LABEL,
  INSTANCE_LABEL,
  loadConfig,
  topologyOf,
  type RampartConfig,
  type Topology,
} from '@rampart/config';
import { isRampartConfig } from '../config/config-module.ts';
import type { FindingInput } from '../finding.ts';
import type { ScanContext } from '../scan-module.ts';
import { looksLikeKubernetes, type Manifest } from './manifests.ts';
import { isolates as isolatesFor, selects } from './network-policy-coverage.ts';
import { dig, isRecord, type WorkloadPod } from './workload-pods.ts';

type Direction = 'ingress' | 'egress';
type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A pod template of the export, with the rampart.yaml workload it runs. */
interface Endpoint {
  readonly pod: WorkloadPod;
  readonly workload: string;
}

/** The rule of a NetworkPolicy that lets a connection through, for the finding's location. */
interface Admitting {
  readonly policy: Manifest;
  readonly direction: Direction;
  readonly index: number;
}

/** `undefined`: the pod is not isolated in that direction (anything goes); `[]`: isolated, nothing admits it. */
type Verdict = readonly Admitting[] | undefined;

/**
 * `k8s/undeclared-edge-allowed` and `k8s/declared-edge-blocked`: the NetworkPolicies of the scan,
 * evaluated as a network plugin does (a connection passes when the source's egress and the
 * destination's ingress both allow it: an isolated pod by the union of the rules of the policies
 * selecting it, an unisolated one by default), against the call graph `rampart export k8s` derives
 * from rampart.yaml (`topologyOf` of @rampart/config, the same edges the export writes rules for).
 *
 * The manifests are matched to a rampart.yaml by where they are and by the export's labels: the
 * manifests of a directory holding a rampart.yaml (or below it) are its own (`rampart export k8s`
 * writes one beside them, and two exports in one tree are two installations, not one); the others
 * are every config's. Of those, the pods of a config are the ones whose `app.kubernetes.io/instance`
 * is its `name` and whose `rampart.dev/component` is one of its workloads. Without a valid
 * rampart.yaml, a NetworkPolicy or such pods, there is nothing to compare: no finding.
 */
export async function checkCallGraph(
  manifests: readonly Manifest[],
  pods: readonly WorkloadPod[],
  context: ScanContext,
): Promise<FindingInput[]> {
  if (!manifests.some((m) => m.kind === 'NetworkPolicy')) return [];
  const configs = await rampartConfigs(context);
  const findings: FindingInput[] = [];
  for (const { dir, config } of configs) {
    const owns = (file: string): boolean => {
      const owner = nearestConfigDir(file, configs);
      return owner === undefined || owner === dir;
    };
    const policies = manifests.filter((m) => m.kind === 'NetworkPolicy' && owns(m.file));
    const topology = topologyOf(config);
    const names = new Set(topology.workloads.map((workload) => workload.name));
    const endpoints = pods
      .filter((pod) => owns(pod.manifest.file) && pod.labels[INSTANCE_LABEL] === config.name)
      .map((pod) => ({ pod, workload: pod.labels[COMPONENT_LABEL] ?? '' }))
      .filter((endpoint) => names.has(endpoint.workload));
    if (endpoints.length === 0 || policies.length === 0) continue;
    findings.push(...compare(topology, endpoints, policies));
  }
  return findings;
}

interface LocatedConfig {
  /** The directory of the rampart.yaml, relative to the scan root (`''` at the root). */
  readonly dir: string;
  readonly config: RampartConfig;
}

/** The valid rampart.yaml files of the tree (an invalid one is the config module's to report). */
async function rampartConfigs(context: ScanContext): Promise<LocatedConfig[]> {
  const configs: LocatedConfig[] = [];
  for (const file of context.allFiles) {
    if (!isRampartConfig(file.path)) continue;
    if (looksLikeKubernetes(await context.readText(file))) continue;
    const result = await loadConfig(file.absolute);
    const slash = file.path.lastIndexOf('/');
    if (result.ok) configs.push({ dir: slash < 0 ? '' : file.path.slice(0, slash), config: result.config });
  }
  return configs;
}

/** The directory of the deepest rampart.yaml at or above `file`, if any. */
function nearestConfigDir(file: string, configs: readonly LocatedConfig[]): string | undefined {
  let nearest: string | undefined;
  for (const { dir } of configs) {
    const above = dir === '' || file.startsWith(`${dir}/`);
    if (above && (nearest === undefined || dir.length > nearest.length)) nearest = dir;
  }
  return nearest;
}

function compare(
  topology: Topology,
  endpoints: readonly Endpoint[],
  policies: readonly Manifest[],
): FindingInput[] {
  const declared = new Set<string>();
  const publicPorts = new Set<string>();
  for (const edge of topology.edges) {
    if (edge.to.type !== 'workload') continue;
    if (edge.from.type === 'workload')
      declared.add(`${edge.from.name}>${edge.to.name}:${edge.port}/${edge.protocol}`);
    // From the internet: any source may open it, a pod of the namespace too.
    if (edge.from.type === 'internet') publicPorts.add(`${edge.to.name}:${edge.port}/${edge.protocol}`);
  }
  const findings: FindingInput[] = [];
  const reported = new Set<string>();
  for (const to of endpoints) {
    const workload = topology.workloads.find((candidate) => candidate.name === to.workload);
    const ports = new Set<number>(containerPorts(to.pod));
    if (workload !== undefined) {
      ports.add(workload.port);
      ports.add(workload.adminPort);
    }
    for (const from of endpoints) {
      for (const port of [...ports].sort((a, b) => a - b)) {
        const key = `${from.workload}>${to.workload}:${port}/TCP`;
        if (declared.has(key) || publicPorts.has(`${to.workload}:${port}/TCP`) || reported.has(key)) continue;
        const verdict = connection(policies, from, to, port, 'TCP');
        if (verdict.blockedBy !== undefined) continue;
        reported.add(key);
        const at = verdict.admitting[0];
        const manifest = at?.policy ?? to.pod.manifest;
        const path = at === undefined ? ['metadata', 'name'] : ['spec', at.direction, at.index];
        findings.push({
          ruleId: 'k8s/undeclared-edge-allowed',
          location: { file: manifest.file, ...manifest.position(path) },
          key: `call-graph:${key}`,
          message: `${from.workload} → ${to.workload} :${port}/TCP is let through${at === undefined ? ' (no NetworkPolicy isolates either pod)' : ` by ${manifest.kind} ${manifest.name} (${at.direction} rule ${at.index})`}, but rampart.yaml declares no such call`,
        });
      }
    }
  }
  for (const edge of topology.edges) {
    if (edge.from.type !== 'workload' || edge.to.type !== 'workload') continue;
    const { name: fromName } = edge.from;
    const { name: toName } = edge.to;
    for (const from of endpoints.filter((endpoint) => endpoint.workload === fromName)) {
      for (const to of endpoints.filter((endpoint) => endpoint.workload === toName)) {
        const key = `${fromName}>${toName}:${edge.port}/${edge.protocol}`;
        if (reported.has(key)) continue;
        const direction = connection(policies, from, to, edge.port, edge.protocol).blockedBy;
        if (direction === undefined) continue;
        reported.add(key);
        const side = direction === 'egress' ? from : to;
        // The side's own allow-list (the one with rules in that direction), not the namespace's default deny.
        const isolating = policies.filter((candidate) => isolates(candidate, side.pod, direction));
        const policy =
          isolating.find((candidate) => Array.isArray(dig(candidate.object, ['spec', direction]))) ??
          isolating[0];
        const manifest = policy ?? side.pod.manifest;
        findings.push({
          ruleId: 'k8s/declared-edge-blocked',
          location: {
            file: manifest.file,
            ...manifest.position(policy === undefined ? ['metadata', 'name'] : ['spec', direction]),
          },
          key: `call-graph:${key}`,
          message: `${fromName} → ${toName} :${edge.port}/${edge.protocol} (${edge.reason}) is declared in rampart.yaml but no ${direction} rule of ${direction === 'egress' ? fromName : toName}'s NetworkPolicies admits it`,
        });
      }
    }
  }
  return findings;
}

/** Whether `from` may open `port` on `to`: which side refuses it, else the rules that admit it. */
function connection(
  policies: readonly Manifest[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: Protocol,
): { readonly blockedBy?: Direction; readonly admitting: readonly Admitting[] } {
  const out = verdictOf(policies, 'egress', from.pod, to.pod, port, protocol);
  if (out !== undefined && out.length === 0) return { blockedBy: 'egress', admitting: [] };
  const into = verdictOf(policies, 'ingress', to.pod, from.pod, port, protocol);
  if (into !== undefined && into.length === 0) return { blockedBy: 'ingress', admitting: [] };
  return { admitting: [...(into ?? []), ...(out ?? [])] };
}

/** The rules admitting the connection at `self`'s side (`peer` is the other end). */
function verdictOf(
  policies: readonly Manifest[],
  direction: Direction,
  self: WorkloadPod,
  peer: WorkloadPod,
  port: number,
  protocol: Protocol,
): Verdict {
  const selecting = policies.filter((policy) => isolates(policy, self, direction));
  if (selecting.length === 0) return undefined;
  const admitting: Admitting[] = [];
  for (const policy of selecting) {
    const rules = dig(policy.object, ['spec', direction]);
    if (!Array.isArray(rules)) continue;
    rules.forEach((rule: unknown, index) => {
      if (!isRecord(rule)) return;
      const peers = rule[direction === 'ingress' ? 'from' : 'to'];
      const peerMatches =
        peers === undefined ||
        (Array.isArray(peers) && peers.length === 0) ||
        (Array.isArray(peers) && peers.some((candidate) => peerSelects(candidate, policy, peer)));
      const target = direction === 'ingress' ? self : peer;
      if (peerMatches && portMatches(rule['ports'], target, port, protocol))
        admitting.push({ policy, direction, index });
    });
  }
  return admitting;
}

/** The policy selects the pod and isolates it in that direction. */
function isolates(policy: Manifest, pod: WorkloadPod, direction: Direction): boolean {
  return isolatesFor(policy, pod, direction === 'ingress' ? 'Ingress' : 'Egress');
}

/**
 * A NetworkPolicyPeer against a pod. A namespace is known by its `kubernetes.io/metadata.name`
 * label only (the one Kubernetes sets on every namespace). An `ipBlock` is taken to match: a pod's
 * address is not in its manifest, and many network plugins match pods by address.
 */
function peerSelects(peer: unknown, policy: Manifest, pod: WorkloadPod): boolean {
  if (!isRecord(peer)) return false;
  if (peer['ipBlock'] !== undefined) return true;
  const namespaceSelector = peer['namespaceSelector'];
  const inNamespace =
    namespaceSelector === undefined
      ? pod.manifest.namespace === policy.namespace
      : selects(namespaceSelector, { 'kubernetes.io/metadata.name': pod.manifest.namespace });
  if (!inNamespace) return false;
  return peer['podSelector'] === undefined || selects(peer['podSelector'], pod.labels);
}

/** A rule's `ports` (none: every port) against a port of `target`, a named port by its containers. */
function portMatches(ports: unknown, target: WorkloadPod, port: number, protocol: Protocol): boolean {
  if (ports === undefined || (Array.isArray(ports) && ports.length === 0)) return true;
  if (!Array.isArray(ports)) return false;
  return ports.some((entry: unknown) => {
    if (!isRecord(entry)) return false;
    if ((typeof entry['protocol'] === 'string' ? entry['protocol'] : 'TCP') !== protocol) return false;
    const value = entry['port'];
    if (value === undefined) return true;
    const start =
      typeof value === 'number' ? value : typeof value === 'string' ? namedPort(target, value) : undefined;
    if (start === undefined) return false;
    const end = typeof entry['endPort'] === 'number' ? entry['endPort'] : start;
    return port >= start && port <= end;
  });
}

function namedPort(pod: WorkloadPod, name: string): number | undefined {
  for (const container of containersOf(pod)) {
    const ports = container['ports'];
    if (!Array.isArray(ports)) continue;
    for (const entry of ports as unknown[]) {
      if (isRecord(entry) && entry['name'] === name && typeof entry['containerPort'] === 'number')
        return entry['containerPort'];
    }
  }
  return undefined;
}

function containerPorts(pod: WorkloadPod): number[] {
  return containersOf(pod).flatMap((container) =>
    Array.isArray(container['ports'])
      ? (container['ports'] as unknown[]).flatMap((entry) =>
          isRecord(entry) && typeof entry['containerPort'] === 'number' ? [entry['containerPort']] : [],
        )
      : [],
  );
}

function containersOf(pod: WorkloadPod): Record<string, unknown>[] {
  const containers = pod.spec['containers'];
  return Array.isArray(containers) ? (containers as unknown[]).filter(isRecord) : [];
}
