import type { FindingInput } from '../finding.ts';
import type { Manifest } from './manifests.ts';
import { isRecord, type WorkloadPod } from './workload-pods.ts';

type Direction = 'Ingress' | 'Egress';

/**
 * `k8s/network-policy-default-deny`: every pod template must be selected, in its namespace, by a
 * NetworkPolicy isolating it for Ingress and one for Egress — once isolated, only what a policy
 * allows gets through (the policies `rampart export k8s` writes: a namespace-wide default deny plus
 * one allow-list per component).
 */
export function checkNetworkPolicyCoverage(
  pods: readonly WorkloadPod[],
  manifests: readonly Manifest[],
): FindingInput[] {
  const policies = manifests.filter((m) => m.kind === 'NetworkPolicy');
  const findings: FindingInput[] = [];
  for (const pod of pods) {
    const missing = (['Ingress', 'Egress'] as const).filter(
      (direction) => !policies.some((policy) => isolates(policy, pod, direction)),
    );
    if (missing.length === 0) continue;
    const { manifest } = pod;
    findings.push({
      ruleId: 'k8s/network-policy-default-deny',
      location: { file: manifest.file, ...manifest.position(['metadata', 'name']) },
      key: `${manifest.kind}/${manifest.namespace}/${manifest.name}:${missing.join('+')}`,
      message: `${manifest.kind} ${manifest.name}: no NetworkPolicy isolates its pods for ${missing.join(' and ')}`,
    });
  }
  return findings;
}

/** The policy selects the pod (in its namespace) and isolates it for `direction`. */
export function isolates(policy: Manifest, pod: WorkloadPod, direction: Direction): boolean {
  if (policy.namespace !== pod.manifest.namespace) return false;
  const spec = policy.object['spec'];
  if (!isRecord(spec)) return false;
  const types = Array.isArray(spec['policyTypes'])
    ? (spec['policyTypes'] as unknown[])
    : ['Ingress', ...(spec['egress'] === undefined ? [] : ['Egress'])];
  return types.includes(direction) && selects(spec['podSelector'], pod.labels);
}

/** A Kubernetes label selector (`matchLabels`, `matchExpressions`) against a pod's labels; `{}` selects all. */
export function selects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!isRecord(selector)) return false;
  const matchLabels = isRecord(selector['matchLabels']) ? selector['matchLabels'] : {};
  for (const [key, value] of Object.entries(matchLabels)) if (labels[key] !== String(value)) return false;
  const expressions = Array.isArray(selector['matchExpressions'])
    ? (selector['matchExpressions'] as unknown[])
    : [];
  for (const expression of expressions) {
    if (!isRecord(expression)) return false;
    const key = String(expression['key']);
    const values = Array.isArray(expression['values']) ? (expression['values'] as unknown[]).map(String) : [];
    const value = labels[key];
    const has = value !== undefined;
    switch (expression['operator']) {
      case 'In':
        if (!has || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}
