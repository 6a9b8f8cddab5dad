// The mesh authority, as `rampart up` runs it: holds the CA key, serves join, renewal, the bundle
// and token exchange over mTLS, and its own admin port. The boot sequence is @rampart/sdk's.
import { readFileSync, statSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { componentEnv, kubernetesMeshSettings, type RampartConfig } from '@rampart/config';
import type { RootCaPems } from '@rampart/mesh';
import { bootComponent } from '@rampart/sdk';
import { buildMeshAuthority } from './app.ts';
import { createIpcHandler } from './ipc.ts';

await bootComponent({
  kind: 'mesh',
  async start({ env, config, log }) {
    const mesh = await buildMeshAuthority({
      config,
      stateDir: env.stateDir,
      signingKeyPem: readFileSync(env.internalTokenSigningKeyFile, 'utf8'),
      publicKeyPem: readFileSync(env.internalTokenKeyFile, 'utf8'),
      // The gateway's public key, which services learn from the bundle.
      otherSignerKeyPems:
        env.gatewayTokenKeyFile === undefined ? [] : [readFileSync(env.gatewayTokenKeyFile, 'utf8')],
      log,
      ...(env.auditUrl === undefined ? {} : { auditUrl: env.auditUrl }),
      ...(env.pseudonymKeyFile === undefined ? {} : { pseudonymKey: readFileSync(env.pseudonymKeyFile) }),
      ...providedRoot(env.meshCaFile, env.meshCaKeyFile),
      ...inCluster(config),
    });
    // The authority serves its admin port itself (its tests reach it through `start`).
    await mesh.start();
    return {
      applyConfig: (revision, next) => {
        mesh.applyConfig(revision, next);
      },
      onMessage: createIpcHandler(mesh, (reply) => process.send?.(reply), log),
      stop: () => mesh.stop(),
    };
  },
});

/**
 * The root CA given in files (on Kubernetes, from the mesh's keys Secret, which
 * `rampart export k8s-secrets` fills): both files or neither. The key is a secret file: read only
 * when no one but this process's user and group may read it.
 */
function providedRoot(
  certFile: string | undefined,
  keyFile: string | undefined,
): { providedRoot?: RootCaPems } {
  if (certFile === undefined && keyFile === undefined) return {};
  if (certFile === undefined || keyFile === undefined) {
    throw new TypeError(
      `${componentEnv.meshCaFile.name} and ${componentEnv.meshCaKeyFile.name} go together: set both or neither`,
    );
  }
  const mode = statSync(keyFile).mode & 0o777;
  if ((mode & 0o027) !== 0) {
    throw new TypeError(`${keyFile} may be read by others (mode 0${mode.toString(8)}): make it 0400 or 0440`);
  }
  return { providedRoot: { certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') } };
}

/**
 * In a Kubernetes pod (the API server's address in `KUBERNETES_SERVICE_HOST`, which the kubelet
 * sets), with `mesh.kubernetes` in rampart.yaml: the in-cluster kubeconfig — the cluster CA and
 * the mesh's own ServiceAccount token, which the client re-reads as the kubelet rotates it.
 */
function inCluster(config: RampartConfig): { kubeConfig?: KubeConfig } {
  if (kubernetesMeshSettings(config) === undefined || process.env['KUBERNETES_SERVICE_HOST'] === undefined)
    return {};
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromCluster();
  return { kubeConfig };
}
