import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIoK8sApiNetworkingV1NetworkPolicyEgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { IIoK8sApiNetworkingV1NetworkPolicyIngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import {
  labelsOf,
  NAME_LABEL,
  type DependencyName,
  type Edge,
  type Peer,
  type RampartConfig,
  type Topology,
  type Workload,
} from '@rampart/config';

/** The cluster DNS pods, as kubeadm, GKE, EKS and AKS label them. */
const DNS_PEER: IIoK8sApiNetworkingV1NetworkPolicyPeer = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};

/**
 * A dependency outside the namespace, known only by its port: its address is in a Secret, not in
 * rampart.yaml (or, for an external upstream, a host name a NetworkPolicy cannot match). Any address
 * (and any pod of the cluster: some network plugins never match pods by address) on exactly that
 * port. Narrow it with a kustomize patch once you know where it runs.
 */
const ANYWHERE: readonly IIoK8sApiNetworkingV1NetworkPolicyPeer[] = [
  { ipBlock: { cidr: '0.0.0.0/0' } },
  { ipBlock: { cidr: '::/0' } },
  { namespaceSelector: {} },
];

/** The API server: 443 on the `kubernetes` Service, 6443 behind it where the plugin sees the translated address. */
const API_SERVER_PORTS = [443, 6443] as const;

function peerOf(
  peer: Exclude<Peer, { type: 'internet' }>,
  workloads: readonly Workload[],
): IIoK8sApiNetworkingV1NetworkPolicyPeer[] {
  if (peer.type === 'workload') {
    const workload = workloads.find((candidate) => candidate.name === peer.name);
    if (workload === undefined) throw new TypeError(`no workload named '${peer.name}'`);
    return [{ podSelector: { matchLabels: { [NAME_LABEL]: workload.resourceName } } }];
  }
  return peer.type === 'dependency' && peer.name === 'dns' ? [DNS_PEER] : [...ANYWHERE];
}

function portsOf(edge: Edge): { port: number; protocol: 'TCP' | 'UDP' }[] {
  const isApi = edge.to.type === 'dependency' && edge.to.name === ('kubernetes-api' satisfies DependencyName);
  return isApi
    ? API_SERVER_PORTS.map((port) => ({ port, protocol: edge.protocol }))
    : [{ port: edge.port, protocol: edge.protocol }];
}

/**
 * The namespace's NetworkPolicies: deny every connection in and out, then, per workload, one
 * ingress rule for each declared edge that ends at it and one egress rule for each that starts at
 * it — nothing else. The call graph of rampart.yaml is the firewall.
 *
 * @example
 * const policies = networkPolicies(topologyOf(config), config); // [default-deny, rampart-mesh, …]
 */
export function networkPolicies(topology: Topology, config: RampartConfig): INetworkPolicy[] {
  const { workloads, edges } = topology;
  const policies: INetworkPolicy[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', labels: { 'app.kubernetes.io/part-of': 'rampart' } },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
  ];
  for (const workload of workloads) {
    const ingress: IIoK8sApiNetworkingV1NetworkPolicyIngressRule[] = [];
    const egress: IIoK8sApiNetworkingV1NetworkPolicyEgressRule[] = [];
    for (const edge of edges) {
      if (edge.to.type === 'workload' && edge.to.name === workload.name) {
        // From the internet: a rule with no `from` admits every source.
        ingress.push(
          edge.from.type === 'internet'
            ? { ports: portsOf(edge) }
            : { from: peerOf(edge.from, workloads), ports: portsOf(edge) },
        );
      }
      if (edge.from.type === 'workload' && edge.from.name === workload.name && edge.to.type !== 'internet') {
        egress.push({ to: peerOf(edge.to, workloads), ports: portsOf(edge) });
      }
    }
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: workload.resourceName, labels: labelsOf(workload, config) },
      spec: {
        podSelector: { matchLabels: { [NAME_LABEL]: workload.resourceName } },
        policyTypes: ['Ingress', 'Egress'],
        ingress,
        egress,
      },
    });
  }
  return policies;
}

/** A one-line description of an edge, for the comment above its rule. */
export function describeEdge(edge: Edge): string {
  const name = (peer: Peer): string =>
    peer.type === 'internet'
      ? 'the internet'
      : peer.type === 'external'
        ? `external ${peer.name} (outside the mesh)`
        : peer.name;
  return `${name(edge.from)} → ${name(edge.to)} :${portsOf(edge)
    .map((port) => port.port)
    .join(',')}/${edge.protocol} (${edge.reason})`;
}
