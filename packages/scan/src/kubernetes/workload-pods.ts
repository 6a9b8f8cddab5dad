import type { Manifest } from './manifests.ts';

/** A pod template of a workload: where its spec is and the labels its pods carry. */
export interface WorkloadPod {
  readonly manifest: Manifest;
  /** Path of the pod spec in the object (`['spec', 'template', 'spec']`). */
  readonly specPath: readonly (string | number)[];
  readonly spec: Record<string, unknown>;
  readonly labels: Readonly<Record<string, string>>;
  /** Jobs run to completion: probes do not apply. */
  readonly runsToCompletion: boolean;
}

const TEMPLATE_KINDS = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'ReplicationController',
  'Job',
]);

/** The pod templates of Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs. */
export function workloadPods(manifests: readonly Manifest[]): WorkloadPod[] {
  const pods: WorkloadPod[] = [];
  for (const manifest of manifests) {
    let path: (string | number)[] | undefined;
    let metadataPath: (string | number)[] = ['metadata'];
    if (manifest.kind === 'Pod') path = ['spec'];
    else if (TEMPLATE_KINDS.has(manifest.kind)) {
      path = ['spec', 'template', 'spec'];
      metadataPath = ['spec', 'template', 'metadata'];
    } else if (manifest.kind === 'CronJob') {
      path = ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
      metadataPath = ['spec', 'jobTemplate', 'spec', 'template', 'metadata'];
    }
    if (path === undefined) continue;
    const spec = dig(manifest.object, path);
    if (!isRecord(spec) || !Array.isArray(spec['containers'])) continue;
    const metadata = dig(manifest.object, metadataPath);
    const labels = isRecord(metadata) && isRecord(metadata['labels']) ? metadata['labels'] : {};
    pods.push({
      manifest,
      specPath: path,
      spec,
      labels: Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)])),
      runsToCompletion: manifest.kind === 'Job' || manifest.kind === 'CronJob' || manifest.kind === 'Pod',
    });
  }
  return pods;
}

export function dig(value: unknown, path: readonly (string | number)[]): unknown {
  let node = value;
  for (const segment of path) {
    if (typeof segment === 'number') node = Array.isArray(node) ? (node as unknown[])[segment] : undefined;
    else node = isRecord(node) ? node[segment] : undefined;
  }
  return node;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
