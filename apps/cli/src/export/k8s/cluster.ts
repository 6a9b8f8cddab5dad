import type { IClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import type { IClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { K8sExportOptions } from './options.ts';

/** The namespace, with Pod Security Admission enforcing `restricted` (and auditing and warning). */
export function namespaceObject(options: K8sExportOptions): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: options.namespace,
      labels: {
        'app.kubernetes.io/part-of': 'rampart',
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/audit': 'restricted',
        'pod-security.kubernetes.io/audit-version': 'latest',
        'pod-security.kubernetes.io/warn': 'restricted',
        'pod-security.kubernetes.io/warn-version': 'latest',
      },
    },
  };
}

/**
 * The mesh authority's one permission: create TokenReviews, to verify the projected
 * service-account tokens workloads join the mesh with. Nothing else in the namespace has any.
 * Cluster-scoped, so named after the namespace.
 */
export function tokenReviewRbac(options: K8sExportOptions): [IClusterRole, IClusterRoleBinding] {
  const name = `rampart-${options.namespace}-mesh-tokenreview`;
  const labels = { 'app.kubernetes.io/part-of': 'rampart', 'app.kubernetes.io/name': 'rampart-mesh' };
  return [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name, labels },
      rules: [{ apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: 'rampart-mesh', namespace: options.namespace }],
    },
  ];
}
