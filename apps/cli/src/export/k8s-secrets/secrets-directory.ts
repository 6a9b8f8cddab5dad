import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { stringify } from 'yaml';
import {
  componentEnv,
  externalServices,
  generateAdminPassword,
  generateClientSecret,
  trustDomainOf,
  type BootstrapFile,
  type RampartConfig,
} from '@rampart/config';
import { hashPassword } from '@rampart/identity';
import { generateRootCa } from '@rampart/mesh';
import { LocalKeyring } from '@rampart/sdk';
import { clientSecretHashes } from '../../up/identity-secrets.ts';
import { generatePseudonymKey, generateSigningPair } from '../../up/state-dir.ts';
import {
  envSecretName,
  EXTERNAL_CA_CONFIG_MAP,
  KEY_FILES,
  keysSecretName,
  PATHS,
  PUBLIC_CONFIG_MAP,
  PUBLIC_FILES,
} from '../k8s/pod.ts';
import { secretVariablesOf } from '../k8s/secrets.ts';
import type { Workload } from '@rampart/config';

/** What `rampart export k8s-secrets` needs beside rampart.yaml. */
export interface SecretsDirectoryOptions {
  /** The namespace of the export the Secrets belong to. */
  readonly namespace: string;
  /** The export's directory, relative to the secrets directory (the overlay's base). */
  readonly manifests: string;
  /** The first admin's user name. */
  readonly admin: string;
  /** rampart.yaml's directory: client secrets' references and external CAs' files resolve from it. */
  readonly configDir: string;
}

/** What was written, for the terminal: never a secret but the admin's one-time password. */
export interface SecretsDirectorySummary {
  /** Every file written, relative to the directory, sorted. */
  readonly files: readonly string[];
  /** Files left empty for the operator to fill, with what belongs in each. */
  readonly toFill: ReadonlyMap<string, string>;
  /** The first admin and its one-time password (only its argon2id hash is in the directory). */
  readonly admin: { readonly username: string; readonly password: string };
  /** Generated client secrets, one file each, to hand to each client's owner (in no Secret). */
  readonly clientSecretFiles: readonly string[];
  /** Demo users are not seeded on Kubernetes (their passwords would stay in a Secret). */
  readonly demoSkipped: boolean;
}

/** The bootstrap file's path in identity's pod: its keys Secret. */
export const BOOTSTRAP_PATH = posix.join(PATHS.keysDir, 'bootstrap.json');

/** What the operator brings to the files of a Secret that are not ours to make. */
const OPERATOR_FILES: Readonly<Record<string, string>> = {
  'tls.crt':
    "the gateway's public certificate chain (PEM) for gateway.publicUrl's host: your CA or cert-manager",
  'tls.key': "that certificate's private key (PEM)",
  'edge-ca.pem': "the root CA (PEM) that signed tls.crt: the trust anchor of the gateway's clients",
};

/**
 * Writes into `dir` (an empty directory, 0700) every key and secret the Secrets of the export of
 * `config` need, one directory per Secret or ConfigMap named after it, each file 0600, and a
 * `kustomization.yaml` whose generators create them (names fixed: the manifests refer to them) over
 * the export as its base, so that `kubectl apply -k <dir>` installs the whole. Keys are generated
 * with the code `rampart up` uses for the same keys (Ed25519 pairs, the pseudonym key, keyrings,
 * client secrets) and the mesh's own root generation. What only the operator has (the gateway's
 * public certificate, passwords of PostgreSQL, Redis, a webhook) is left as empty files, listed in
 * `toFill`; nothing is invented for them.
 *
 * @example
 * const summary = await writeSecretsDirectory(staging, config, workloads, { namespace: 'shop', manifests: '../k8s', admin: 'admin', configDir });
 */
export async function writeSecretsDirectory(
  dir: string,
  config: RampartConfig,
  workloads: readonly Workload[],
  options: SecretsDirectoryOptions,
): Promise<SecretsDirectorySummary> {
  const written: string[] = [];
  const toFill = new Map<string, string>();
  const put = async (path: string, content: string | Buffer): Promise<void> => {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
    written.push(path);
  };
  const fill = async (path: string, what: string): Promise<void> => {
    await put(path, '');
    toFill.set(path, what);
  };

  const meshPair = generateSigningPair();
  const gatewayPair = generateSigningPair();
  const auditPair = generateSigningPair();
  const pseudonymKey = generatePseudonymKey();
  const meshCa = await generateRootCa(trustDomainOf(config));
  const adminPassword = generateAdminPassword(options.admin);
  const bootstrap: BootstrapFile = {
    admin: { username: options.admin, passwordHash: await hashPassword(adminPassword) },
    demoUsers: [],
  };
  const clientSecrets = new Map<string, string>();
  const hashes = await clientSecretHashes(config, options.configDir, (clientId) => {
    const secret = generateClientSecret();
    clientSecrets.set(clientId, secret);
    return secret;
  });

  const secrets: { name: string; files: string[] }[] = [];
  for (const workload of workloads) {
    const name = keysSecretName(workload);
    const files: string[] = [];
    for (const key of KEY_FILES[workload.kind]) {
      const path = `${name}/${key}`;
      files.push(path);
      switch (key) {
        case 'internal-token.key.pem':
          await put(path, meshPair.privateKeyPem);
          break;
        case 'gateway-token.key.pem':
          await put(path, gatewayPair.privateKeyPem);
          break;
        case 'audit-signing.key.pem':
          await put(path, auditPair.privateKeyPem);
          break;
        case 'pseudonym.key':
          await put(path, pseudonymKey);
          break;
        case 'mesh-ca.pem':
          await put(path, meshCa.certPem);
          break;
        case 'mesh-ca.key':
          await put(path, meshCa.keyPem);
          break;
        case 'keyring.json':
          // The SDK's own keyring, created where it is kept (0600): one per identity and service.
          await LocalKeyring.open(join(dir, path));
          written.push(path);
          break;
        case 'bootstrap.json':
          await put(path, `${JSON.stringify(bootstrap)}\n`);
          break;
        case 'tls.crt':
        case 'tls.key':
        case 'edge-ca.pem':
          await fill(path, OPERATOR_FILES[key] ?? key);
          break;
      }
    }
    secrets.push({ name, files });
    const variables = secretVariablesOf(config, workload.kind);
    if (Object.keys(variables).length === 0) continue;
    const envName = envSecretName(workload);
    const envFiles: string[] = [];
    for (const [variable, meaning] of Object.entries(variables)) {
      const path = `${envName}/${variable}`;
      envFiles.push(path);
      if (variable === componentEnv.clientSecretHashes.name) await put(path, JSON.stringify(hashes));
      else if (variable === componentEnv.identityBootstrapFile.name) await put(path, BOOTSTRAP_PATH);
      else await fill(path, meaning);
    }
    secrets.push({ name: envName, files: envFiles });
  }

  const publicFiles: string[] = [];
  for (const file of PUBLIC_FILES) {
    const path = `${PUBLIC_CONFIG_MAP}/${file}`;
    publicFiles.push(path);
    const content = {
      'internal-token.pub.pem': meshPair.publicKeyPem,
      'gateway-token.pub.pem': gatewayPair.publicKeyPem,
      'mesh-bundle.pem': meshCa.certPem,
    }[file];
    await put(path, content);
  }
  const configMaps = [{ name: PUBLIC_CONFIG_MAP, files: publicFiles }];
  const external = externalServices(config);
  if (external.length > 0) {
    const files: string[] = [];
    for (const [name, upstream] of external) {
      const path = `${EXTERNAL_CA_CONFIG_MAP}/${name}.pem`;
      files.push(path);
      await put(path, await readFile(resolve(options.configDir, upstream.ca)));
    }
    configMaps.push({ name: EXTERNAL_CA_CONFIG_MAP, files });
  }
  // Not mounted anywhere: the half `rampart audit verify` checks the trail's checkpoints with.
  await put('audit-signing.pub.pem', auditPair.publicKeyPem);
  const clientSecretFiles: string[] = [];
  for (const [clientId, secret] of clientSecrets) {
    const path = `clients/${clientId}.secret`;
    clientSecretFiles.push(path);
    await put(path, `${secret}\n`);
  }

  await put('.gitignore', '# Keys and secrets: never in version control.\n*\n');
  await put('kustomization.yaml', kustomization(options, secrets, configMaps));
  return {
    files: written.sort(),
    toFill,
    admin: { username: options.admin, password: adminPassword },
    clientSecretFiles,
    demoSkipped: config.demo === true,
  };
}

interface Generated {
  readonly name: string;
  readonly files: readonly string[];
}

/**
 * The overlay: the export as its base, a Secret or ConfigMap per directory. Names carry no hash:
 * the export's manifests refer to them by name (restart the workloads after replacing one).
 */
function kustomization(
  options: SecretsDirectoryOptions,
  secrets: readonly Generated[],
  configMaps: readonly Generated[],
): string {
  const generator = ({ name, files }: Generated) => ({
    name,
    files: [...files],
    options: { disableNameSuffixHash: true },
  });
  const overlay = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: options.namespace,
    resources: [options.manifests],
    secretGenerator: secrets.map((secret) => ({ ...generator(secret), type: 'Opaque' })),
    configMapGenerator: configMaps.map(generator),
  };
  return (
    '# Generated by `rampart export k8s-secrets`: the Secrets and the public ConfigMap of the export\n' +
    `# in ${options.manifests}, from the files beside this one. Keep this directory out of version control.\n` +
    '# kubectl apply -k <this directory>\n' +
    stringify(overlay, { lineWidth: 0 })
  );
}
