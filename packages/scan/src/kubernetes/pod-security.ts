import type { IIoK8sApiCoreV1Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';

/**
 * The controls of the Pod Security Standards' `restricted` profile (which includes `baseline`), as
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/ lists them for `latest`.
 */
export const RESTRICTED_CONTROLS = [
  'hostProcess',
  'hostNamespaces',
  'privileged',
  'capabilities',
  'hostPathVolumes',
  'hostPorts',
  'appArmor',
  'seLinux',
  'procMount',
  'seccomp',
  'sysctls',
  'volumeTypes',
  'privilegeEscalation',
  'runAsNonRoot',
  'runAsUser',
] as const;
export type RestrictedControl = (typeof RESTRICTED_CONTROLS)[number];

/** Which profile a control belongs to: `baseline` ones are in `restricted` too. */
export type PodSecurityLevel = 'baseline' | 'restricted';

/** The profile of each control; `capabilities` and `seccomp` have a rule in each (see `level`). */
const CONTROL_LEVEL: Readonly<Record<RestrictedControl, PodSecurityLevel>> = {
  hostProcess: 'baseline',
  hostNamespaces: 'baseline',
  privileged: 'baseline',
  capabilities: 'baseline',
  hostPathVolumes: 'baseline',
  hostPorts: 'baseline',
  appArmor: 'baseline',
  seLinux: 'baseline',
  procMount: 'baseline',
  seccomp: 'baseline',
  sysctls: 'baseline',
  volumeTypes: 'restricted',
  privilegeEscalation: 'restricted',
  runAsNonRoot: 'restricted',
  runAsUser: 'restricted',
};

/** The capabilities `baseline` lets a container add (the container runtime's defaults). */
const BASELINE_CAPABILITIES: ReadonlySet<string> = new Set([
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
]);

export interface PodSecurityViolation {
  readonly control: RestrictedControl;
  /** The lowest profile the violation breaks: a `baseline` violation breaks both. */
  readonly level: PodSecurityLevel;
  /** Where in the pod spec, e.g. `containers[0].securityContext.allowPrivilegeEscalation`. */
  readonly path: string;
  readonly message: string;
}

const ALLOWED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
] as const;
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
]);
const SELINUX_TYPES = new Set([
  '',
  'container_t',
  'container_init_t',
  'container_kvm_t',
  'container_engine_t',
]);
const APPARMOR_TYPES = new Set(['RuntimeDefault', 'Localhost']);
const SECCOMP_TYPES = new Set(['RuntimeDefault', 'Localhost']);

type SecurityOptions = {
  readonly seLinuxOptions?: { readonly type?: string; readonly user?: string; readonly role?: string };
  readonly appArmorProfile?: { readonly type: string };
  readonly seccompProfile?: { readonly type: string };
  readonly windowsOptions?: { readonly hostProcess?: boolean };
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
};

/**
 * Every way `spec` breaks the `restricted` Pod Security Standard, or an empty list — what the
 * namespace's `pod-security.kubernetes.io/enforce: restricted` admission would refuse, checked
 * without a cluster. Containers, init containers and ephemeral containers alike.
 *
 * @example
 * checkPodRestricted(deployment.spec.template.spec); // [] when the pod may run
 */
export function checkPodRestricted(spec: IIoK8sApiCoreV1PodSpec): PodSecurityViolation[] {
  const violations: PodSecurityViolation[] = [];
  const fail = (
    control: RestrictedControl,
    path: string,
    message: string,
    level?: PodSecurityLevel,
  ): void => {
    violations.push({ control, level: level ?? CONTROL_LEVEL[control], path, message });
  };
  const pod = (spec.securityContext ?? {}) as SecurityOptions & {
    readonly sysctls?: readonly { readonly name: string }[];
  };
  const containers: { readonly path: string; readonly container: IIoK8sApiCoreV1Container }[] = [
    ...spec.containers.map((container, i) => ({ path: `containers[${i}]`, container })),
    ...(spec.initContainers ?? []).map((container, i) => ({ path: `initContainers[${i}]`, container })),
    ...(spec.ephemeralContainers ?? []).map((container, i) => ({
      path: `ephemeralContainers[${i}]`,
      container,
    })),
  ];

  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (spec[field] === true) fail('hostNamespaces', field, `${field} must be unset or false`);
  }
  if (pod.windowsOptions?.hostProcess === true) {
    fail(
      'hostProcess',
      'securityContext.windowsOptions.hostProcess',
      'Windows HostProcess pods are not allowed',
    );
  }
  checkOptions(pod, 'securityContext', fail);
  for (const sysctl of pod.sysctls ?? []) {
    if (!SAFE_SYSCTLS.has(sysctl.name))
      fail('sysctls', 'securityContext.sysctls', `sysctl ${sysctl.name} is not safe`);
  }
  (spec.volumes ?? []).forEach((volume, i) => {
    const types = Object.keys(volume).filter((key) => key !== 'name');
    if (volume.hostPath !== undefined) {
      fail('hostPathVolumes', `volumes[${i}].hostPath`, 'hostPath volumes are not allowed');
    }
    for (const type of types) {
      if (!(ALLOWED_VOLUMES as readonly string[]).includes(type)) {
        fail('volumeTypes', `volumes[${i}].${type}`, `volume type ${type} is not allowed`);
      }
    }
  });

  const podSeccomp = pod.seccompProfile?.type;
  const podNonRoot = pod.runAsNonRoot === true;
  for (const { path, container } of containers) {
    const context = (container.securityContext ?? {}) as SecurityOptions & {
      readonly privileged?: boolean;
      readonly allowPrivilegeEscalation?: boolean;
      readonly procMount?: string;
      readonly capabilities?: { readonly add?: readonly string[]; readonly drop?: readonly string[] };
    };
    const at = `${path}.securityContext`;
    if (context.windowsOptions?.hostProcess === true) {
      fail(
        'hostProcess',
        `${at}.windowsOptions.hostProcess`,
        'Windows HostProcess containers are not allowed',
      );
    }
    if (context.privileged === true)
      fail('privileged', `${at}.privileged`, 'privileged must be unset or false');
    const added = context.capabilities?.add ?? [];
    for (const capability of added) {
      if (capability !== 'NET_BIND_SERVICE') {
        const level = BASELINE_CAPABILITIES.has(capability) ? 'restricted' : 'baseline';
        fail('capabilities', `${at}.capabilities.add`, `capability ${capability} may not be added`, level);
      }
    }
    if (!(context.capabilities?.drop ?? []).includes('ALL')) {
      fail('capabilities', `${at}.capabilities.drop`, 'capabilities must drop ALL', 'restricted');
    }
    (container.ports ?? []).forEach((port, i) => {
      if (port.hostPort !== undefined && port.hostPort !== 0) {
        fail('hostPorts', `${path}.ports[${i}].hostPort`, 'host ports are not allowed');
      }
    });
    checkOptions(context, at, fail);
    if (context.procMount !== undefined && context.procMount !== 'Default') {
      fail('procMount', `${at}.procMount`, 'procMount must be Default');
    }
    if (context.allowPrivilegeEscalation !== false) {
      fail('privilegeEscalation', `${at}.allowPrivilegeEscalation`, 'allowPrivilegeEscalation must be false');
    }
    const nonRoot = context.runAsNonRoot ?? (podNonRoot ? true : undefined);
    if (nonRoot !== true) {
      fail('runAsNonRoot', `${at}.runAsNonRoot`, 'runAsNonRoot must be true, on the pod or the container');
    }
    const seccomp = context.seccompProfile?.type ?? podSeccomp;
    if (seccomp === undefined || !SECCOMP_TYPES.has(seccomp)) {
      fail(
        'seccomp',
        `${at}.seccompProfile.type`,
        'seccompProfile must be RuntimeDefault or Localhost',
        'restricted',
      );
    }
  }
  return violations;
}

/** The options a pod and a container may both set: AppArmor, SELinux, seccomp (explicitly Unconfined), runAsUser. */
function checkOptions(
  options: SecurityOptions,
  at: string,
  fail: (control: RestrictedControl, path: string, message: string, level?: PodSecurityLevel) => void,
): void {
  const appArmor = options.appArmorProfile?.type;
  if (appArmor !== undefined && !APPARMOR_TYPES.has(appArmor)) {
    fail('appArmor', `${at}.appArmorProfile.type`, 'AppArmor must be RuntimeDefault or Localhost');
  }
  const seLinux = options.seLinuxOptions;
  if (seLinux !== undefined) {
    if (!SELINUX_TYPES.has(seLinux.type ?? ''))
      fail('seLinux', `${at}.seLinuxOptions.type`, 'SELinux type not allowed');
    if (seLinux.user !== undefined || seLinux.role !== undefined) {
      fail('seLinux', `${at}.seLinuxOptions`, 'SELinux user and role must be unset');
    }
  }
  if (options.seccompProfile?.type === 'Unconfined') {
    fail('seccomp', `${at}.seccompProfile.type`, 'seccompProfile may not be Unconfined');
  }
  if (options.runAsUser === 0) fail('runAsUser', `${at}.runAsUser`, 'runAsUser may not be 0');
}
