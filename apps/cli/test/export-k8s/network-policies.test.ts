// The NetworkPolicies are the call graph: evaluated here as a network plugin would (default deny,
// then the union of every policy selecting a pod), every edge rampart.yaml declares has exactly one
// egress rule at its source and one ingress rule at its destination, and no connection that is not
// declared — between any two workloads, from the internet, or out to any address — on any port
// the installation uses is let through.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { IIoK8sApiNetworkingV1NetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { RampartConfig } from '@rampart/config';
import { networkPolicies } from '../../src/export/k8s/network-policies.ts';
import { NAME_LABEL, topologyOf, type Edge, type Peer, type Topology } from '@rampart/config';
import { scaledConfig, shopConfig } from './exports.ts';

const NAMESPACE = 'rampart-test';

/** Something at the end of a connection: a pod (namespace and labels) or an address outside the cluster. */
interface Endpoint {
  readonly key: string;
  readonly namespace?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly ip: string;
}

function workloadEndpoint(topology: Topology, name: string): Endpoint {
  const workload = topology.workloads.find((candidate) => candidate.name === name);
  assert.ok(workload);
  return {
    key: name,
    namespace: { 'kubernetes.io/metadata.name': NAMESPACE },
    labels: { [NAME_LABEL]: workload.resourceName },
    ip: '10.0.0.1',
  };
}
const DNS: Endpoint = {
  key: 'dns',
  namespace: { 'kubernetes.io/metadata.name': 'kube-system' },
  labels: { 'k8s-app': 'kube-dns' },
  ip: '10.96.0.10',
};
const OUTSIDE: Endpoint = { key: 'outside', ip: '203.0.113.7' };
const OUTSIDE_V6: Endpoint = { key: 'outside', ip: '2001:db8::7' };

function matches(
  selector: { matchLabels?: Record<string, string> } | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  return Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function peerMatches(peer: IIoK8sApiNetworkingV1NetworkPolicyPeer, endpoint: Endpoint): boolean {
  if (peer.ipBlock !== undefined) {
    const cidr = peer.ipBlock.cidr;
    // Only the two catch-all blocks are written; anything else would need a real CIDR match.
    assert.ok(cidr === '0.0.0.0/0' || cidr === '::/0', `unexpected CIDR ${cidr}`);
    return endpoint.ip.includes(':') === (cidr === '::/0');
  }
  if (endpoint.labels === undefined || endpoint.namespace === undefined) return false;
  const namespaceOk =
    peer.namespaceSelector === undefined
      ? endpoint.namespace['kubernetes.io/metadata.name'] === NAMESPACE
      : matches(peer.namespaceSelector, endpoint.namespace);
  return namespaceOk && (peer.podSelector === undefined || matches(peer.podSelector, endpoint.labels));
}

function portMatches(
  ports: readonly IIoK8sApiNetworkingV1NetworkPolicyPort[] | undefined,
  port: number,
  protocol: string,
): boolean {
  return ports === undefined || ports.some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol);
}

/** How many rules of the policies selecting `pod` let `other` in (ingress) or `pod` out to it (egress). */
function rulesAllowing(
  policies: readonly INetworkPolicy[],
  direction: 'ingress' | 'egress',
  pod: Endpoint,
  other: Endpoint,
  port: number,
  protocol: string,
): number {
  let count = 0;
  for (const policy of policies) {
    const spec = policy.spec;
    assert.ok(spec);
    if (pod.labels === undefined || !matches(spec.podSelector, pod.labels)) continue;
    if (direction === 'ingress') {
      for (const rule of spec.ingress ?? []) {
        if (
          (rule.from === undefined || rule.from.some((peer) => peerMatches(peer, other))) &&
          portMatches(rule.ports, port, protocol)
        )
          count++;
      }
    } else {
      for (const rule of spec.egress ?? []) {
        if (
          (rule.to === undefined || rule.to.some((peer) => peerMatches(peer, other))) &&
          portMatches(rule.ports, port, protocol)
        )
          count++;
      }
    }
  }
  return count;
}

function inNamespace(endpoint: Endpoint): boolean {
  return endpoint.namespace?.['kubernetes.io/metadata.name'] === NAMESPACE;
}

/** Whether a connection from `from` to `to` gets through: egress at a source in the namespace, ingress at a destination in it. */
function allowed(
  policies: readonly INetworkPolicy[],
  from: Endpoint,
  to: Endpoint,
  port: number,
  protocol: string,
): boolean {
  const out = !inNamespace(from) || rulesAllowing(policies, 'egress', from, to, port, protocol) > 0;
  const into = !inNamespace(to) || rulesAllowing(policies, 'ingress', to, from, port, protocol) > 0;
  return out && into;
}

function endpointOf(topology: Topology, peer: Peer): Endpoint {
  if (peer.type === 'workload') return workloadEndpoint(topology, peer.name);
  if (peer.type === 'internet') return OUTSIDE;
  return peer.name === 'dns' ? DNS : OUTSIDE;
}

/** Declared connections as `from>to:port/protocol`, the API server's translated port included. */
function declared(topology: Topology): Set<string> {
  const keys = new Set<string>();
  for (const edge of topology.edges) {
    const from = endpointOf(topology, edge.from).key;
    const to = endpointOf(topology, edge.to).key;
    keys.add(`${from}>${to}:${edge.port}/${edge.protocol}`);
    if (edge.to.type === 'dependency' && edge.to.name === 'kubernetes-api')
      keys.add(`${from}>${to}:6443/${edge.protocol}`);
  }
  return keys;
}

function check(name: string, config: RampartConfig): void {
  describe(`${name}: the NetworkPolicies are exactly the declared call graph`, () => {
    const topology = topologyOf(config);
    const policies = networkPolicies(topology, config);
    const workloads = topology.workloads.map((workload) => workloadEndpoint(topology, workload.name));

    it('denies everything by default, in and out', () => {
      const deny = policies.find((policy) => policy.metadata?.name === 'default-deny');
      assert.deepEqual(deny?.spec, { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    });

    for (const edge of topology.edges) {
      const from = endpointOf(topology, edge.from);
      const to = endpointOf(topology, edge.to);
      it(`one rule lets ${from.key} → ${to.key} :${edge.port}/${edge.protocol} through (${edge.reason})`, () => {
        if (inNamespace(from))
          assert.equal(
            rulesAllowing(policies, 'egress', from, to, edge.port, edge.protocol),
            1,
            'egress rules',
          );
        if (inNamespace(to))
          assert.equal(
            rulesAllowing(policies, 'ingress', to, from, edge.port, edge.protocol),
            1,
            'ingress rules',
          );
        assert.ok(allowed(policies, from, to, edge.port, edge.protocol));
      });
    }

    it('lets no undeclared connection through, on any port the installation uses', () => {
      const expected = declared(topology);
      const ports = new Set<number>([53, 443, 6443]);
      for (const edge of topology.edges) ports.add(edge.port);
      for (const workload of topology.workloads) {
        ports.add(workload.port);
        ports.add(workload.adminPort);
      }
      const sources = [...workloads, OUTSIDE, OUTSIDE_V6];
      const destinations = [...workloads, DNS, OUTSIDE, OUTSIDE_V6];
      const undeclared: string[] = [];
      let checked = 0;
      for (const from of sources) {
        for (const to of destinations) {
          if (!inNamespace(from) && !inNamespace(to)) continue;
          for (const port of ports) {
            for (const protocol of ['TCP', 'UDP']) {
              checked++;
              // A dependency's address is in a Secret, not in rampart.yaml: its rule admits any address
              // outside the namespace on its port, the cluster DNS pods too. Only DNS on 53 is DNS.
              const toKey = inNamespace(to) || (to.key === 'dns' && port === 53) ? to.key : 'outside';
              const key = `${from.key}>${toKey}:${port}/${protocol}`;
              if (allowed(policies, from, to, port, protocol) && !expected.has(key)) undeclared.push(key);
            }
          }
        }
      }
      assert.deepEqual(undeclared, []);
      assert.ok(checked > 1000, `only ${checked} connections checked`);
    });

    it('admits the internet at the gateway only, on its public port only', () => {
      for (const to of workloads) {
        for (const port of [...new Set(topology.workloads.flatMap((w) => [w.port, w.adminPort]))]) {
          const ok = allowed(policies, OUTSIDE, to, port, 'TCP');
          assert.equal(ok, to.key === 'gateway' && port === topology.ports.gateway, `${to.key}:${port}`);
        }
      }
    });
  });
}

check('the shop', shopConfig().config);
check('a config on PostgreSQL, Redis and NATS', scaledConfig());

describe('the evaluation catches a policy that is not the graph', () => {
  const { config } = shopConfig();
  const topology = topologyOf(config);

  it('a missing rule leaves a declared edge without one', () => {
    const policies = structuredClone(networkPolicies(topology, config));
    const payments = policies.find((policy) => policy.metadata?.name === 'svc-payments');
    assert.ok(payments?.spec?.ingress);
    payments.spec.ingress = payments.spec.ingress.filter(
      (rule) => !rule.from?.some((peer) => peer.podSelector?.matchLabels?.[NAME_LABEL] === 'svc-orders'),
    );
    const orders = workloadEndpoint(topology, 'orders');
    const target = workloadEndpoint(topology, 'payments');
    const port = topology.workloads.find((w) => w.name === 'payments')?.port ?? 0;
    assert.equal(allowed(policies, orders, target, port, 'TCP'), false);
  });

  it('an extra rule lets an undeclared edge through (profiles → payments)', () => {
    const policies = structuredClone(networkPolicies(topology, config));
    const profiles = workloadEndpoint(topology, 'profiles');
    const payments = workloadEndpoint(topology, 'payments');
    const port = topology.workloads.find((w) => w.name === 'payments')?.port ?? 0;
    assert.equal(allowed(policies, profiles, payments, port, 'TCP'), false);
    for (const policy of policies) {
      if (policy.metadata?.name === 'svc-profiles') policy.spec?.egress?.push({ to: [{ podSelector: {} }] });
      if (policy.metadata?.name === 'svc-payments')
        policy.spec?.ingress?.push({ from: [{ podSelector: {} }] });
    }
    assert.equal(allowed(policies, profiles, payments, port, 'TCP'), true);
    assert.equal(declared(topology).has(`profiles>payments:${port}/TCP`), false);
  });

  it('the processes behind the sidecar: reviews ← gateway and orders, stock ← reviews, exactly', () => {
    const callersOf = (name: string): string[] =>
      topology.edges
        .filter((edge) => edge.to.type === 'workload' && edge.to.name === name)
        .map((edge) => (edge.from.type === 'workload' ? edge.from.name : edge.from.type))
        .sort();
    assert.deepEqual(callersOf('reviews'), ['gateway', 'orders']);
    assert.deepEqual(callersOf('stock'), ['reviews']);
    const policies = networkPolicies(topology, config);
    const portOf = (name: string): number => topology.workloads.find((w) => w.name === name)?.port ?? 0;
    const at = (name: string): Endpoint => workloadEndpoint(topology, name);
    assert.equal(allowed(policies, at('orders'), at('reviews'), portOf('reviews'), 'TCP'), true);
    assert.equal(allowed(policies, at('gateway'), at('reviews'), portOf('reviews'), 'TCP'), true);
    assert.equal(allowed(policies, at('reviews'), at('stock'), portOf('stock'), 'TCP'), true);
    for (const caller of ['gateway', 'orders', 'payments', 'profiles']) {
      assert.equal(allowed(policies, at(caller), at('stock'), portOf('stock'), 'TCP'), false, caller);
    }
    assert.equal(allowed(policies, at('stock'), at('reviews'), portOf('reviews'), 'TCP'), false);
    // The process's own port and the sidecar's egress port are on loopback: nothing reaches them.
    const reviews = topology.workloads.find((w) => w.name === 'reviews');
    assert.ok(reviews?.sidecar);
    for (const port of [reviews.sidecar.port, reviews.sidecar.egressPort]) {
      for (const from of ['gateway', 'orders']) {
        assert.equal(allowed(policies, at(from), at('reviews'), port, 'TCP'), false, `${from} → :${port}`);
      }
    }
  });

  it('the shop declares orders → payments and not the reverse', () => {
    const keys = declared(topology);
    assert.ok(keys.has('orders>payments:7103/TCP'));
    assert.ok(!keys.has('payments>orders:7102/TCP'));
  });
});

export type { Edge };
