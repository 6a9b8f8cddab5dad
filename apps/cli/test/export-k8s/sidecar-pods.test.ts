// A service behind the sidecar on Kubernetes: one pod, two containers sharing its network — the
// sidecar (Rampart's image, a native sidecar) and the process (the user's image). The process runs
// under a UID of its own and gets none of the sidecar's volumes (keys, secret variables, mesh
// token, state): only the shared directory, read-only, with the per-pod secrets' file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IIoK8sApiCoreV1Container } from 'kubernetes-models/v1/Container';
import type { IIoK8sApiCoreV1PodSpec } from 'kubernetes-models/v1/PodSpec';
import { componentEnv } from '@rampart/config';
import { exportK8s } from '../../src/export/k8s/export-k8s.ts';
import { checkExportOptions } from '../../src/export/k8s/options.ts';
import { checkPodRestricted } from '../../src/export/k8s/pod-security.ts';
import { SHARED_DIR } from '../../src/export/k8s/sidecar-pod.ts';
import { scaledExport, SHOP_OPTIONS, shopConfig, shopExport } from './exports.ts';
import { manifestsOf } from './manifests.ts';

/** Every pod of an export, by its component. */
function podsOf(exported: ReturnType<typeof shopExport>): Map<string, IIoK8sApiCoreV1PodSpec> {
  const pods = new Map<string, IIoK8sApiCoreV1PodSpec>();
  for (const { manifest } of manifestsOf(exported)) {
    if (manifest.kind !== 'Deployment' && manifest.kind !== 'StatefulSet') continue;
    const template = manifest.spec?.['template'] as {
      metadata: { labels: Record<string, string> };
      spec: IIoK8sApiCoreV1PodSpec;
    };
    pods.set(template.metadata.labels['rampart.dev/component'] ?? '', template.spec);
  }
  return pods;
}

const SIDECAR_VOLUMES = ['config', 'keys', 'public', 'mesh-token', 'state', 'secret-env'];

for (const [label, exported, services, images] of [
  [
    'the shop',
    shopExport(),
    ['reviews', 'stock'],
    { reviews: SHOP_OPTIONS.appImages?.['reviews'], stock: SHOP_OPTIONS.appImages?.['stock'] },
  ],
  [
    'a config on PostgreSQL, naming the image in rampart.yaml',
    scaledExport(),
    ['legacy'],
    { legacy: `registry.example/legacy:2.1.0@sha256:${'4'.repeat(64)}` },
  ],
] as const) {
  describe(`${label}: the pod of a service behind the sidecar`, () => {
    const pods = podsOf(exported);
    const allUids = new Set<number>();
    for (const pod of pods.values()) {
      for (const container of [...(pod.initContainers ?? []), ...pod.containers])
        allUids.add(container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser ?? 0);
    }

    for (const name of services) {
      const pod = pods.get(name);
      const sidecar = pod?.initContainers?.[0] as IIoK8sApiCoreV1Container;
      const app = pod?.containers[0] as IIoK8sApiCoreV1Container;

      it(`${name}: a native sidecar (Rampart's image) and the process's own image, nothing else`, () => {
        assert.ok(pod);
        assert.deepEqual(
          (pod.initContainers ?? []).map((c) => c.name),
          ['sidecar'],
        );
        assert.deepEqual(
          pod.containers.map((c) => c.name),
          ['app'],
        );
        assert.equal(sidecar.restartPolicy, 'Always');
        assert.match(sidecar.image ?? '', /\/rampart-sidecar:/);
        assert.equal(app.image, images[name]);
        // The image's own entrypoint: no command or arguments of ours, no `run`.
        assert.equal(app.command, undefined);
        assert.equal(app.args, undefined);
        assert.equal(sidecar.args, undefined);
        assert.deepEqual(checkPodRestricted(pod), []);
      });

      it(`${name}: the process runs under a UID and GID of its own, not the sidecar's nor any workload's`, () => {
        assert.ok(pod);
        const sidecarUid = pod.securityContext?.runAsUser;
        assert.equal(sidecar.securityContext?.runAsUser, sidecarUid);
        assert.equal(pod.securityContext?.fsGroup, sidecarUid);
        const appUid = app.securityContext?.runAsUser ?? 0;
        assert.ok(appUid > 0);
        assert.notEqual(appUid, sidecarUid);
        const context = app.securityContext;
        assert.ok(context);
        assert.equal(context.runAsGroup, appUid);
        assert.equal(context.runAsNonRoot, true);
        const others = [...pods.entries()].flatMap(([component, other]) =>
          [...(other.initContainers ?? []), ...other.containers]
            .filter((c) => !(component === name && c.name === 'app'))
            .map((c) => c.securityContext?.runAsUser ?? other.securityContext?.runAsUser),
        );
        assert.ok(!others.includes(appUid), `UID ${appUid} is someone else's too`);
        assert.ok(allUids.has(appUid));
      });

      it(`${name}: the sidecar's keys, secrets, mesh token and state are mounted in the sidecar alone`, () => {
        const appVolumes = (app.volumeMounts ?? []).map((m) => m.name);
        assert.deepEqual(appVolumes.sort(), ['app-tmp', 'upstream']);
        for (const volume of SIDECAR_VOLUMES) assert.ok(!appVolumes.includes(volume), volume);
        const sidecarMounts = new Map((sidecar.volumeMounts ?? []).map((m) => [m.name, m]));
        for (const volume of ['keys', 'mesh-token', 'state']) assert.ok(sidecarMounts.has(volume), volume);
        const shared = (app.volumeMounts ?? []).find((m) => m.name === 'upstream');
        assert.equal(shared?.readOnly, true, 'the process cannot write the shared directory');
        assert.equal(sidecarMounts.get('upstream')?.readOnly, undefined);
        const volume = pod?.volumes?.find((v) => v.name === 'upstream');
        assert.deepEqual(volume?.emptyDir, { medium: 'Memory', sizeLimit: '1Mi' });
        // No API token, and no view of the sidecar's processes (their /proc, environment, mounts).
        assert.ok(pod);
        assert.equal(pod.automountServiceAccountToken, false);
        assert.equal(pod.shareProcessNamespace, false);
      });

      it(`${name}: the process is told where things are, and nothing secret`, () => {
        const env = new Map((app.env ?? []).map((v) => [v.name, v]));
        assert.deepEqual([...env.keys()].sort(), [
          'HOST',
          'PORT',
          'RAMPART_EGRESS_URL',
          'RAMPART_SERVICE',
          'RAMPART_SIDECAR_ENV_FILE',
        ]);
        for (const variable of env.values()) assert.equal(variable.valueFrom, undefined);
        assert.equal(env.get('RAMPART_SIDECAR_ENV_FILE')?.value, `${SHARED_DIR}/upstream.env`);
        assert.equal(env.get('HOST')?.value, '127.0.0.1');
        assert.equal(env.get('RAMPART_SERVICE')?.value, name);
        assert.match(env.get('RAMPART_EGRESS_URL')?.value ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
        const sidecarEnv = new Map((sidecar.env ?? []).map((v) => [v.name, v.value]));
        assert.equal(sidecarEnv.get(componentEnv.sidecarSharedDir.name), SHARED_DIR);
        assert.equal(sidecarEnv.get(componentEnv.component.name), name);
        assert.equal(sidecarEnv.get(componentEnv.listenHost.name), '0.0.0.0');
        assert.ok(
          sidecarEnv.get(componentEnv.meshPsatFile.name),
          'the sidecar joins with the projected token',
        );
      });

      it(`${name}: probes on the sidecar's admin port, resources for both`, () => {
        const adminPort = sidecar.ports?.find((p) => p.name === 'admin')?.containerPort;
        assert.ok(adminPort);
        assert.equal(sidecar.startupProbe?.httpGet?.path, '/healthz');
        assert.equal(sidecar.readinessProbe?.httpGet?.path, '/readyz');
        for (const probe of [app.startupProbe, app.livenessProbe, app.readinessProbe]) {
          // The sidecar's /readyz is ready once the process accepts on its loopback port.
          assert.deepEqual(probe?.httpGet, { path: '/readyz', port: adminPort });
        }
        for (const container of [sidecar, app]) {
          assert.ok(container.resources?.requests?.['memory'] && container.resources.limits?.['memory']);
          assert.ok(container.resources.requests['cpu']);
        }
        assert.equal(app.ports, undefined, 'the process has no port of the pod: it listens on loopback');
      });
    }
  });
}

describe('--app-image and services.<name>.image', () => {
  it('--app-image wins over rampart.yaml', () => {
    const { config, text } = shopConfig();
    const withImage = {
      ...config,
      services: {
        ...config.services,
        stock: { ...config.services['stock']!, image: 'registry.example/old:1' },
      },
    };
    const exported = exportK8s(withImage, text, SHOP_OPTIONS);
    assert.equal(podsOf(exported).get('stock')?.containers[0]?.image, SHOP_OPTIONS.appImages?.['stock']);
    const fromConfig = exportK8s(withImage, text, { ...SHOP_OPTIONS, appImages: {} });
    assert.equal(podsOf(fromConfig).get('stock')?.containers[0]?.image, 'registry.example/old:1');
  });

  const refused: [string, Record<string, string>, RegExp][] = [
    [
      'a reference with upper case',
      { reviews: 'Registry/Reviews:1' },
      /--app-image reviews=.* is not an image reference/,
    ],
    ['a bad digest', { reviews: 'r/reviews@sha256:abc' }, /is not an image reference/],
    ['spaces', { reviews: 'r/reviews:1 --privileged' }, /is not an image reference/],
    ['an unknown service', { nope: 'r/x:1' }, /--app-image nope=…: rampart.yaml has no service 'nope'/],
    ['an SDK service', { orders: 'r/x:1' }, /'orders' is built on @rampart\/sdk/],
  ];
  for (const [what, appImages, message] of refused) {
    it(`refuses ${what}, naming the option`, () => {
      const { config, text } = shopConfig();
      assert.throws(() => exportK8s(config, text, { ...SHOP_OPTIONS, appImages }), message);
    });
  }

  it('accepts tags, digests, registries with ports', () => {
    for (const image of [
      'reviews:1',
      'registry.local:5000/team/reviews:1.4.2',
      `ghcr.io/acme/reviews@sha256:${'a'.repeat(64)}`,
      `ghcr.io/acme/reviews:1.4.2@sha256:${'a'.repeat(64)}`,
    ]) {
      checkExportOptions({ ...SHOP_OPTIONS, appImages: { reviews: image } });
    }
  });
});
