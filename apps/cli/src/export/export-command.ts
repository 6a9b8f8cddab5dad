import { lstat, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatProblem, loadConfig } from '@rampart/config';
import type { CommandIo } from '../check-command.ts';
import { exportK8s } from './k8s/export-k8s.ts';
import type { K8sExportOptions } from './k8s/options.ts';

const usage = `Usage: rampart export k8s [file] [--out dir] [--namespace ns] [--image-registry r]
                         [--image-tag t] [--digest image=sha256:…]… [--app-dir path]
                         [--app-image service=ref]… [--force]

Write the Kubernetes manifests of the installation rampart.yaml (default: ./rampart.yaml) describes,
kustomize-ready (kubectl apply -k <dir>): a namespace enforcing Pod Security "restricted", a
Deployment or StatefulSet per component and service (own UID/GID, read-only root, no capabilities,
probes on the admin port, disruption budgets, an autoscaler for the gateway), NetworkPolicies that
allow exactly the call graph, and the names of the Secrets to create (secrets.md). Nothing secret is
written: \`rampart export k8s-secrets --help\` generates the keys. See docs/deploy-kubernetes.md.

Options:
  --out dir             where to write (default: k8s beside rampart.yaml); must be empty or absent
  --namespace ns        the namespace (default: rampart-<name>)
  --image-registry r    images are r/rampart-<component> and r/<name> for the services (default: rampart)
  --image-tag t         (default: 0.1.0)
  --digest image=sha256:…
                        pin an image by digest, e.g. --digest rampart-gateway=sha256:<64 hex>; repeatable
  --app-dir path        where rampart.yaml's directory is in the services' image (default: /app)
  --app-image service=ref
                        the image of the process of a service behind the sidecar (upstream), in place of
                        its \`image\` in rampart.yaml, e.g. --app-image reviews=ghcr.io/acme/reviews@sha256:…;
                        repeatable. Such a service runs as two containers of one pod: the sidecar
                        (r/rampart-sidecar) and the process. One with neither is left out, with a warning
  --force               write into a directory that is not empty, replacing the files of the export
  -h, --help            show this help

Exit status: 0 written, 1 rampart.yaml invalid or an option refused, 2 usage error.
`;

/**
 * `rampart export <target> …`: `k8s` (the manifests) or `k8s-secrets` (their keys and overlay).
 *
 * @example
 * process.exitCode = await exportCommand(['k8s', 'examples/shop/rampart.yaml', '--out', 'deploy'], io);
 */
export async function exportCommand(argv: string[], io: CommandIo): Promise<number> {
  const [target, ...rest] = argv;
  if (target === '-h' || target === '--help') {
    io.stdout.write(usage);
    return 0;
  }
  if (target === 'k8s-secrets') {
    return (await import('./k8s-secrets/k8s-secrets-command.ts')).exportSecretsCommand(rest, io);
  }
  if (target !== 'k8s') {
    io.stderr.write(
      `rampart export: expected 'k8s' or 'k8s-secrets', got ${target === undefined ? 'nothing' : `'${target}'`}\n\n${usage}`,
    );
    return 2;
  }
  let values: {
    out?: string;
    namespace?: string;
    'image-registry'?: string;
    'image-tag'?: string;
    digest?: string[];
    'app-dir'?: string;
    'app-image'?: string[];
    force?: boolean;
    help?: boolean;
  };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: {
        out: { type: 'string' },
        namespace: { type: 'string' },
        'image-registry': { type: 'string' },
        'image-tag': { type: 'string' },
        digest: { type: 'string', multiple: true },
        'app-dir': { type: 'string' },
        'app-image': { type: 'string', multiple: true },
        force: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(
      `rampart export k8s: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`,
    );
    return 2;
  }
  if (values.help === true) {
    io.stdout.write(usage);
    return 0;
  }
  if (positionals.length > 1) {
    io.stderr.write(`rampart export k8s: expected at most one file, got ${positionals.length}\n\n${usage}`);
    return 2;
  }
  const digests: Record<string, string> = {};
  for (const pair of values.digest ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      io.stderr.write(`rampart export k8s: --digest expects image=sha256:…, got '${pair}'\n`);
      return 2;
    }
    digests[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const appImages: Record<string, string> = {};
  for (const pair of values['app-image'] ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      io.stderr.write(`rampart export k8s: --app-image expects service=image, got '${pair}'\n`);
      return 2;
    }
    appImages[pair.slice(0, at)] = pair.slice(at + 1);
  }

  const loaded = await loadConfig(positionals[0] ?? 'rampart.yaml');
  if (!loaded.ok) {
    for (const problem of loaded.problems)
      io.stderr.write(`${formatProblem(problem, { color: io.color })}\n`);
    io.stderr.write(`rampart export k8s: ${loaded.file} is invalid; nothing written\n`);
    return 1;
  }
  const { config } = loaded;
  const options: K8sExportOptions = {
    namespace: values.namespace ?? `rampart-${config.name}`.slice(0, 63).replace(/-+$/u, ''),
    imageRegistry: values['image-registry'] ?? 'rampart',
    imageTag: values['image-tag'] ?? '0.1.0',
    digests,
    appDir: values['app-dir'] ?? '/app',
    appImages,
  };
  const out = resolve(values.out ?? join(loaded.file, '..', 'k8s'));
  try {
    const unknownImages = Object.keys(digests).filter(
      (image) =>
        image !== config.name &&
        !['mesh', 'identity', 'audit', 'gateway', 'sidecar'].some((c) => image === `rampart-${c}`),
    );
    if (unknownImages.length > 0) {
      throw new TypeError(
        `--digest names no image of this export: ${unknownImages.join(', ')} ` +
          `(images: rampart-mesh, rampart-identity, rampart-audit, rampart-gateway, rampart-sidecar, ${config.name}; ` +
          "a sidecar service's own image is pinned in its reference: --app-image <service>=<image>@sha256:…)",
      );
    }
    const { files, warnings } = exportK8s(config, await readFile(loaded.file, 'utf8'), options);
    await prepareOutput(out, values.force === true);
    for (const [name, content] of files) await writeFile(join(out, name), content, { mode: 0o644 });
    for (const warning of warnings) io.stderr.write(`warning: ${warning}\n`);
    io.stdout.write(
      `wrote ${files.size} files to ${out} (namespace ${options.namespace})\n` +
        `next: create the Secrets listed in ${join(out, 'secrets.md')}, then kubectl apply -k ${out}\n`,
    );
    return 0;
  } catch (error) {
    io.stderr.write(
      `rampart export k8s: ${error instanceof Error ? error.message : String(error)}; nothing written\n`,
    );
    return 1;
  }
}

/** Creates `out`, or checks it is an empty directory (any directory with --force); never follows a link. */
async function prepareOutput(out: string, force: boolean): Promise<void> {
  const stats = await lstat(out).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  });
  if (stats === undefined) {
    await mkdir(out, { recursive: true, mode: 0o755 });
    return;
  }
  if (!stats.isDirectory()) throw new TypeError(`--out ${out} exists and is not a directory`);
  if (!force && (await readdir(out)).length > 0) {
    throw new TypeError(`--out ${out} is not empty: pass --force to replace the export's files in it`);
  }
}
