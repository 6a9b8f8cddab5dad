import { posix } from 'node:path';
import type { IIoK8sApiCoreV1Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IIoK8sApiCoreV1Volume } from 'kubernetes-models/v1/Volume';
import type { IIoK8sApiCoreV1VolumeMount } from 'kubernetes-models/v1/VolumeMount';
import {
  componentEnv,
  KUBERNETES_MESH_AUDIENCE,
  kubernetesMeshSettings,
  writeComponentEnv,
  type RampartConfig,
} from '@rampart/config';
import { appImageOf, imageReference, type K8sExportOptions } from './options.ts';
import { secretVariablesOf } from './secrets.ts';
import { sidecarPodSpec } from './sidecar-pod.ts';
import type { Workload } from '@rampart/config';

/** Where things are inside every container; the guide (docs/deploy-kubernetes.md) lists the same. */
export const PATHS = {
  configDir: '/etc/rampart/config',
  keysDir: '/etc/rampart/keys',
  publicDir: '/etc/rampart/public',
  externalCaDir: '/etc/rampart/external-ca',
  stateDir: '/var/lib/rampart',
  secretsDir: '/var/run/secrets/rampart/env',
  meshTokenDir: '/var/run/secrets/rampart',
  meshTokenFile: 'mesh-token',
} as const;

/** The lifetime of the projected service-account token a workload joins the mesh with. */
export const MESH_TOKEN_EXPIRATION_SECONDS = 600;
/** The variable naming that token's file for the SDK (the component contract's `meshPsatFile`). */
export const MESH_PSAT_FILE_VARIABLE = componentEnv.meshPsatFile.name;

/** The name of the ConfigMap holding rampart.yaml (kustomize adds a hash of its content). */
export const CONFIG_MAP = 'rampart-config';
/** The ConfigMap of public keys and the mesh's trust bundle the operator creates. */
export const PUBLIC_CONFIG_MAP = 'rampart-public';
/** The ConfigMap of the external upstreams' pinned CAs (`<name>.pem`) the operator creates; the gateway's. */
export const EXTERNAL_CA_CONFIG_MAP = 'rampart-external-ca';

/** Whether rampart.yaml declares upstreams outside the mesh, whose pinned CAs the gateway mounts. */
export function hasExternalUpstreams(config: RampartConfig): boolean {
  return Object.keys(config.external ?? {}).length > 0;
}

/** The Secret of a workload's key files, and the one of its secret variables, both the operator's. */
export function keysSecretName(workload: Workload): string {
  return `${workload.resourceName}-keys`;
}
export function envSecretName(workload: Workload): string {
  return `${workload.resourceName}-env`;
}

/** The files each kind finds in its keys Secret (`/etc/rampart/keys`), for the guide and the env. */
export const KEY_FILES = {
  // The mesh's root CA, made beforehand so that its bundle (mesh-bundle.pem) is known before it starts.
  mesh: ['internal-token.key.pem', 'pseudonym.key', 'mesh-ca.pem', 'mesh-ca.key'],
  // bootstrap.json: the first admin (its password's argon2id hash), applied once (RAMPART_IDENTITY_BOOTSTRAP names it).
  identity: ['keyring.json', 'pseudonym.key', 'bootstrap.json'],
  audit: ['audit-signing.key.pem'],
  gateway: ['gateway-token.key.pem', 'pseudonym.key', 'tls.crt', 'tls.key', 'edge-ca.pem'],
  service: ['keyring.json', 'pseudonym.key'],
} as const;

/** The files of the public ConfigMap (`/etc/rampart/public`). */
export const PUBLIC_FILES = ['internal-token.pub.pem', 'gateway-token.pub.pem', 'mesh-bundle.pem'] as const;

/** `<service>.<namespace>.svc`: the name of a workload's Service, how the others reach it. */
export function serviceHost(workload: Workload, options: K8sExportOptions): string {
  return `${workload.resourceName}.${options.namespace}.svc`;
}

/** `https://<service>.<namespace>.svc:<port>`: how a workload reaches another in the cluster. */
export function serviceUrl(workload: Workload, options: K8sExportOptions): string {
  return `https://${serviceHost(workload, options)}:${workload.port}`;
}

/**
 * Where each container binds its mTLS and admin ports (`componentEnv.listenHost`): every IPv4
 * address of its pod, so that its Service and the kubelet's probes reach it. An IPv6-only cluster
 * sets `::` in an overlay.
 */
export const POD_LISTEN_HOST = '0.0.0.0';

/**
 * `componentEnv.peerHosts`: every workload a component may dial (all but the gateway, which no one
 * inside dials), each at its Service's name. Its certificate's SPIFFE ID still decides who it is.
 */
export function peerHostsOf(all: readonly Workload[], options: K8sExportOptions): Record<string, string> {
  return Object.fromEntries(
    all
      .filter((workload) => workload.kind !== 'gateway')
      .map((workload) => [workload.name, serviceHost(workload, options)]),
  );
}

function env(
  workload: Workload,
  all: readonly Workload[],
  config: RampartConfig,
  options: K8sExportOptions,
  secretsDir: string | undefined,
): Record<string, string> {
  const find = (name: string): Workload => {
    const found = all.find((candidate) => candidate.name === name);
    if (found === undefined) throw new TypeError(`no workload named '${name}'`);
    return found;
  };
  const key = (file: string): string => posix.join(PATHS.keysDir, file);
  const pub = (file: (typeof PUBLIC_FILES)[number]): string => posix.join(PATHS.publicDir, file);
  const common = {
    configFile: posix.join(PATHS.configDir, 'rampart.yaml'),
    component: workload.name,
    stateDir: PATHS.stateDir,
    logLevel: 'info',
    listenHost: POD_LISTEN_HOST,
  } as const;
  const peerHosts = peerHostsOf(all, options);
  const auditUrl = serviceUrl(find('audit'), options);
  const mesh = { meshUrl: serviceUrl(find('mesh'), options), meshBundleFile: pub('mesh-bundle.pem') };
  const secrets = secretsDir === undefined ? {} : { secretsDir };
  const psat = { [MESH_PSAT_FILE_VARIABLE]: posix.join(PATHS.meshTokenDir, PATHS.meshTokenFile) };
  switch (workload.kind) {
    case 'mesh':
      return writeComponentEnv('mesh', {
        ...common,
        ...secrets,
        auditUrl,
        pseudonymKeyFile: key('pseudonym.key'),
        internalTokenSigningKeyFile: key('internal-token.key.pem'),
        internalTokenKeyFile: pub('internal-token.pub.pem'),
        gatewayTokenKeyFile: pub('gateway-token.pub.pem'),
        meshCaFile: key('mesh-ca.pem'),
        meshCaKeyFile: key('mesh-ca.key'),
      });
    case 'identity':
      return {
        ...writeComponentEnv('identity', {
          ...common,
          ...mesh,
          ...secrets,
          auditUrl,
          keyringFile: key('keyring.json'),
          pseudonymKeyFile: key('pseudonym.key'),
        }),
        ...psat,
      };
    case 'audit':
      return {
        ...writeComponentEnv('audit', {
          ...common,
          ...mesh,
          ...secrets,
          peerHosts,
          auditSigningKeyFile: key('audit-signing.key.pem'),
        }),
        ...psat,
      };
    case 'gateway':
      return {
        ...writeComponentEnv('gateway', {
          ...common,
          ...mesh,
          ...secrets,
          peerHosts,
          auditUrl,
          internalTokenSigningKeyFile: key('gateway-token.key.pem'),
          pseudonymKeyFile: key('pseudonym.key'),
          edgeCaFile: key('edge-ca.pem'),
          tlsCertFile: key('tls.crt'),
          tlsKeyFile: key('tls.key'),
          ...(hasExternalUpstreams(config) ? { externalCaDir: PATHS.externalCaDir } : {}),
        }),
        ...psat,
      };
    case 'service':
      return {
        ...writeComponentEnv('service', {
          ...common,
          ...mesh,
          ...secrets,
          peerHosts,
          auditUrl,
          keyringFile: key('keyring.json'),
          internalTokenKeyFile: pub('internal-token.pub.pem'),
          pseudonymKeyFile: key('pseudonym.key'),
        }),
        ...psat,
      };
  }
}

const RESOURCES: Readonly<Record<Workload['kind'], NonNullable<IIoK8sApiCoreV1Container['resources']>>> = {
  mesh: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
  // argon2id hashes take 64 MiB each.
  identity: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '768Mi' } },
  audit: { requests: { cpu: '100m', memory: '192Mi' }, limits: { cpu: '500m', memory: '512Mi' } },
  gateway: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
  service: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '384Mi' } },
};

/** The image a workload runs: the platform's own per component, the application's for services. */
export function imageOf(workload: Workload, config: RampartConfig, options: K8sExportOptions): string {
  return imageReference(options, workload.kind === 'service' ? config.name : workload.resourceName);
}

/**
 * A workload's pod: PSS restricted (non-root with its own UID/GID, no privilege escalation, no
 * capabilities, RuntimeDefault seccomp, read-only root file system), no service-account token but
 * where the mesh authority needs the API, its config, keys, public keys and secret variables
 * mounted read-only, a projected token for joining the mesh, probes on its admin port.
 */
export function podSpecOf(
  workload: Workload,
  all: readonly Workload[],
  config: RampartConfig,
  options: K8sExportOptions,
  stateVolume: 'emptyDir' | 'claim',
): IIoK8sApiCoreV1PodSpec {
  const hasEnvSecret = Object.keys(secretVariablesOf(config, workload.kind)).length > 0;
  const joins = workload.kind !== 'mesh';
  const volumes: IIoK8sApiCoreV1Volume[] = [
    { name: 'config', configMap: { name: CONFIG_MAP, defaultMode: 0o444 } },
    // Files of a Secret belong to root; the pod's fsGroup (its own GID) is how its user reads them.
    { name: 'keys', secret: { secretName: keysSecretName(workload), defaultMode: 0o440 } },
  ];
  const mounts: IIoK8sApiCoreV1VolumeMount[] = [
    { name: 'config', mountPath: PATHS.configDir, readOnly: true },
    { name: 'keys', mountPath: PATHS.keysDir, readOnly: true },
  ];
  if (workload.kind !== 'audit') {
    volumes.push({ name: 'public', configMap: { name: PUBLIC_CONFIG_MAP, defaultMode: 0o444 } });
    mounts.push({ name: 'public', mountPath: PATHS.publicDir, readOnly: true });
  } else {
    volumes.push({
      name: 'public',
      configMap: {
        name: PUBLIC_CONFIG_MAP,
        defaultMode: 0o444,
        items: [{ key: 'mesh-bundle.pem', path: 'mesh-bundle.pem' }],
      },
    });
    mounts.push({ name: 'public', mountPath: PATHS.publicDir, readOnly: true });
  }
  if (workload.kind === 'gateway' && hasExternalUpstreams(config)) {
    // The pinned CAs of the upstreams outside the mesh: public certificates, the gateway's alone.
    volumes.push({ name: 'external-ca', configMap: { name: EXTERNAL_CA_CONFIG_MAP, defaultMode: 0o444 } });
    mounts.push({ name: 'external-ca', mountPath: PATHS.externalCaDir, readOnly: true });
  }
  if (hasEnvSecret) {
    volumes.push({ name: 'secret-env', secret: { secretName: envSecretName(workload), defaultMode: 0o440 } });
    mounts.push({ name: 'secret-env', mountPath: PATHS.secretsDir, readOnly: true });
  }
  if (joins) {
    volumes.push({
      name: 'mesh-token',
      projected: {
        defaultMode: 0o440,
        sources: [
          {
            serviceAccountToken: {
              // What the mesh authority's attestor requires (`mesh.kubernetes.audience`).
              audience: kubernetesMeshSettings(config)?.audience ?? KUBERNETES_MESH_AUDIENCE,
              expirationSeconds: MESH_TOKEN_EXPIRATION_SECONDS,
              path: PATHS.meshTokenFile,
            },
          },
        ],
      },
    });
    mounts.push({ name: 'mesh-token', mountPath: PATHS.meshTokenDir, readOnly: true });
  }
  if (stateVolume === 'emptyDir') volumes.push({ name: 'state', emptyDir: { sizeLimit: '1Gi' } });
  mounts.push({ name: 'state', mountPath: PATHS.stateDir });

  const variables = env(workload, all, config, options, hasEnvSecret ? PATHS.secretsDir : undefined);
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'admin' },
    periodSeconds,
    timeoutSeconds: 2,
    failureThreshold,
  });
  const container: IIoK8sApiCoreV1Container = {
    name: workload.kind === 'service' ? 'service' : workload.kind,
    image: imageOf(workload, config, options),
    imagePullPolicy: 'IfNotPresent',
    ...(workload.kind === 'service' && workload.sidecar === undefined
      ? { args: [posix.join(options.appDir, entryOf(config, workload.name))], workingDir: options.appDir }
      : {}),
    ports: [
      { name: workload.kind === 'gateway' ? 'https' : 'mtls', containerPort: workload.port, protocol: 'TCP' },
      { name: 'admin', containerPort: workload.adminPort, protocol: 'TCP' },
    ],
    env: Object.entries(variables).map(([name, value]) => ({ name, value })),
    resources: RESOURCES[workload.kind],
    startupProbe: probe('/healthz', 2, 60),
    livenessProbe: probe('/healthz', 10, 3),
    readinessProbe: probe('/readyz', 5, 2),
    securityContext: {
      runAsNonRoot: true,
      runAsUser: workload.uid,
      runAsGroup: workload.uid,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: mounts,
  };
  const pod: IIoK8sApiCoreV1PodSpec = {
    serviceAccountName: workload.serviceAccount,
    // Only the mesh authority calls the API (TokenReview); nobody else holds an API token.
    automountServiceAccountToken: workload.kind === 'mesh',
    enableServiceLinks: false,
    terminationGracePeriodSeconds: 10,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: workload.uid,
      runAsGroup: workload.uid,
      fsGroup: workload.uid,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [container],
    volumes,
  };
  if (workload.sidecar === undefined) return pod;
  // A service behind the sidecar: the sidecar in the container above, its process beside it.
  const appImage = appImageOf(config, options, workload.name);
  if (appImage === undefined) throw new TypeError(`service '${workload.name}' has no image for its process`);
  return sidecarPodSpec(pod, { ...workload, sidecar: workload.sidecar }, appImage, options);
}

function entryOf(config: RampartConfig, name: string): string {
  const service = config.services[name];
  if (service?.entry === undefined) throw new TypeError(`no service named '${name}' with an entry`);
  const entry = posix.normalize(service.entry.replaceAll('\\', '/'));
  if (entry.startsWith('../') || entry === '..' || posix.isAbsolute(entry)) {
    throw new TypeError(
      `service '${name}': its entry ${service.entry} is outside rampart.yaml's directory, which --app-dir puts in the image`,
    );
  }
  return entry;
}
