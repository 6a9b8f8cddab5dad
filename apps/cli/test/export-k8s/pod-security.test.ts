// The Pod Security Standards' `restricted` profile, checked without a cluster: every pod the export
// writes passes, and the checker itself is proved control by control — a compliant pod passes, and
// for each control a pod breaking only that control is refused for that control alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';
import {
  checkPodRestricted,
  RESTRICTED_CONTROLS,
  type RestrictedControl,
} from '../../src/export/k8s/pod-security.ts';
import { scaledExport, shopExport } from './exports.ts';
import { manifestsOf } from './manifests.ts';

/** A pod that meets `restricted`, to break one control at a time. */
function compliant(): IIoK8sApiCoreV1PodSpec {
  return {
    securityContext: { runAsNonRoot: true, runAsUser: 10_001, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'app',
        image: 'registry.example/app:1',
        ports: [{ containerPort: 8443 }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
    volumes: [{ name: 'state', emptyDir: {} }],
  };
}

type Break = (
  pod: IIoK8sApiCoreV1PodSpec & {
    containers: [Record<string, unknown> & { securityContext: Record<string, unknown> }];
  },
) => void;

/** For each control, ways to break it alone (a pod refused for that control and no other). */
const BREAKS: Readonly<Record<RestrictedControl, readonly (readonly [string, Break])[]>> = {
  hostProcess: [
    [
      'a HostProcess pod',
      (pod) => {
        pod.securityContext = { ...pod.securityContext, windowsOptions: { hostProcess: true } };
      },
    ],
    [
      'a HostProcess container',
      (pod) => {
        pod.containers[0].securityContext['windowsOptions'] = { hostProcess: true };
      },
    ],
  ],
  hostNamespaces: [
    [
      'hostNetwork',
      (pod) => {
        pod.hostNetwork = true;
      },
    ],
    [
      'hostPID',
      (pod) => {
        pod.hostPID = true;
      },
    ],
    [
      'hostIPC',
      (pod) => {
        pod.hostIPC = true;
      },
    ],
  ],
  privileged: [
    [
      'a privileged container',
      (pod) => {
        pod.containers[0].securityContext['privileged'] = true;
      },
    ],
  ],
  capabilities: [
    [
      'no drop ALL',
      (pod) => {
        pod.containers[0].securityContext['capabilities'] = { drop: ['NET_RAW'] };
      },
    ],
    [
      'an added NET_ADMIN',
      (pod) => {
        pod.containers[0].securityContext['capabilities'] = { drop: ['ALL'], add: ['NET_ADMIN'] };
      },
    ],
  ],
  hostPathVolumes: [],
  hostPorts: [
    [
      'a host port',
      (pod) => {
        pod.containers[0]['ports'] = [{ containerPort: 8443, hostPort: 8443 }];
      },
    ],
  ],
  appArmor: [
    [
      'AppArmor Unconfined',
      (pod) => {
        pod.containers[0].securityContext['appArmorProfile'] = { type: 'Unconfined' };
      },
    ],
  ],
  seLinux: [
    [
      'an SELinux type',
      (pod) => {
        pod.containers[0].securityContext['seLinuxOptions'] = { type: 'spc_t' };
      },
    ],
    [
      'an SELinux user',
      (pod) => {
        pod.containers[0].securityContext['seLinuxOptions'] = { user: 'system_u' };
      },
    ],
  ],
  procMount: [
    [
      'an Unmasked /proc',
      (pod) => {
        pod.containers[0].securityContext['procMount'] = 'Unmasked';
      },
    ],
  ],
  seccomp: [
    [
      'no seccomp profile',
      (pod) => {
        pod.securityContext = { runAsNonRoot: true, runAsUser: 10_001 };
      },
    ],
    [
      'a container Unconfined',
      (pod) => {
        pod.containers[0].securityContext['seccompProfile'] = { type: 'Unconfined' };
      },
    ],
  ],
  sysctls: [
    [
      'an unsafe sysctl',
      (pod) => {
        pod.securityContext = { ...pod.securityContext, sysctls: [{ name: 'kernel.msgmax', value: '1' }] };
      },
    ],
  ],
  volumeTypes: [
    [
      'an nfs volume',
      (pod) => {
        pod.volumes = [{ name: 'n', nfs: { server: 'nfs', path: '/' } }];
      },
    ],
  ],
  privilegeEscalation: [
    [
      'allowPrivilegeEscalation unset',
      (pod) => {
        delete pod.containers[0].securityContext['allowPrivilegeEscalation'];
      },
    ],
    [
      'allowPrivilegeEscalation true',
      (pod) => {
        pod.containers[0].securityContext['allowPrivilegeEscalation'] = true;
      },
    ],
  ],
  runAsNonRoot: [
    [
      'runAsNonRoot unset',
      (pod) => {
        pod.securityContext = { seccompProfile: { type: 'RuntimeDefault' } };
      },
    ],
    [
      'a container overriding it with false',
      (pod) => {
        pod.containers[0].securityContext['runAsNonRoot'] = false;
      },
    ],
  ],
  runAsUser: [
    [
      'runAsUser 0',
      (pod) => {
        pod.containers[0].securityContext['runAsUser'] = 0;
      },
    ],
  ],
};

describe('the restricted checker, control by control', () => {
  it('passes a compliant pod', () => {
    assert.deepEqual(checkPodRestricted(compliant()), []);
  });

  it('has a negative case for every control', () => {
    for (const control of RESTRICTED_CONTROLS) {
      assert.ok(control === 'hostPathVolumes' || BREAKS[control].length > 0, control);
    }
  });

  for (const control of RESTRICTED_CONTROLS) {
    for (const [what, breakIt] of BREAKS[control]) {
      it(`${control}: refuses ${what}`, () => {
        const pod = compliant() as Parameters<Break>[0];
        breakIt(pod);
        const violations = checkPodRestricted(pod);
        assert.ok(violations.length > 0, 'not refused');
        assert.deepEqual([...new Set(violations.map((v) => v.control))], [control]);
      });
    }
  }

  it('hostPathVolumes (and volumeTypes): refuses a hostPath volume', () => {
    const pod = compliant();
    pod.volumes = [{ name: 'host', hostPath: { path: '/' } }];
    assert.deepEqual([...new Set(checkPodRestricted(pod).map((v) => v.control))].sort(), [
      'hostPathVolumes',
      'volumeTypes',
    ]);
  });

  it('checks init and ephemeral containers too', () => {
    const pod = compliant();
    pod.initContainers = [{ name: 'init', image: 'x' }];
    pod.ephemeralContainers = [
      {
        name: 'debug',
        image: 'x',
        securityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
          privileged: true,
        },
      },
    ];
    const paths = checkPodRestricted(pod).map((v) => v.path);
    assert.ok(paths.includes('initContainers[0].securityContext.allowPrivilegeEscalation'));
    assert.ok(paths.includes('ephemeralContainers[0].securityContext.privileged'));
  });
});

for (const [name, exported] of [
  ['the shop', shopExport()],
  ['a config on PostgreSQL, Redis and NATS', scaledExport()],
] as const) {
  describe(`${name}: every pod meets restricted, with a UID and GID of its own`, () => {
    const controllers = manifestsOf(exported).filter(
      ({ manifest }) => manifest.kind === 'Deployment' || manifest.kind === 'StatefulSet',
    );
    const uids: number[] = [];
    for (const { manifest } of controllers) {
      const spec = (manifest.spec as { template: { spec: IIoK8sApiCoreV1PodSpec } }).template.spec;
      it(`${manifest.kind} ${manifest.metadata.name}`, () => {
        assert.deepEqual(checkPodRestricted(spec), []);
        const context = spec.securityContext ?? {};
        assert.ok((context.runAsUser ?? 0) > 0);
        assert.equal(context.runAsGroup, context.runAsUser);
        assert.equal(context.fsGroup, context.runAsUser);
        uids.push(context.runAsUser ?? 0);
        const containers = [...(spec.initContainers ?? []), ...spec.containers];
        for (const container of containers) {
          assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name);
        }
        // emptyDir only for the state of a workload that keeps none a new pod cannot rebuild — and,
        // beside a sidecar, the directory it shares with its process (in memory) and the process's /tmp.
        const behindSidecar = spec.initContainers?.some((container) => container.name === 'sidecar') === true;
        const emptyDirs = (spec.volumes ?? []).filter((volume) => volume.emptyDir !== undefined);
        assert.deepEqual(
          emptyDirs.map((volume) => volume.name),
          [
            ...(manifest.kind === 'Deployment' ? ['state'] : []),
            ...(behindSidecar ? ['upstream', 'app-tmp'] : []),
          ],
        );
        const isMesh = manifest.metadata.name === 'rampart-mesh';
        assert.equal(spec.automountServiceAccountToken, isMesh);
      });
    }
    it('gives no two workloads one UID', () => {
      assert.equal(new Set(uids).size, uids.length);
      assert.equal(uids.length, controllers.length);
    });
  });
}
