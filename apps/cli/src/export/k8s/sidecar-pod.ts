import { posix } from 'node:path';
import type { IIoK8sApiCoreV1Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IIoK8sApiCoreV1Probe } from 'kubernetes-models/v1/Probe';
import { componentEnv, LOOPBACK_HOST } from '@rampart/config';
import { PROCESS_ENV_FILE, PROCESS_VARIABLES } from '@rampart/sidecar/process-variables';
import { imageReference, type K8sExportOptions } from './options.ts';
import type { SidecarProcess, Workload } from '@rampart/config';

/** The image of `rampart sidecar` (the Dockerfile's `sidecar` target). */
export const SIDECAR_IMAGE = 'rampart-sidecar';

/** The two containers of a sidecar service's pod. */
export const SIDECAR_CONTAINER = 'sidecar';
export const APP_CONTAINER = 'app';

/**
 * The directory the sidecar and the process share: an in-memory emptyDir, writable by the sidecar,
 * read-only in the process's container, holding `upstream.env` (0640, the pod's fsGroup) and nothing else.
 */
export const SHARED_DIR = '/var/run/rampart/upstream';
const SHARED_VOLUME = 'upstream';
/** The process's writable /tmp (its root file system is read-only): Java's perf data, Python's temp files. */
const APP_TMP_VOLUME = 'app-tmp';

const APP_RESOURCES: NonNullable<IIoK8sApiCoreV1Container['resources']> = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

/**
 * The pod of a service behind the sidecar, from the pod `podSpecOf` makes for a service: its
 * container becomes the sidecar — Rampart's `rampart-sidecar` image, a native sidecar (an init
 * container with `restartPolicy: Always`, so the kubelet starts the process's container once the
 * sidecar's startup probe passes, and stops the sidecar after it) — and the process gets a
 * container of its own, `app`, running `image`'s own entrypoint:
 *
 * - under a UID and GID of its own (`SidecarProcess.uid`), never the sidecar's;
 * - with none of the sidecar's volumes (keys, secret variables, mesh token, state): only the shared
 *   directory, read-only, where the sidecar writes `upstream.env` (the per-pod secrets) 0640 to the
 *   pod's fsGroup, which the kubelet gives every container of the pod as a supplementary group;
 * - with `PORT`, `HOST`, `RAMPART_SERVICE`, `RAMPART_EGRESS_URL` and the file's path
 *   (`RAMPART_SIDECAR_ENV_FILE`) in its environment, no secret;
 * - PSS restricted, read-only root file system with an emptyDir /tmp, probes on the sidecar's
 *   `/readyz` (ready once the process accepts on `upstream`): its own port is on loopback, out of
 *   the kubelet's reach.
 *
 * The process namespace is not shared (`shareProcessNamespace: false`): the process cannot see the
 * sidecar's processes, their environment or their mounts through `/proc`.
 */
export function sidecarPodSpec(
  base: IIoK8sApiCoreV1PodSpec,
  workload: Workload & { readonly sidecar: SidecarProcess },
  appImage: string,
  options: K8sExportOptions,
): IIoK8sApiCoreV1PodSpec {
  const { containers, volumes = [], ...pod } = base;
  const [service, ...others] = containers;
  if (service === undefined || others.length > 0) {
    throw new TypeError(`the pod of '${workload.name}' should have one container to turn into its sidecar`);
  }
  const process = workload.sidecar;
  const sidecar: IIoK8sApiCoreV1Container = {
    ...service,
    name: SIDECAR_CONTAINER,
    image: imageReference(options, SIDECAR_IMAGE),
    env: [...(service.env ?? []), { name: componentEnv.sidecarSharedDir.name, value: SHARED_DIR }],
    volumeMounts: [...(service.volumeMounts ?? []), { name: SHARED_VOLUME, mountPath: SHARED_DIR }],
    // A native sidecar: started before the containers, restarted on exit, stopped after them.
    restartPolicy: 'Always',
  };
  // The service's entry (`args`, `workingDir`) goes: the sidecar image's CMD is the sidecar.
  delete sidecar.args;
  delete sidecar.workingDir;
  const ready = (periodSeconds: number, failureThreshold: number): IIoK8sApiCoreV1Probe => ({
    // A number: a named port is looked up in the probed container's own ports, and `admin` is the sidecar's.
    httpGet: { path: '/readyz', port: workload.adminPort },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const app: IIoK8sApiCoreV1Container = {
    name: APP_CONTAINER,
    image: appImage,
    imagePullPolicy: 'IfNotPresent',
    env: [
      { name: PROCESS_VARIABLES.port, value: String(process.port) },
      { name: PROCESS_VARIABLES.host, value: process.host },
      { name: PROCESS_VARIABLES.service, value: workload.name },
      { name: PROCESS_VARIABLES.egressUrl, value: `http://${LOOPBACK_HOST}:${process.egressPort}` },
      { name: PROCESS_VARIABLES.envFile, value: posix.join(SHARED_DIR, PROCESS_ENV_FILE) },
    ],
    resources: APP_RESOURCES,
    startupProbe: ready(2, 60),
    livenessProbe: ready(10, 6),
    readinessProbe: ready(5, 2),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: process.uid,
      runAsGroup: process.uid,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: SHARED_VOLUME, mountPath: SHARED_DIR, readOnly: true },
      { name: APP_TMP_VOLUME, mountPath: '/tmp' },
    ],
  };
  return {
    ...pod,
    shareProcessNamespace: false,
    initContainers: [sidecar],
    containers: [app],
    volumes: [
      ...volumes,
      { name: SHARED_VOLUME, emptyDir: { medium: 'Memory', sizeLimit: '1Mi' } },
      { name: APP_TMP_VOLUME, emptyDir: { sizeLimit: '256Mi' } },
    ],
  };
}
