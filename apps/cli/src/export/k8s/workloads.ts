import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IIoK8sApiCoreV1PodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { labelsOf, NAME_LABEL, type RampartConfig, type Workload } from '@rampart/config';
import type { K8sExportOptions } from './options.ts';
import { podSpecOf } from './pod.ts';

export type WorkloadObject =
  IServiceAccount | IService | IDeployment | IStatefulSet | IPodDisruptionBudget | IHorizontalPodAutoscaler;

/**
 * A workload's objects, in the order a reader wants them: its ServiceAccount, its Service, its
 * Deployment (or StatefulSet, when it keeps state a new pod cannot rebuild), its
 * PodDisruptionBudget, and the gateway's HorizontalPodAutoscaler.
 */
export function workloadObjects(
  workload: Workload,
  all: readonly Workload[],
  config: RampartConfig,
  options: K8sExportOptions,
): WorkloadObject[] {
  const labels = labelsOf(workload, config);
  const metadata = { name: workload.resourceName, labels };
  const selector = { matchLabels: { [NAME_LABEL]: workload.resourceName } };
  const persistent = workload.state === 'persistent';
  const template: IIoK8sApiCoreV1PodTemplateSpec = {
    metadata: { labels },
    spec: {
      ...podSpecOf(workload, all, config, options, persistent ? 'claim' : 'emptyDir'),
      ...(workload.replicas > 1
        ? {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: 'kubernetes.io/hostname',
                whenUnsatisfiable: 'ScheduleAnyway',
                labelSelector: selector,
              },
            ],
          }
        : {}),
    },
  };
  const serviceAccount: IServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { ...metadata, name: workload.serviceAccount },
    automountServiceAccountToken: workload.kind === 'mesh',
  };
  const gateway = workload.kind === 'gateway';
  const service: IService = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata,
    spec: {
      // The gateway terminates TLS itself: a layer-4 load balancer, keeping clients' addresses
      // (rate limits per IP) with the Local traffic policy.
      type: gateway ? 'LoadBalancer' : 'ClusterIP',
      ...(gateway ? { externalTrafficPolicy: 'Local' } : {}),
      selector: { [NAME_LABEL]: workload.resourceName },
      ports: [
        {
          name: gateway ? 'https' : 'mtls',
          port: workload.port,
          targetPort: gateway ? 'https' : 'mtls',
          protocol: 'TCP',
        },
      ],
    },
  };
  const controller: IDeployment | IStatefulSet = persistent
    ? {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata,
        spec: {
          serviceName: workload.resourceName,
          replicas: workload.replicas,
          selector,
          template,
          volumeClaimTemplates: [
            {
              metadata: { name: 'state', labels },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } },
            },
          ],
        },
      }
    : {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: {
          replicas: workload.replicas,
          selector,
          // One writer of the audit chain at a time.
          strategy:
            workload.kind === 'audit'
              ? { type: 'Recreate' }
              : { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template,
        },
      };
  const budget: IPodDisruptionBudget = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata,
    // A single replica cannot keep one up through a drain; its budget says so instead of blocking it.
    spec: workload.replicas > 1 ? { minAvailable: 1, selector } : { maxUnavailable: 1, selector },
  };
  const objects: WorkloadObject[] = [serviceAccount, service, controller, budget];
  if (gateway) {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata,
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workload.resourceName },
        minReplicas: workload.replicas,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
    });
  }
  return objects;
}
