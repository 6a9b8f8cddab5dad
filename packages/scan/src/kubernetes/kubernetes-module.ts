import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';
import type { FindingInput } from '../finding.ts';
import type { ModuleReport, ScanContext, ScanModule } from '../scan-module.ts';
import { isSecretAssignment } from '../secret-names.ts';
import { KUBERNETES_RULES, pssRuleId } from './kubernetes-rules.ts';
import { looksLikeKubernetes, parseFieldPath, parseManifests, type Manifest } from './manifests.ts';
import { checkCallGraph } from './call-graph.ts';
import { checkNetworkPolicyCoverage } from './network-policy-coverage.ts';
import { checkPodRestricted } from './pod-security.ts';
import { dig, isRecord, workloadPods, type WorkloadPod } from './workload-pods.ts';

/**
 * A check across all the objects of the scan (and the tree's other files, e.g. rampart.yaml): the
 * default-deny coverage, and the call graph (every connection the NetworkPolicies admit between
 * workloads is declared in rampart.yaml, every declared one is admitted). A check gets the
 * manifests and the context (whose `allFiles` include the rampart.yaml files).
 */
export type CrossObjectCheck = (
  manifests: readonly Manifest[],
  pods: readonly WorkloadPod[],
  context: ScanContext,
) => Promise<FindingInput[]> | FindingInput[];

export const CROSS_OBJECT_CHECKS: CrossObjectCheck[] = [
  (manifests, pods) => checkNetworkPolicyCoverage(pods, manifests),
  checkCallGraph,
];

export const kubernetesModule: ScanModule = {
  id: 'k8s',
  name: 'Kubernetes manifests',
  rules: KUBERNETES_RULES,
  accepts: (file) => /\.ya?ml$/iu.test(file.path),
  async scan(context: ScanContext): Promise<ModuleReport> {
    const manifests: Manifest[] = [];
    const failures: { file: string; message: string }[] = [];
    for (const file of context.files) {
      const text = await context.readText(file);
      if (!looksLikeKubernetes(text)) continue;
      const parsed = parseManifests(file.path, text);
      if (parsed.error !== undefined) failures.push({ file: file.path, message: parsed.error });
      manifests.push(...parsed.manifests);
    }
    const pods = workloadPods(manifests);
    const findings: FindingInput[] = [];
    for (const pod of pods) findings.push(...checkPod(pod, manifests));
    for (const manifest of manifests) findings.push(...checkRbac(manifest));
    for (const check of CROSS_OBJECT_CHECKS) findings.push(...(await check(manifests, pods, context)));
    return { findings, failures, scanned: manifests.length };
  },
};

interface ContainerAt {
  readonly path: (string | number)[];
  readonly container: Record<string, unknown>;
  readonly init: boolean;
}

function checkPod(pod: WorkloadPod, manifests: readonly Manifest[]): FindingInput[] {
  const { manifest, spec, specPath } = pod;
  const findings: FindingInput[] = [];
  const object = `${manifest.kind}/${manifest.namespace}/${manifest.name}`;
  const add = (ruleId: string, path: readonly (string | number)[], message: string, key: string): void => {
    findings.push({
      ruleId,
      location: { file: manifest.file, ...manifest.position([...specPath, ...path]) },
      key: `${object}:${key}`,
      message: `${manifest.kind} ${manifest.name}: ${message}`,
    });
  };

  for (const violation of checkPodRestricted(spec as unknown as IIoK8sApiCoreV1PodSpec)) {
    add(
      pssRuleId(violation.control, violation.level),
      parseFieldPath(violation.path),
      violation.message,
      `${violation.path}:${violation.message}`,
    );
  }

  const containers: ContainerAt[] = [];
  for (const [field, init] of [
    ['containers', false],
    ['initContainers', true],
  ] as const) {
    const list = spec[field];
    if (Array.isArray(list)) {
      list.forEach((container: unknown, i) => {
        if (isRecord(container)) containers.push({ path: [field, i], container, init });
      });
    }
  }
  for (const { path, container, init } of containers) {
    const name = typeof container['name'] === 'string' ? container['name'] : String(path[1]);
    const where = `container ${name}`;
    if (dig(container, ['securityContext', 'readOnlyRootFilesystem']) !== true) {
      add(
        'k8s/read-only-root-filesystem',
        [...path, 'securityContext'],
        `${where} has a writable root file system`,
        `${name}:rorfs`,
      );
    }
    const missing = [
      ['requests', 'cpu'],
      ['requests', 'memory'],
      ['limits', 'memory'],
    ].filter((p) => dig(container, ['resources', ...p]) === undefined);
    if (missing.length > 0) {
      add(
        'k8s/resources',
        [...path, 'resources'],
        `${where} has no ${missing.map((p) => p.join('.')).join(', ')}`,
        `${name}:resources`,
      );
    }
    if (!init && !pod.runsToCompletion) {
      const probes = ['livenessProbe', 'readinessProbe'].filter((p) => container[p] === undefined);
      if (probes.length > 0)
        add('k8s/probes', path, `${where} has no ${probes.join(' or ')}`, `${name}:probes`);
    }
    checkImage(container['image'], (ruleId, message) => {
      add(ruleId, [...path, 'image'], `${where}: ${message}`, `${name}:${ruleId}`);
    });
    const env = container['env'];
    if (Array.isArray(env)) {
      env.forEach((variable: unknown, i) => {
        if (
          !isRecord(variable) ||
          typeof variable['name'] !== 'string' ||
          typeof variable['value'] !== 'string'
        )
          return;
        if (isSecretAssignment(variable['name'], variable['value'])) {
          add(
            'k8s/secret-in-env',
            [...path, 'env', i, 'value'],
            `${where} sets \`${variable['name']}\` to a value written in the manifest`,
            `${name}:env:${variable['name']}`,
          );
        }
      });
    }
  }

  if (spec['automountServiceAccountToken'] !== false && !serviceAccountOptsOut(spec, manifest, manifests)) {
    add(
      'k8s/service-account-token-automount',
      ['automountServiceAccountToken'],
      'the service-account token is mounted into its pods',
      'automount',
    );
  }
  return findings;
}

/** The pod's ServiceAccount, among the scanned objects, sets `automountServiceAccountToken: false` (and the pod does not override it). */
function serviceAccountOptsOut(
  spec: Record<string, unknown>,
  pod: Manifest,
  manifests: readonly Manifest[],
): boolean {
  if (spec['automountServiceAccountToken'] === true) return false;
  const name = typeof spec['serviceAccountName'] === 'string' ? spec['serviceAccountName'] : 'default';
  return manifests.some(
    (m) =>
      m.kind === 'ServiceAccount' &&
      m.name === name &&
      m.namespace === pod.namespace &&
      m.object['automountServiceAccountToken'] === false,
  );
}

function checkImage(image: unknown, report: (ruleId: string, message: string) => void): void {
  if (typeof image !== 'string' || image === '') return;
  const [reference, digest] = image.split('@');
  const last = (reference ?? '').split('/').at(-1) ?? '';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
  if (digest === undefined && (tag === undefined || tag === 'latest')) {
    report(
      'k8s/image-latest',
      tag === undefined
        ? `image \`${image}\` has no tag (it means \`latest\`)`
        : `image \`${image}\` is \`latest\``,
    );
  }
  if (digest === undefined) report('k8s/image-no-digest', `image \`${image}\` is not pinned by digest`);
}

function checkRbac(manifest: Manifest): FindingInput[] {
  if (manifest.kind !== 'Role' && manifest.kind !== 'ClusterRole') return [];
  const rules = manifest.object['rules'];
  if (!Array.isArray(rules)) return [];
  const findings: FindingInput[] = [];
  rules.forEach((rule: unknown, i) => {
    if (!isRecord(rule)) return;
    for (const field of ['apiGroups', 'resources', 'verbs'] as const) {
      const values = rule[field];
      if (Array.isArray(values) && values.includes('*')) {
        findings.push({
          ruleId: 'k8s/rbac-wildcard',
          location: { file: manifest.file, ...manifest.position(['rules', i, field]) },
          key: `${manifest.kind}/${manifest.namespace}/${manifest.name}:rules:${field}:${JSON.stringify(rule)}`,
          message: `${manifest.kind} ${manifest.name}: rule ${i} grants \`*\` ${field}`,
        });
      }
    }
  });
  return findings;
}
